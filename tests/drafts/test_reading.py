"""Reading a draft (``drafts.reading``): pasted text and uploaded files, converted and checked
as the importer checks files; every refusal is a one-line reason. No database."""

import pytest

from drafts.reading import DraftError, read_pasted, read_upload, split_draft

HTML = b"""<!doctype html><html><head><title>Draft</title>
<style>body { color: red }</style><script>alert("x")</script></head>
<body><h1>Acceptable use</h1><h2>Safety</h2>
<ul><li>Do not generate child sexual abuse material.</li>
<li>Do not harass <a href="/people">people</a>.</li></ul>
<p>These terms are governed by the laws of Ireland.</p></body></html>"""


def make_pdf(lines: list[str], pages: int = 1) -> bytes:
    """A PDF with each line as its own text block (pdfminer reads each as a paragraph), on each
    of ``pages`` pages: written by hand, objects and cross-reference table, so no PDF library
    is needed."""
    stream = "".join(
        f"BT /F1 12 Tf 72 {720 - 60 * i} Td ({line}) Tj ET\n" for i, line in enumerate(lines)
    ).encode("latin-1")
    # Objects 1 and 2: catalog and page tree; 3 and 4: content and font; then the pages.
    kids = " ".join(f"{5 + n} 0 R" for n in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ] + [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
        b"/Resources << /Font << /F1 4 0 R >> >> >>"
    ] * pages
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n"
    out += trailer.encode() + b"%%EOF\n"
    return bytes(out)


def test_pasted_markdown_is_split_by_the_importers_splitter():
    text = read_pasted("# Rules\n\n## Safety\n\n- Do not harass people.\n- Do not make malware.\n")
    segments = split_draft(text)
    assert [s.text for s in segments] == ["Do not harass people.", "Do not make malware."]
    assert segments[0].heading_path == ("Rules", "Safety")


def test_html_upload_becomes_markdown_without_scripts_or_styles():
    text = read_upload("draft.HTML", HTML)
    assert "alert" not in text and "color: red" not in text
    texts = [s.text for s in split_draft(text)]
    assert "Do not generate child sexual abuse material." in texts
    assert "These terms are governed by the laws of Ireland." in texts
    harass = next(s for s in split_draft(text) if "harass" in s.text)
    assert harass.heading_path == ("Acceptable use", "Safety")


def test_a_pdf_past_the_page_limit_is_refused_as_too_large(settings):
    settings.ATLAS_CHECK_PDF_MAX_PAGES = 3
    lines = ["Do not generate malware or spyware."]
    assert len(split_draft(read_upload("three.pdf", make_pdf(lines, pages=3)))) == 3
    with pytest.raises(DraftError) as error:
        read_upload("four.pdf", make_pdf(lines, pages=4))
    assert str(error.value) == "four.pdf: more than 3 pages" and error.value.too_large


def test_a_pdf_that_takes_too_long_to_read_is_refused(settings):
    settings.ATLAS_CHECK_PDF_MAX_SECONDS = 0  # over the budget after the first page
    with pytest.raises(DraftError) as error:
        read_upload("slow.pdf", make_pdf(["Users must be 18 or older."], pages=2))
    assert str(error.value) == "slow.pdf: reading it took more than 0 s (at page 1)"
    assert error.value.too_large


def test_pdf_upload_is_read_one_paragraph_per_text_block():
    pdf = make_pdf(["Do not generate malware or spyware.", "Users must be 18 or older."])
    texts = [s.text for s in split_draft(read_upload("draft.pdf", pdf))]
    assert texts == ["Do not generate malware or spyware.", "Users must be 18 or older."]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("draft.docx", b"PK\x03\x04 a zip", "unsupported file type; upload a .md, .txt"),
        ("draft.exe", b"MZ\x90\x00", "unsupported file type"),
        ("draft", b"Do not harass people.", "unsupported file type"),
        ("draft.txt", b"Do not \x00 harass people.", "contains NUL bytes"),
        ("draft.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "not UTF-8"),
        ("draft.md", b"Caf\xe9 rules", "not UTF-8 (byte 0xe9 at offset 3)"),
        ("draft.md", b"   \n\n ", "empty document"),
        ("draft.pdf", b"Do not harass people.", "not a PDF (it does not start with %PDF-)"),
        ("draft.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage\x00\xff", "PDF"),
        ("draft.html", b"<html><script>only()</script></html>", "no text"),
        ("draft.html", b"<p>caf\xe9</p>", "not UTF-8"),
    ],
)
def test_hostile_uploads_are_refused_with_a_reason_naming_the_file(name, data, message):
    with pytest.raises(DraftError) as refused:
        read_upload(name, data)
    assert message in str(refused.value)
    assert not refused.value.too_large
    if name.count("."):
        assert name in str(refused.value)


def test_a_file_over_the_importers_size_limit_is_refused_as_too_large(settings):
    settings.ATLAS_MAX_DOCUMENT_BYTES = 1000
    for name, data in (("big.md", b"a " * 600), ("big.pdf", make_pdf(["x" * 40] * 12) * 3)):
        with pytest.raises(DraftError) as refused:
            read_upload(name, data)
        assert refused.value.too_large
        assert f"{name}: too large" in str(refused.value) and "the limit is 0.0 MB" in str(
            refused.value
        )


def test_pasted_text_with_nul_or_lone_surrogates_is_refused():
    with pytest.raises(DraftError, match="contains NUL bytes"):
        read_pasted("Do not \x00 harass.")
    with pytest.raises(DraftError, match="not UTF-8"):
        read_pasted("Do not \ud800 harass.")


def test_a_draft_with_no_clause_or_too_many_is_refused():
    with pytest.raises(DraftError, match="No clause found"):
        split_draft("# Only a heading\n")
    many = "".join(f"- Rule number {n} applies to everyone.\n" for n in range(601))
    with pytest.raises(DraftError, match="The draft has 601 clauses; the checker takes at most"):
        split_draft(many)
