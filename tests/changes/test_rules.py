"""changes.rules and changes.glitches: what a provision change means, on text alone."""

import pytest

from changes.glitches import find_glitches
from changes.rules import Counterparts, is_furniture, judge_change, judge_direction
from provisions.diff import Edit, compare_clauses, edit_kind, typographic_form


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("You can't use the service.", "You can’t use the service."),
        ('Read the "Terms".', "Read the “Terms”."),
        ("Data - personal or not.", "Data — personal or not."),
        ("Do not\u00a0spam.", "Do not spam."),
        ("Do not spam.", "Do not\u200b spam."),
        ("Do not spam", "Do not spam."),
        (
            "See [our policy](https://a.example/?utm_source=x).",
            "See [our policy](https://b.example/).",
        ),
    ],
)
def test_typographic_edits_are_cosmetic_and_never_a_rewording(old, new):
    assert typographic_form(old) == typographic_form(new)
    assert edit_kind(1, 2, old, new) == Edit.TYPOGRAPHIC
    verdict = judge_change("reworded", old, new)
    assert (verdict.significance, verdict.rule, verdict.direction) == (
        "cosmetic",
        "typographic",
        "neutral",
    )


def test_the_same_revision_with_other_link_targets_is_markup_and_equal_text_is_no_edit():
    assert edit_kind(1, 1, "[a](https://x.example)", "[a](https://y.example)") == Edit.MARKUP
    assert edit_kind(1, 1, "Same.", "Same.") is None


def test_compare_clauses_counts_rewordings_apart_from_typography():
    before = {
        1: (10, "Do not spam."),
        2: (20, "You can't resell."),
        3: (30, "Old rule."),
        4: (40, "Kept."),
    }
    after = {
        1: (11, "Do not spam or phish."),
        2: (21, "You can’t resell."),
        4: (40, "Kept."),
        5: (50, "New rule."),
    }
    tally = compare_clauses(before, after)
    assert tally.counts == (1, 1, 1)
    assert (tally.added, tally.removed, tally.reworded, tally.typographic) == ([5], [3], [1], [2])
    assert tally.unchanged == 1


def test_an_added_prohibition_is_substantive_and_more_restrictive():
    verdict = judge_change(
        "added", None, "Do not use our models to generate malware or ransomware."
    )
    assert (verdict.significance, verdict.rule, verdict.direction) == (
        "substantive",
        "rule",
        "more_restrictive",
    )
    assert "do not" in verdict.direction_reason


def test_a_removed_opt_out_is_substantive_and_more_restrictive_for_users():
    verdict = judge_change(
        "removed", "You can opt out of having your content used to train our models.", None
    )
    assert (verdict.significance, verdict.direction) == ("substantive", "more_restrictive")
    assert "opt" in verdict.direction_reason


def test_a_removed_prohibition_is_less_restrictive():
    verdict = judge_change("removed", "You may not use the API for political campaigning.", None)
    assert (verdict.significance, verdict.direction) == ("substantive", "less_restrictive")


def test_a_changed_number_is_substantive_with_an_undetermined_direction_and_why():
    verdict = judge_change("reworded", "We keep logs for 30 days.", "We keep logs for 90 days.")
    assert (verdict.significance, verdict.rule) == ("substantive", "normative")
    assert verdict.direction == "undetermined"
    assert "number" in verdict.direction_reason


def test_a_product_rename_is_wording_only():
    verdict = judge_change(
        "reworded",
        "DreamBrand Studio lets you create brand assets from your logo and colours.",
        "Brand Studio lets you create brand assets from your logo and colours.",
    )
    assert (verdict.significance, verdict.rule) == ("wording", "renamed")
    assert verdict.evidence["words_removed"] == ["dreambrand"]


def test_a_synonym_is_wording_only():
    verdict = judge_change(
        "reworded",
        "We describe below how we handle the information you give us when you use the service.",
        "We explain below how we handle the information you give us when you use the service.",
    )
    assert (verdict.significance, verdict.rule, verdict.direction) == (
        "wording",
        "wording",
        "neutral",
    )


def test_a_moved_clause_is_cosmetic_and_a_split_one_is_wording():
    text = "Do not share your account credentials with anyone else."
    assert judge_change("added", None, text, counterparts=Counterparts([text])).rule == "moved"
    split = judge_change(
        "added",
        None,
        "Do not share your account credentials.",
        counterparts=Counterparts(
            ["Do not share your account credentials. Keep them safe at all times."]
        ),
    )
    assert (split.significance, split.rule) == ("wording", "resplit")


@pytest.mark.parametrize(
    "text",
    [
        "We and our 1731 partners use cookies to personalise ads. Accept All to agree.",
        "Customise Reject All Accept All",
        "NecessaryAlways Active",
        "© 2026 Stability AI. All rights reserved.",
        "[Pricing](https://x.example/pricing) [Docs](https://x.example/docs)",
    ],
)
def test_banners_navigation_and_footers_are_page_furniture(text):
    assert is_furniture(text)
    verdict = judge_change("added", None, text)
    assert (verdict.significance, verdict.rule, verdict.direction) == (
        "furniture",
        "furniture",
        "neutral",
    )


def test_a_policy_clause_about_cookies_is_not_furniture():
    assert not is_furniture("We use cookies to remember your settings and to measure usage.")


def test_technical_and_glitch_changes_say_so_with_their_rule():
    technical = judge_change("added", None, "Do not spam.", technical=True)
    assert (technical.significance, technical.rule) == ("technical", "technical-capture")
    glitch = judge_change("removed", "Do not spam.", None, glitch="capture-flip")
    assert (glitch.significance, glitch.rule, glitch.direction) == (
        "glitch",
        "capture-flip",
        "neutral",
    )


def test_evidence_has_both_texts_the_word_diff_and_the_similarity():
    verdict = judge_change("reworded", "You must be 18.", "You must be 13.")
    evidence = verdict.evidence
    assert (evidence["before"], evidence["after"]) == ("You must be 18.", "You must be 13.")
    assert ["delete", "18"] in evidence["word_diff"] and ["insert", "13"] in evidence["word_diff"]
    assert 0 < evidence["similarity"] < 1


def test_direction_of_a_rewording_follows_the_prohibitions_it_gains_or_loses():
    assert (
        judge_direction(
            "reworded", "Use the API for research.", "Do not use the API for research."
        )[0]
        == "more_restrictive"
    )
    assert (
        judge_direction("reworded", "You must not resell outputs.", "You may resell outputs.")[0]
        == "less_restrictive"
    )


def test_an_alternating_capture_is_a_flip_and_a_near_empty_one_a_glitch():
    # A B A C A: B and C each sit between two captures of A.
    assert find_glitches([1, 2, 1, 3, 1], {1: 50, 2: 48, 3: 49}) == {
        2: "capture-flip",
        3: "capture-flip",
    }
    # A, a broken page with 2 provisions, then D: the broken page only.
    assert find_glitches([1, 2, 4], {1: 50, 2: 2, 4: 51}) == {2: "near-empty-capture"}
    # A version replaced for good (A B C) is no glitch, nor is a latest capture that keeps a
    # few clauses (a policy replaced by a short notice); one with almost nothing left is.
    assert find_glitches([1, 2, 3], {1: 50, 2: 48, 3: 49}) == {}
    assert find_glitches([1, 2], {1: 50, 2: 5}) == {}
    assert find_glitches([1, 2], {1: 60, 2: 4}) == {}
    assert find_glitches([1, 2], {1: 50, 2: 2}) == {2: "near-empty-capture"}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            "Despite Section 17.1, nothing limits your rights.",
            "Despite Section 19.1, nothing limits your rights.",
        ),
        ("1.7.1 Connect your headphones in the app.", "1.9.1 Connect your headphones in the app."),
        (
            "(h) Arbitration Agreement Survival. This survives.",
            "(g) Arbitration Agreement Survival. This survives.",
        ),
        (
            "**Assignment.** Neither party may assign.",
            "M.4. **Assignment.** Neither party may assign.",
        ),
    ],
)
def test_renumbering_is_wording_not_a_changed_number(old, new):
    verdict = judge_change("reworded", old, new)
    assert (verdict.significance, verdict.rule) == ("wording", "renumbered")


def test_a_changed_number_inside_a_rule_is_still_substantive():
    verdict = judge_change("reworded", "Refunds within 14 days.", "Refunds within 7 days.")
    assert verdict.significance == "substantive"


# -- stop 26: the rules written from the development sets' errors --------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (  # an e-mail address replaced by Cloudflare's obfuscation link
            "Write to [privacy@acme.ai](mailto:privacy@acme.ai) to remove it.",
            "Write to [\\[email protected\\]](https://acme.ai/cdn-cgi/l/email-protection) to "
            "remove it.",
        ),
        (  # a broken address fixed into the same obfuscation
            "Contact us at: supp[\\[email protected\\]](https://a.example/cdn-cgi/l/email-protection).",
            "Contact us at: [\\[email protected\\]](https://a.example/cdn-cgi/l/email-protection).",
        ),
        (
            "Fill out the [form⁠(opens in a new window)](https://a.example/form).",
            "Fill out the [form⁠](https://a.example/form).",
        ),
        (
            "Read the [Privacy Notice](https://a.example/p) (opens in new tab) first.",
            "Read the [Privacy Notice](https://a.example/p) first.",
        ),
        (
            "| Purpose | *   Account Information<br>    <br>*   Log Data |",
            "| Purpose | *   Account Information<br>*   Log Data |",
        ),
        (  # a link whose label was its address now says "this page"
            "engage the persons listed at [https://a.example/subprocessors](https://a.example/"
            "subprocessors) to process data",
            "engage the persons listed at [this page](https://a.example/sub-processor-list/) to "
            "process data",
        ),
    ],
)
def test_links_email_obfuscation_and_line_breaks_alone_are_cosmetic(old, new):
    verdict = judge_change("reworded", old, new)
    assert (verdict.significance, verdict.rule) == ("cosmetic", "markup")


def test_a_link_label_that_says_something_else_is_not_markup():
    verdict = judge_change(
        "reworded",
        "Read our [Acceptable Use Policy](https://a.example/aup).",
        "Read our [Usage Policies](https://a.example/aup).",
    )
    assert verdict.rule != "markup"


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("VIII. Liability", "heading"),
        ("Cookies and Other Tracking", "heading"),
        ("Joint Controllership with Workday", "heading"),
        ("Other Personal Data.", "heading"),
        ("**Your User Data.** You must:", "lead-in"),
        ("When we use the following terms in these Terms, here’s what we mean:", "lead-in"),
        (
            "Attention:  \nSambaNova Legal  \n2460 N First St, Suite #100  \nSan Jose, CA 95131",
            "contact",
        ),
        ("Head of Commercial Legal, [privacy@acme.ai⁠](mailto:privacy@acme.ai)", "contact"),
        ("• In Canada: No. 3150031.", "contact"),
        ("Address: 1455 3rd Street, San Francisco, CA 94158", "contact"),
        ("**更新日期：2026年7月15日**  \n**生效日期：2026年7月22日**", "date"),
        ("Last updated: March 3, 2026", "date"),
    ],
)
def test_headings_lead_ins_contacts_and_dates_added_or_removed_are_wording(text, rule):
    for action, old, new in (("added", None, text), ("removed", text, None)):
        verdict = judge_change(action, old, new)
        assert (verdict.significance, verdict.rule) == ("wording", rule), (action, text)


@pytest.mark.parametrize(
    ("text", "lead_in"),
    [
        ("**SFW content only**", ""),  # "only": a rule however short, even in bold
        (  # an item of a list of bans
            "cryptomining;",
            "Actions may not be used in violation of the Agreement, and should not be used for:",
        ),
        ("In order to exercise Your rights please contact privacy@acme.ai.", ""),
        (  # a cookie table row names a domain: not a contact line
            "| intercom-device-id-\\* | .[acme.com](http://acme.com/) | Support | Intercom | 9 "
            "months |",
            "",
        ),
    ],
)
def test_short_rules_list_items_and_table_rows_stay_rules(text, lead_in):
    verdict = judge_change("removed", text, None, lead_in=lead_in)
    assert (verdict.significance, verdict.rule) == ("substantive", "rule")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "Fireworks - Terms of Service   ![](https://t.co/1/i/adsct?bci=4&p_id=Twitter)"
            "![](https://analytics.twitter.com/1/i/adsct?bci=4)",
            "images",
        ),
        ("See a [preview of the new terms](https://a.example/terms/update)", "pointer"),
        ("Review a [summary of key changes](https://a.example/terms/changes)", "pointer"),
        (
            "This website is made with [Hugo](https://gohugo.io/) and great open-source software.",
            "credit",
        ),
        (
            "[Status](https://s.example/)[About Us](https://a.example/about)[Pricing]"
            "(https://a.example/pricing)Your Privacy Choices[Blog](https://b.example/)",
            "row of links",
        ),
        ("Cookie Settings", "banner"),
    ],
)
def test_tracking_images_pointers_credits_and_link_rows_are_furniture(text, reason):
    assert reason in is_furniture(text)
    assert judge_change("added", None, text).significance == "furniture"


def test_a_policy_sentence_that_names_cookie_settings_is_not_a_banner():
    text = (
        'Accessing your cookie consent mechanism by accessing your "Cookie Settings" at the '
        "bottom of our website."
    )
    assert is_furniture(text) is None
    assert judge_change("added", None, text).significance == "substantive"
    # A reworded clause's own "Read our cookies policy" is a change of that clause.
    reworded = judge_change(
        "reworded",
        "Read our [cookies policy](https://a.example/cookies?x=1).",
        "Read our [cookies policy](https://a.example/cookies?x=2).",
    )
    assert reworded.significance == "cosmetic"


def test_a_date_note_a_heading_or_an_address_reworded_is_wording():
    note = judge_change(
        "reworded",
        "Note: This policy is effective on September 28, 2025 or the date you acknowledge.",
        "Note: This policy is effective on October 8, 2025 or the date you acknowledge.",
    )
    assert (note.significance, note.rule) == ("wording", "date")
    title = judge_change(
        "reworded",
        "**Llama 3.1** **Acceptable Use Policy**",
        "**Llama 3.2** **Acceptable Use Policy**",
    )
    assert (title.significance, title.rule) == ("wording", "heading")
    moved = judge_change(
        "reworded",
        "Send notices to Acme, 1 Bluxome St #312, San Francisco, CA 94107, by mail.",
        "Send notices to Acme, 427 Brannan St, San Francisco, CA 94107, by mail.",
    )
    assert (moved.significance, moved.rule) == ("wording", "contact")
    both = judge_change(
        "reworded",
        "To improve our services and the Tool",
        "To improve our services and/or the Tool",
    )
    assert both.significance == "wording"


def test_a_contracting_party_a_defined_document_or_a_place_replaced_is_substantive():
    party = judge_change(
        "reworded",
        "“OpenAI Contracting Party” means: (a) OpenAI OpCo, LLC, for Customers outside the EEA.",
        "“OpenAI Contracting Party” means: (a) OpenAI, L.L.C., for Customers outside the EEA.",
    )
    assert (party.significance, party.rule) == ("substantive", "party")
    addendum = judge_change(
        "reworded",
        "“**Supplementary Data Transfer Addendum**” means the terms at [x](https://a.example/1).",
        "“**Global Data Transfer Addendum**” means the terms at [x](https://a.example/2).",
    )
    assert (addendum.significance, addendum.rule) == ("substantive", "party")
    place = judge_change(
        "reworded",
        "| Google Cloud Platform<br>Cloud Infrastructure<br>Ireland, United States |",
        "| Google Cloud Platform<br>Cloud Infrastructure<br>Netherlands, United States |",
    )
    assert (place.significance, place.rule) == ("substantive", "location")
    # A product renamed, or a vendor's legal name added beside its own, is wording.
    renamed = judge_change(
        "reworded", "Use DreamBrand Studio to design.", "Use Brand Studio to design."
    )
    assert renamed.significance == "wording"
    named = judge_change(
        "reworded",
        "| Resend<br>Email communications<br>Ireland |",
        "| Plus Five Five, Inc. (Resend)<br>Email communications<br>Ireland |",
    )
    assert named.significance == "wording"


def test_a_clause_re_cut_with_a_change_is_judged_as_one_rewording():
    tail = "provides services to Acme AB with regards to network and server design and support"
    old, new = (
        f"GetGeek AB (Org nr: 559073-1039), {tail}",
        f"Toriv AB (Org nr: 559052-0937), {tail}",
    )
    added = judge_change("added", None, new, counterparts=Counterparts([old]))
    assert (added.significance, added.rule) == ("substantive", "resplit-changed")
    # Split out of a paragraph whose other sentence was dropped: the split is a change too.
    paragraph = "You may close your account at any time. We may also keep your credits."
    cut = judge_change(
        "added",
        None,
        "You may close your account at any time.",
        counterparts=Counterparts([paragraph]),
        siblings=Counterparts(["You may close your account at any time."]),
    )
    assert cut.significance == "substantive"
    whole = judge_change(
        "added",
        None,
        "You may close your account at any time.",
        counterparts=Counterparts([paragraph]),
        siblings=Counterparts(
            ["You may close your account at any time.", "We may also keep your credits."]
        ),
    )
    assert (whole.significance, whole.rule) == ("wording", "resplit")
    # A clause cut into list items keeps its words: "(b) …" is the old clause's sentence.
    item = judge_change(
        "added",
        None,
        "(b) you may not be able to access your Account; and",
        counterparts=Counterparts(
            ["If we end it, you may not be able to access your Account; and"]
        ),
        siblings=Counterparts(
            ["(a) we end it;", "(b) you may not be able to access your Account; and"]
        ),
    )
    assert item.rule == "resplit"
    merged = judge_change(
        "added",
        None,
        "You have the right not to be discriminated against. Please note some data is exempt.",
        counterparts=Counterparts(
            [
                "You have the right not to be discriminated against.",
                "Please note some data is exempt.",
            ]
        ),
    )
    assert (merged.significance, merged.rule) == ("wording", "resplit")


def test_a_copy_of_a_clause_that_stays_is_a_duplicated_capture():
    text = (
        "All sub-processors are bound by contractual obligations equivalent to those in our DPAs."
    )
    verdict = judge_change("added", None, text, unchanged={text})
    assert (verdict.significance, verdict.rule) == ("glitch", "duplicate")
    # A short heading standing twice (a contents list and its section) is no duplicate.
    heading = judge_change("removed", "Investigations", None, unchanged={"Investigations"})
    assert heading.rule != "duplicate"
