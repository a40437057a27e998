"""Markdown in stored clauses, rendered for reading: safe whatever the text says."""

from provisions.quoting import render_quote


def test_plain_text_is_escaped_and_keeps_its_line_breaks():
    assert render_quote("A < B & C\nnext") == "A &lt; B &amp; C<br>\nnext"


def test_emphasis_and_web_links_are_rendered():
    html = render_quote("**50.11.** see the [Acceptable Use Policy](https://example.com/aup)")
    assert html == (
        '<strong>50.11.</strong> see the <a href="https://example.com/aup" '
        'rel="nofollow noopener">Acceptable Use Policy</a>'
    )


def test_links_that_are_not_http_stay_text():
    for target in ("javascript:alert(1)", "/relative", "data:text/html,x", "mailto:a@b.c"):
        html = render_quote(f"[click]({target})")
        assert "<a" not in html
        assert html == f"[click]({target})".replace("&", "&amp;")


def test_raw_html_is_shown_as_text_never_passed_through():
    html = render_quote('<script>alert(1)</script> <img src=x onerror="alert(1)"> **b**')
    assert "<script" not in html and "<img" not in html
    assert html.startswith("&lt;script&gt;alert(1)&lt;/script&gt; &lt;img")
    assert "<strong>b</strong>" in html


def test_autolinks_only_for_web_addresses():
    assert '<a href="https://a.example/x"' in render_quote("<https://a.example/x>")
    assert render_quote("<javascript:alert(1)>") == "&lt;javascript:alert(1)&gt;"
