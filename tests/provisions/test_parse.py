import json

import pytest

from provisions.parse import is_chrome, normalize_text, split_blocks, split_provisions

POLICY = """Acceptable Use Policy
=====================

Effective: July 31, 2025 (see [previous version](https://example.com/prior))

If you use our Services, you agree to this Policy and to our [Terms](https://example.com/t).

### **We Prohibit Harm to Children.**

This includes using our technology to facilitate:

*   child sexual abuse material (CSAM).

*   grooming of minors, including
    continuation on a second line.

We will report CSAM to the appropriate authorities.

**Enforcement**

1. We may suspend accounts.
2) We may terminate accounts.

![](https://cdn.example.com/logo.png)

Example Corp is unlocking creativity for everyone, everywhere, all the time.

#### Company

[Board](https://example.com/board)

[Careers](https://example.com/careers)

#### Join the Mailing List

Email\\*

Please SelectEnterprise solutionsGaming

[](https://discord.gg/x)[](https://x.com/y)

© Example Corp Ltd, 2026"""


def texts(source: str) -> list[str]:
    return [s.text for s in split_provisions(source)]


def test_every_segment_is_an_exact_span_of_the_source():
    for segment in split_provisions(POLICY):
        assert POLICY[segment.start : segment.end] == segment.text


def test_splits_rules_and_drops_headings_lead_ins_stamps_and_footer():
    assert texts(POLICY) == [
        "If you use our Services, you agree to this Policy and to our [Terms](https://example.com/t).",
        "child sexual abuse material (CSAM).",
        "grooming of minors, including\n    continuation on a second line.",
        "We will report CSAM to the appropriate authorities.",
        "We may suspend accounts.",
        "We may terminate accounts.",
    ]


def test_heading_paths_and_lead_ins_give_context():
    segments = split_provisions(POLICY)
    csam = segments[1]
    assert csam.heading_path == ("Acceptable Use Policy", "We Prohibit Harm to Children")
    assert csam.lead_in == "This includes using our technology to facilitate:"
    assert segments[4].heading_path == (
        "Acceptable Use Policy",
        "We Prohibit Harm to Children",
        "Enforcement",
    )
    assert segments[4].kind == "item" and segments[0].kind == "paragraph"


def test_a_long_lead_in_that_states_a_rule_is_kept():
    source = (
        "You may not use the Services for any illegal, harmful or abusive activity, and in "
        "particular you may not:\n\n- sell the outputs\n- resell access\n"
    )
    assert texts(source)[0].startswith("You may not use the Services")
    assert texts(source)[1:] == ["sell the outputs", "resell access"]


@pytest.mark.parametrize(
    "block",
    [
        "[Careers](https://example.com/careers)",
        "![](https://example.com/a.png)",
        "[](https://discord.gg/x)[](https://x.com/y)",
        "© Stability AI Ltd, 2026",
        "Copyright 2024 Example. All rights reserved.",
        "Please SelectEnterprise solutions",
        "Join the Mailing List",
    ],
)
def test_site_chrome_is_recognised(block):
    assert is_chrome(block)


@pytest.mark.parametrize(
    "block",
    [
        "Do not use [our models](https://x.com) to create malware.",
        "We will report CSAM to the appropriate authorities.",
    ],
)
def test_rules_with_links_are_not_chrome(block):
    assert not is_chrome(block)


def test_normalized_text_ignores_link_targets_emphasis_and_spacing():
    assert normalize_text("**Do not** use [it](https://a.example/?x=1)\n  badly.") == (
        normalize_text("Do not use [it](https://b.example/) badly.")
    )


def test_setext_and_atx_headings_become_headings_not_provisions():
    blocks = split_blocks(
        "Title\n=====\n\nSub\n---\n\n## Third ##\n\nBody text of the rule here.\n"
    )
    assert [b.kind for b in blocks] == ["heading", "heading", "heading", "paragraph"]
    assert [b.level for b in blocks[:3]] == [1, 2, 2]


def test_empty_and_chrome_only_documents_have_no_provisions():
    assert split_provisions("") == []
    assert split_provisions("[Home](/)\n\n[About](/about)\n\n© Example 2025\n") == []


def test_crlf_text_keeps_exact_spans():
    source = "# Rules\r\n\r\n- Do not build weapons.\r\n- Do not spam people.\r\n"
    segments = split_provisions(source)
    assert [s.text for s in segments] == ["Do not build weapons.", "Do not spam people."]
    assert all(source[s.start : s.end] == s.text for s in segments)


@pytest.mark.realdata
def test_every_corpus_file_splits_into_exact_spans(corpus_dir):
    manifest = json.loads((corpus_dir / "manifest.json").read_text())
    total = 0
    for entry in manifest:
        source = (corpus_dir / entry["path"]).read_text(encoding="utf-8")
        segments = split_provisions(source)
        assert segments, entry["path"]
        for segment in segments:
            assert source[segment.start : segment.end] == segment.text
            assert segment.text == segment.text.strip()
        total += len(segments)
    assert total > 10_000


@pytest.mark.realdata
def test_stability_policy_footer_and_mailing_list_are_not_provisions(corpus_dir):
    for path in sorted((corpus_dir / "stability-ai" / "acceptable-use-policy").glob("*.md")):
        found = texts(path.read_text(encoding="utf-8"))
        assert len(found) == 34, path.name
        joined = "\n".join(found)
        for chrome in ("Mailing List", "Please Select", "©", "Board of Directors", "unlocking"):
            assert chrome not in joined, (path.name, chrome)


ENUMERATED = (
    "# Use\n\nYou may not use the service to: (1) create child sexual abuse material; (2) share"
    " intimate images of anyone without their consent; or (3) write malware.\n\n"
    "- You represent that (i) you are at least 18 years old, and (ii) you are not barred from"
    " using the service.\n"
    "- Prohibited: a) sending spam to people b) running scams on users\n"
)


def test_each_part_of_an_inline_enumeration_is_a_provision_inside_its_clause():
    segments = split_provisions(ENUMERATED)
    assert [(s.kind, s.parent) for s in segments] == [
        ("paragraph", None),
        ("part", 0),
        ("part", 0),
        ("part", 0),
        ("item", None),
        ("part", 4),
        ("part", 4),
        ("item", None),
        ("part", 7),
        ("part", 7),
    ]
    assert [s.position for s in segments] == list(range(10))
    parts = [s for s in segments if s.kind == "part"]
    assert [s.text for s in parts[:3]] == [
        "(1) create child sexual abuse material;",
        "(2) share intimate images of anyone without their consent; or",
        "(3) write malware.",
    ]
    for part in parts:
        parent = segments[part.parent]
        # A verbatim span of the version, inside its parent's span.
        assert ENUMERATED[part.start : part.end] == part.text
        assert parent.start <= part.start < part.end <= parent.end
        assert part.heading_path == parent.heading_path
    # What the parts complete is their lead-in.
    assert parts[0].lead_in == "You may not use the service to:"
    assert parts[3].lead_in == "You represent that"
    assert parts[5].lead_in == "Prohibited:"


@pytest.mark.parametrize(
    "clause",
    [
        "As described in Sections (a) and (b) of these terms, you keep your rights.",
        "See clause 4(a) and clause 4(b) for the details of what we may do with it.",
        "The fee (i) applies once to every account that is opened with us this year.",
        "We may (2) suspend accounts or (1) close them when the law requires it of us.",
        "Subject to (a) above, we may share content (c) with partners of ours.",
    ],
)
def test_references_and_stray_markers_do_not_split_a_clause(clause):
    assert [s.kind for s in split_provisions(clause)] == ["paragraph"]
