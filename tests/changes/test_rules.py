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
    # A version replaced for good (A B C) is no glitch, nor is the latest capture.
    assert find_glitches([1, 2, 3], {1: 50, 2: 48, 3: 49}) == {}
    assert find_glitches([1, 2], {1: 50, 2: 2}) == {}


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
