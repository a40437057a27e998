"""What changed: word by word inside one clause, and provision by provision between versions.

Both work on stored text only (spans of hashed versions), so a diff never shows words that
were not in one of the two texts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from django.db.models import F
from django.db.models.functions import Substr

TOKEN = re.compile(r"\s+|[^\W_]+(?:['’][^\W_]+)*|.", re.UNICODE)


@dataclass(frozen=True)
class Piece:
    op: str  # "equal", "insert" or "delete"
    text: str


def diff_words(old: str, new: str) -> list[Piece]:
    """Word-level diff: pieces that read ``new`` when deletions are skipped, ``old`` when
    insertions are. Whitespace belongs to the words around it, so spacing is kept exactly."""
    a, b = TOKEN.findall(old), TOKEN.findall(new)
    pieces: list[Piece] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(Piece("equal", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(Piece("delete", "".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(Piece("insert", "".join(b[j1:j2])))
    return pieces


@dataclass
class ClauseChange:
    provision_id: int
    record_id: str
    old: str | None  # verbatim in the older version; None when added
    new: str | None  # verbatim in the newer version; None when removed
    heading_path: list
    pieces: list[Piece] | None = None  # word diff, for reworded clauses


@dataclass
class VersionDiff:
    old: object
    new: object
    added: list[ClauseChange]
    removed: list[ClauseChange]
    reworded: list[ClauseChange]
    unchanged: int


def diff_versions(old, new) -> VersionDiff:
    """Provision-level diff of two versions of one document: two queries, one per version."""
    from provisions.models import format_record_id

    def clauses(version):
        spans = (
            version.spans.annotate(
                clause=Substr("version__text", F("start") + 1, F("end") - F("start"))
            )
            .order_by("position")
            .values_list("provision_id", "revision_id", "clause", "heading_path")
        )
        return {row[0]: row[1:] for row in spans}

    before, after = clauses(old), clauses(new)
    added, removed, reworded, unchanged = [], [], [], 0
    for pk, (revision, text, path) in after.items():
        if pk not in before:
            added.append(ClauseChange(pk, format_record_id("P", pk), None, text, path))
        elif before[pk][0] != revision or before[pk][1] != text:
            change = ClauseChange(pk, format_record_id("P", pk), before[pk][1], text, path)
            change.pieces = diff_words(change.old, change.new)
            reworded.append(change)
        else:
            unchanged += 1
    for pk, (_revision, text, path) in before.items():
        if pk not in after:
            removed.append(ClauseChange(pk, format_record_id("P", pk), text, None, path))
    return VersionDiff(old, new, added, removed, reworded, unchanged)
