"""Extraction against OTA's own output: unit cases for turndown's conventions, then real pages."""

import statistics

import pytest

from tracking.declarations import pages_of
from tracking.extract import ExtractError, Page, extract_document, extract_html
from tracking.snapshots import line_match, read_cases, word_match

URL = "https://example.com/legal/terms"


def test_markdown_follows_turndown_conventions():
    html = (
        "<main><h1>Terms</h1><h2>Scope</h2><h3>Details</h3>"
        "<p>Some <em>stress</em> and <strong>weight</strong>, a_b * c [x]</p>"
        "<ul><li>one</li><li>two</li></ul><ol start='3'><li>three</li></ol><hr></main>"
    )
    assert extract_html(html, url=URL, select=["main"]) == (
        "Terms\n=====\n\nScope\n-----\n\n### Details\n\n"
        "Some _stress_ and **weight**, a\\_b \\* c \\[x\\]\n\n"
        "*   one\n*   two\n\n3.  three\n\n* * *"
    )


def test_links_are_absolute_trimmed_and_lose_tracking_parameters():
    html = (
        '<div id="c"><a href="../privacy?utm_source=x&amp;fbclid=1&amp;a=b"> Privacy </a> '
        '<a href="#top">top</a><script>alert(1)</script><style>p{}</style></div>'
    )
    assert extract_html(html, url=URL, select="#c") == (
        "[Privacy](https://example.com/privacy?utm_source=x&a=b) [top](#top)"
    )


def test_remove_and_range_selectors():
    html = (
        "<article><h2>A</h2><p>keep a</p><div class='ad'>ad</div>"
        "<h2 id='b'>B</h2><p>keep b</p><h2 id='c'>C</h2><p>drop c</p></article>"
    )
    text = extract_html(
        html,
        url=URL,
        select=[{"startBefore": "article", "endBefore": "#c"}],
        remove=[".ad", {"startAfter": "#b", "endBefore": "#b + p"}],
    )
    assert text == "A\n-\n\nkeep a\n\nB\n-\n\nkeep b"


def test_selector_matching_nothing_is_an_error_not_an_empty_text():
    with pytest.raises(ExtractError, match="matches nothing"):
        extract_html("<p>hello</p>", url=URL, select=[".policy"])
    with pytest.raises(ExtractError, match="invalid CSS selector"):
        extract_html("<p>hello</p>", url=URL, select=["p[["])


def test_combined_pages_are_joined_as_ota_joins_them():
    pages = [
        ({"select": "p"}, Page(URL, b"<p>first</p>")),
        ({"select": "p"}, Page(URL + "2", b"<p>second \xe2\x80\x93</p>")),
    ]
    assert extract_document(pages) == "first\n\n- - -\n\nsecond \u2013"


def _extract_capture(case, capture):
    return extract_document(
        [
            (rules, Page(f.url, f.read(), f.content_type))
            for rules, f in zip(pages_of(case.declaration), capture.files, strict=True)
        ]
    )


def test_unreadable_pdf_is_an_error_naming_the_url():
    with pytest.raises(ExtractError, match="not a readable PDF") as error:
        extract_document([({}, Page(URL + ".pdf", b"%PDF-1.7 garbage", "application/pdf"))])
    assert error.value.failure == "unsupported"


def test_real_pdfs_keep_ota_words(snapshots_dir):
    # OTA's pdf.js converter breaks lines its own way; the words are what must match.
    for case in read_cases(snapshots_dir):
        if case.features["pdf"]:
            capture = case.captures[0]
            text = _extract_capture(case, capture)
            assert word_match(text, capture.expected.read_text(encoding="utf-8")) >= 0.93


def test_real_snapshots_match_what_ota_recorded(snapshots_dir):
    scores = {}
    for case in read_cases(snapshots_dir):
        if case.features["pdf"]:
            continue  # above
        previous = None
        for capture in case.captures:
            text = _extract_capture(case, capture)
            if capture.expected is None:
                assert text == previous, f"{case.id} #{capture.number} is a no-op in OTA"
                continue
            expected = capture.expected.read_text(encoding="utf-8")
            scores[f"{case.id}#{capture.number}"] = (
                line_match(text, expected),
                word_match(text, expected),
            )
            previous = text
    lines = [s[0] for s in scores.values()]
    words = [s[1] for s in scores.values()]
    assert len(scores) >= 100
    assert statistics.median(lines) >= 0.97
    assert statistics.median(words) >= 0.99
    assert min(lines) >= 0.90, min(scores.items(), key=lambda item: item[1][0])
