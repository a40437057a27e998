"""What changed: word by word inside one clause, and provision by provision between versions.

Both work on stored text only (spans of hashed versions), so a diff never shows words that
were not in one of the two texts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cached_property

from provisions.models import format_record_id
from provisions.parse import normalize_text

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


# Typography that never changes what a clause says: curly and straight quotes, dashes,
# invisible characters, odd spaces.
TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u200a": " ",
        "\u3000": " ",
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
        "\u00ad": None,
    }
)
PUNCTUATION = re.compile(r"[^\w\s]+", re.UNICODE)


def typographic_form(text: str) -> str:
    """What a clause says with typography set aside: link targets, emphasis, spacing (as in
    ``normalize_text``), then quotes, apostrophes, dashes, invisible characters and punctuation
    marks. Two wordings with one typographic form differ only typographically."""
    text = unicodedata.normalize("NFKC", normalize_text(text).translate(TYPOGRAPHY))
    return " ".join(PUNCTUATION.sub(" ", text).casefold().split())


class Edit:
    """How one provision changed between two versions (``compare_clauses`` decides)."""

    ADDED = "added"
    REMOVED = "removed"
    REWORDED = "reworded"  # other words: counted as a rewording
    TYPOGRAPHIC = "typographic"  # quotes, dashes, punctuation, spacing: never a rewording
    MARKUP = "markup"  # same wording, other link targets or emphasis


def edit_kind(old_revision: int, new_revision: int, old_text: str, new_text: str) -> str | None:
    """The edit between two wordings of one provision; None when the text is the same.

    A provision keeps its revision while its normalized text (links, emphasis and spacing set
    aside) is unchanged, so a change of revision is a change of words or of typography."""
    if old_revision == new_revision:
        return None if old_text == new_text else Edit.MARKUP
    if typographic_form(old_text) == typographic_form(new_text):
        return Edit.TYPOGRAPHIC
    return Edit.REWORDED


@dataclass
class Tally:
    """Provision ids per edit between two versions; the one count of added / removed /
    reworded that pages, diffs and the API show."""

    added: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    reworded: list[int] = field(default_factory=list)
    typographic: list[int] = field(default_factory=list)
    markup: list[int] = field(default_factory=list)
    unchanged: int = 0

    @property
    def counts(self) -> tuple[int, int, int]:
        """(added, removed, reworded): typographic and markup edits are not rewordings."""
        return len(self.added), len(self.removed), len(self.reworded)


def compare_clauses(
    before: Mapping[int, tuple[int, str]], after: Mapping[int, tuple[int, str]]
) -> Tally:
    """Sort provisions into added, removed, reworded, typographic, markup and unchanged.

    ``before`` and ``after`` map provision id -> (revision id, text), where the text is the
    span's verbatim text or its revision's wording (both give the same result: a revision's
    spans share one normalized text, and ``typographic_form`` starts from it)."""
    tally = Tally()
    for pk, (revision, text) in after.items():
        if pk not in before:
            tally.added.append(pk)
            continue
        kind = edit_kind(before[pk][0], revision, before[pk][1], text)
        if kind is None:
            tally.unchanged += 1
        else:
            getattr(tally, kind).append(pk)
    tally.removed.extend(pk for pk in before if pk not in after)
    return tally


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
    # Typography (quotes, dashes, punctuation, spacing) and link targets or emphasis: listed
    # apart, never counted as rewordings.
    typographic: list[ClauseChange] = field(default_factory=list)
    markup: list[ClauseChange] = field(default_factory=list)


def diff_versions(old, new) -> VersionDiff:
    """Provision-level diff of two versions of one document: four queries, two per version.

    Clauses are sorted by ``compare_clauses``, the count every page and the API share."""

    def clauses(version):
        # Each clause cut from the version text read once: cutting it in SQL read the whole
        # text again per span (a 20,000-provision document took ~56 s).
        text = version.text
        spans = version.spans.order_by("position").values_list(
            "provision_id", "revision_id", "start", "end", "heading_path"
        )
        return {pk: (revision, text[start:end], path) for pk, revision, start, end, path in spans}

    before, after = clauses(old), clauses(new)
    tally = compare_clauses(
        {pk: value[:2] for pk, value in before.items()},
        {pk: value[:2] for pk, value in after.items()},
    )

    def change(pk):
        old_text = before[pk][1] if pk in before else None
        new_text, path = (after[pk][1], after[pk][2]) if pk in after else (None, before[pk][2])
        return ClauseChange(pk, format_record_id("P", pk), old_text, new_text, path)

    return VersionDiff(
        old,
        new,
        [change(pk) for pk in tally.added],
        [change(pk) for pk in tally.removed],
        [change(pk) for pk in tally.reworded],
        tally.unchanged,
        typographic=[change(pk) for pk in tally.typographic],
        markup=[change(pk) for pk in tally.markup],
    )
