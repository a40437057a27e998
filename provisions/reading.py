"""What every source reader gives and checks: a ``Capture`` read but not yet stored, the
``SourceError`` a bad source raises (one line, naming the file), and the checks every document's
bytes pass before anything is stored (``decode_document``). Nothing here touches the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from provisions.parse import split_provisions

# A clause's search vector must stay under PostgreSQL's 1 MB tsvector limit; its size is at most
# about 5 bytes per byte of text (a 4-byte entry and a 2-byte position per one-letter word),
# and no real clause comes near this (the longest in the shared corpus is under 4 kB).
MAX_CLAUSE_BYTES = 150_000


class SourceError(Exception):
    """A source cannot be imported; the message is one line and names the file."""


# A declared variant: "EU", "US:en", "global:fr-CA" (region, then an optional language tag).
VARIANT = re.compile(
    r"^(?P<region>[A-Za-z][A-Za-z0-9-]{0,19})(?::(?P<language>[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?))?$"
)


def parse_variant(value: str, *, where: str) -> tuple[str, str]:
    """``"EU:en"`` -> ("EU", "en"); a SourceError naming ``where`` for anything else (the
    ``--variant`` option and a corpus manifest's ``text_variant`` field)."""
    match = VARIANT.match(value or "")
    if not match:
        raise SourceError(
            f"{where}: variant {value[:60]!r} is not REGION[:LANG] (e.g. EU, US:en, global:fr)"
        )
    return match["region"], match["language"] or ""


@dataclass(frozen=True)
class Capture:
    """One version of one document, as read from a source (not yet stored)."""

    key: str
    kind: str  # a CaptureKind value
    captured_at: datetime
    text: str
    sha256: str
    path: str  # OTA: "<service>/<terms type>"; corpus: path inside the corpus folder
    origin: str  # an Origin value
    origin_ref: str
    repository: str = ""
    commit: str = ""
    subject: str = ""
    source_url: str = ""
    licence: str = ""
    # Corpus files name their document directly:
    platform_slug: str = ""
    platform_name: str = ""
    document_slug: str = ""
    document_name: str = ""
    # The variant its source declared (provisions.variants): "" region = none declared.
    region: str = ""
    language: str = ""
    collection: str = ""


def decode_document(data: bytes, *, name: str, max_bytes: int) -> str:
    """Bytes of a policy file -> text, or a SourceError saying exactly what is wrong."""
    check_size(len(data), name=name, max_bytes=max_bytes)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SourceError(
            f"{name}: not UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start})"
        ) from None
    if not text.strip():
        raise SourceError(f"{name}: empty document")
    if "\x00" in text:
        raise SourceError(f"{name}: contains NUL bytes (binary, not a policy text)")
    check_clauses(text, name=name, size=len(data))
    return text


def check_size(size: int, *, name: str, max_bytes: int) -> None:
    if size > max_bytes:
        raise SourceError(
            f"{name}: too large ({size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB)"
        )


def check_clauses(text: str, *, name: str, size: int) -> None:
    """Refuse a document with a clause too long to index, so that storing it cannot fail."""
    if size <= MAX_CLAUSE_BYTES:
        return  # no clause of it can be longer than the whole text
    for segment in split_provisions(text):
        indexed = segment.text + "".join(segment.heading_path)
        if len(indexed.encode("utf-8")) > MAX_CLAUSE_BYTES:
            raise SourceError(
                f"{name}: the clause at character {segment.start} is too long to index "
                f"({len(indexed.encode('utf-8')) / 1e3:.0f} kB with its headings; "
                f"the limit is {MAX_CLAUSE_BYTES / 1e3:.0f} kB)"
            )
