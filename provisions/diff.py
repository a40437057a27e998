"""What changed: word by word inside one clause, and provision by provision between versions.

Both work on stored text only (spans of hashed versions), so a diff never shows words that
were not in one of the two texts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cached_property

from provisions.models import format_record_id

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

    @cached_property
    def pieces(self) -> list[Piece] | None:
        """The word diff of a reworded clause, computed when shown: a page shows a few of the
        thousands a large document can have."""
        if self.old is None or self.new is None:
            return None
        return diff_words(self.old, self.new)


@dataclass
class VersionDiff:
    old: object
    new: object
    added: list[ClauseChange]
    removed: list[ClauseChange]
    reworded: list[ClauseChange]
    unchanged: int


def diff_versions(old, new) -> VersionDiff:
    """Provision-level diff of two versions of one document: four queries, two per version."""

    def clauses(version):
        # Each clause cut from the version text read once: cutting it in SQL read the whole
        # text again per span (a 20,000-provision document took ~56 s).
        text = version.text
        spans = version.spans.order_by("position").values_list(
            "provision_id", "revision_id", "start", "end", "heading_path"
        )
        return {pk: (revision, text[start:end], path) for pk, revision, start, end, path in spans}

    before, after = clauses(old), clauses(new)
    added, removed, reworded, unchanged = [], [], [], 0
    for pk, (revision, text, path) in after.items():
        if pk not in before:
            added.append(ClauseChange(pk, format_record_id("P", pk), None, text, path))
        elif before[pk][0] != revision or before[pk][1] != text:
            reworded.append(ClauseChange(pk, format_record_id("P", pk), before[pk][1], text, path))
        else:
            unchanged += 1
    for pk, (_revision, text, path) in before.items():
        if pk not in after:
            removed.append(ClauseChange(pk, format_record_id("P", pk), text, None, path))
    return VersionDiff(old, new, added, removed, reworded, unchanged)
