"""Which stored version is this document? From a SHA-256, or from the file itself.

A pasted hash is compared as it is: it must be the SHA-256 of the UTF-8 bytes of the text as
stored. A file is hashed as it is first; if no version has those bytes, the common differences
between a copy and the stored text are undone one at a time and together: a UTF-8 byte-order
mark, another encoding (UTF-16 with its BOM, else Windows-1252), Windows (CRLF) or old Mac (CR)
line endings, or LF where the stored text has CRLF, and a final newline added or missing. A
match says which of these it took (``Candidate.steps``), so nothing is normalised silently.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass

from provisions.models import Version

SHA256 = re.compile(r"\A[0-9a-f]{64}\Z")


class VerifyError(ValueError):
    """The input cannot be checked (not a SHA-256, too large, not text); the message says why."""


@dataclass(frozen=True)
class Candidate:
    sha256: str
    steps: tuple[str, ...]  # the normalisations applied, in order; () for the exact bytes

    @property
    def description(self) -> str:
        return "; ".join(self.steps) if self.steps else "none: the exact bytes match"


@dataclass(frozen=True)
class Match:
    version: Version
    candidate: Candidate


def clean_sha256(value: str) -> str:
    """A pasted SHA-256 (64 hex digits, any case, surrounding space allowed), lowercased."""
    digest = (value or "").strip().lower()
    if not SHA256.match(digest):
        raise VerifyError("A SHA-256 is 64 hexadecimal digits (0-9, a-f).")
    return digest


def candidates(data: bytes, *, max_bytes: int) -> list[Candidate]:
    """The hashes to look for, the exact bytes first, then each normalised form (deduplicated,
    fewest normalisations first)."""
    if len(data) > max_bytes:
        raise VerifyError(f"The file is {len(data):,} bytes; the limit is {max_bytes:,} bytes.")
    if not data:
        raise VerifyError("The file is empty.")
    found = [Candidate(_sha256(data), ())]
    text, decoding = _decode(data)
    if "\x00" in text:
        raise VerifyError("The file is not text (it contains NUL characters).")
    for line_step, lined in _line_endings(text):
        for end_step, ended in _final_newline(lined):
            steps = tuple(step for step in (decoding, line_step, end_step) if step)
            found.append(Candidate(_sha256(ended.encode("utf-8")), steps))
    seen, unique = set(), []
    for candidate in sorted(found, key=lambda c: len(c.steps)):
        if candidate.sha256 not in seen:
            seen.add(candidate.sha256)
            unique.append(candidate)
    return unique


def identify(found: list[Candidate]) -> list[Match]:
    """The stored versions with any of these hashes, matched by the fewest normalisations."""
    by_hash = {candidate.sha256: candidate for candidate in found}
    versions = (
        Version.objects.filter(sha256__in=by_hash)
        .select_related("document__platform")
        .defer("text")
        .order_by("captured_at", "id")
    )
    matches = [Match(version, by_hash[version.sha256]) for version in versions]
    return sorted(matches, key=lambda m: len(m.candidate.steps))


def versions_with_sha256(digest: str):
    return (
        Version.objects.filter(sha256=digest)
        .select_related("document__platform")
        .defer("text")
        .order_by("captured_at", "id")
    )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _decode(data: bytes) -> tuple[str, str]:
    """The text and how it was read ("" when it is plain UTF-8 without a BOM)."""
    for bom, codec, name in (
        (codecs.BOM_UTF8, "utf-8", "UTF-8 byte-order mark removed"),
        (codecs.BOM_UTF16_LE, "utf-16-le", "decoded from UTF-16 (little-endian, with BOM)"),
        (codecs.BOM_UTF16_BE, "utf-16-be", "decoded from UTF-16 (big-endian, with BOM)"),
    ):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec), name
            except UnicodeDecodeError:
                raise VerifyError(
                    f"The file starts with a {codec} BOM but is not {codec}."
                ) from None
    try:
        return data.decode("utf-8"), ""
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "decoded from Windows-1252 (not UTF-8)"
    except UnicodeDecodeError:
        raise VerifyError(
            "The file is neither UTF-8, UTF-16 with a byte-order mark, nor Windows-1252 text."
        ) from None


def _line_endings(text: str) -> list[tuple[str, str]]:
    forms = [("", text)]
    lf = text.replace("\r\n", "\n").replace("\r", "\n")
    if lf != text:
        forms.append(("line endings CRLF/CR turned into LF", lf))
    crlf = lf.replace("\n", "\r\n")
    if crlf != text:
        forms.append(("line endings turned into CRLF", crlf))
    return forms


def _final_newline(text: str) -> list[tuple[str, str]]:
    newline = "\r\n" if "\r\n" in text else "\n"
    if text.endswith("\r\n") or text.endswith("\n"):
        kept = text[: -2 if text.endswith("\r\n") else -1]
        return [("", text), ("final newline removed", kept)]
    return [("", text), ("final newline added", text + newline)]
