"""A draft policy as the checker reads it: pasted Markdown or plain text, or an uploaded
``.md``, ``.txt``, ``.html`` or ``.pdf`` file, turned into the Markdown the splitter reads.

The limits and their messages are the importer's (``provisions.reading``): the same size limit
(``ATLAS_MAX_DOCUMENT_BYTES``), UTF-8 only, no NUL bytes, no clause too long to index. HTML is
converted as the tracker converts pages (``tracking.extract.extract_html``) and PDF as it
converts PDFs (pdfminer, ``tracking.extract.extract_pdf``). Nothing here touches the database,
and no text read here is ever logged: a draft may be someone's unpublished policy.
"""

from __future__ import annotations

from pathlib import PurePath

from django.conf import settings

from provisions.parse import Segment, split_provisions
from provisions.reading import SourceError, check_clauses, check_size, decode_document
from tracking.extract import ExtractError, extract_html, extract_pdf

# A draft longer than this many clauses is refused: each clause is encoded by the sentence model
# during the request (about 80 a second on two cores), and the longest policy in the shared
# corpus has about 250.
MAX_CLAUSES = 600
# What a multipart body adds to the file itself (boundaries, headers, the CSRF token).
FORM_OVERHEAD_BYTES = 64 * 1024

TEXT_SUFFIXES = {".md", ".markdown", ".txt"}
HTML_SUFFIXES = {".html", ".htm"}
PDF_SUFFIXES = {".pdf"}
ACCEPTED = ".md, .txt, .html or .pdf"
PASTED = "the pasted text"


class DraftError(ValueError):
    """The draft cannot be checked; the message says why, in one line, for the person who sent
    it (a 400, or 413 when ``too_large``)."""

    def __init__(self, message: str, *, too_large: bool = False):
        super().__init__(message)
        self.too_large = too_large


def max_bytes() -> int:
    return settings.ATLAS_MAX_DOCUMENT_BYTES


def check_content_length(length: str | None) -> None:
    """Refuse a body that cannot hold an acceptable draft before anything reads it."""
    limit = max_bytes() + FORM_OVERHEAD_BYTES
    if length and (not length.isdigit() or int(length) > limit):
        raise DraftError(
            f"The request is too large: a draft may be at most {max_bytes() / 1e6:.1f} MB.",
            too_large=True,
        )


def read_pasted(text: str) -> str:
    """Pasted Markdown or plain text, checked as the importer checks a file."""
    return _decode(text.encode("utf-8", errors="surrogatepass"), name=PASTED)


def read_upload(name: str, data: bytes) -> str:
    """An uploaded file's text as Markdown; the kind is told by the name's suffix, and the
    bytes must be of that kind (a binary file named ``.txt`` is refused as not UTF-8)."""
    shown = PurePath(name or "upload").name[:120] or "upload"
    suffix = PurePath(shown).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return _decode(data, name=shown)
    if suffix in HTML_SUFFIXES:
        html = _decode(data, name=shown)
        try:
            # No base address: the draft has none, and relative links stay as written.
            markdown = extract_html(html, url="")
        except ExtractError:
            raise DraftError(f"{shown}: the page has no text to check.") from None
        return _checked(markdown, name=shown)
    if suffix in PDF_SUFFIXES:
        _check_size(len(data), name=shown)
        if not data.startswith(b"%PDF-"):
            raise DraftError(f"{shown}: not a PDF (it does not start with %PDF-).")
        try:
            text = extract_pdf(
                data,
                url=shown,
                max_pages=settings.ATLAS_CHECK_PDF_MAX_PAGES,
                max_seconds=settings.ATLAS_CHECK_PDF_MAX_SECONDS,
            )
        except ExtractError as error:
            raise DraftError(str(error), too_large=error.failure == "too_large") from None
        return _checked(text, name=shown)
    raise DraftError(f"{shown}: unsupported file type; upload a {ACCEPTED} file.")


def split_draft(text: str) -> list[Segment]:
    """The draft's clauses, by the importer's splitter; a DraftError when there are none or
    too many to check in one request."""
    segments = split_provisions(text)
    if not segments:
        raise DraftError("No clause found in the draft: it has no sentence the splitter keeps.")
    if len(segments) > MAX_CLAUSES:
        raise DraftError(
            f"The draft has {len(segments)} clauses; the checker takes at most {MAX_CLAUSES} "
            "at a time. Check it in parts."
        )
    return segments


def _decode(data: bytes, *, name: str) -> str:
    try:
        return decode_document(data, name=name, max_bytes=max_bytes())
    except SourceError as error:
        raise DraftError(str(error), too_large=_is_too_large(data)) from None


def _check_size(size: int, *, name: str) -> None:
    try:
        check_size(size, name=name, max_bytes=max_bytes())
    except SourceError as error:
        raise DraftError(str(error), too_large=True) from None


def _checked(text: str, *, name: str) -> str:
    """Converted text passes the checks a file's text passes."""
    text = text.replace("\x00", "")
    if not text.strip():
        raise DraftError(f"{name}: no text found in it.")
    try:
        check_clauses(text, name=name, size=len(text.encode("utf-8")))
    except SourceError as error:
        raise DraftError(str(error)) from None
    return text


def _is_too_large(data: bytes) -> bool:
    return len(data) > max_bytes()
