"""The differences between two variants of one document (issue 19): the EU text against the
global one, each at its latest version.

Variants have separate provisions (each its own lineage), so their clauses are paired here the
way lineage pairs the clauses of consecutive versions (``provisions.lineage.match_segments``):
the same wording first, then rewordings at least ``REWORD_THRESHOLD`` similar. What is left is
only in one of the two texts. Each difference is graded by the rules that grade a change
between versions (``changes.rules.judge_change``), with variant ``a`` in the place of the older
version and ``b`` in the place of the newer one: a clause only in ``b`` is judged as an
addition would be, and its direction says whether ``b`` is the stricter text.

Everything is computed from the two stored versions' spans when asked for; nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import cached_property

from django.db.models import Max

from changes.models import Significance
from changes.rules import Counterparts, Verdict, judge_change
from provisions.diff import Piece, diff_words
from provisions.lineage import Known, match_segments
from provisions.models import Capture, Span, Variant, Version, format_record_id
from provisions.parse import Segment

LEAD_IN = "With its lead-in: "
# Longer pairs of wordings are shown side by side: the character-exact diff is quadratic, and
# a page can hold a hundred of them (some pages put a whole policy in one "clause").
DIFF_CHARACTERS = 12_000
ORDER = {"substantive": 0, "wording": 1, "cosmetic": 2, "furniture": 3}


@dataclass
class Clause:
    provision_id: int
    text: str  # verbatim, cut from the version's stored text
    heading_path: tuple[str, ...]
    lead_in: str

    @property
    def record_id(self) -> str:
        return format_record_id("P", self.provision_id)


@dataclass
class Difference:
    kind: str  # "only_a", "only_b" or "reworded"
    a: Clause | None
    b: Clause | None
    verdict: Verdict
    similarity: float | None = None
    # The verdict in the words of two texts (``explain``, ``direction``), set by
    # ``compare_variants``, which knows the two variants' labels.
    reason: str = ""
    direction_text: str = ""

    @property
    def significance(self) -> str:
        return self.verdict.significance

    @property
    def significance_label(self) -> str:
        return Significance(self.significance).label

    @cached_property
    def pieces(self) -> list[Piece] | None:
        """The word diff, computed when shown; None for a clause on one side only, or when the
        two wordings are too long to diff during a request (the page shows both instead)."""
        if self.a is None or self.b is None:
            return None
        if len(self.a.text) + len(self.b.text) > DIFF_CHARACTERS:
            return None
        return diff_words(self.a.text, self.b.text)

    @property
    def heading_path(self) -> tuple[str, ...]:
        return (self.b or self.a).heading_path


@dataclass
class Side:
    """One variant's text as it stood at the date compared: the version its last capture on or
    before that date recorded."""

    variant: Variant
    version: Version
    captured_at: datetime  # that capture's time


@dataclass
class VariantDiff:
    a: Side
    b: Side
    at: datetime  # the date compared
    same: int  # clauses with the same wording in both texts
    differences: list[Difference] = field(default_factory=list)

    @property
    def substantive(self) -> list[Difference]:
        return [d for d in self.differences if d.significance == "substantive"]

    @property
    def counts(self) -> dict[str, int]:
        """Differences of each kind: only in a, only in b, worded differently."""
        return {
            kind: sum(d.kind == kind for d in self.differences)
            for kind in ("only_a", "only_b", "reworded")
        }


class NoVersion(LookupError):
    """A variant with no capture on or before the date asked for: no text to compare."""


def end_of_day(day: date) -> datetime:
    """``?at=2026-01-31`` means the text as it stood at the end of that day (UTC)."""
    return datetime.combine(day, time.max, tzinfo=UTC)


def last_captured(variant: Variant) -> datetime | None:
    return Capture.objects.filter(version__variant=variant).aggregate(last=Max("captured_at"))[
        "last"
    ]


def side_at(variant: Variant, at: datetime) -> Side:
    capture = (
        Capture.objects.filter(version__variant=variant, captured_at__lte=at)
        .select_related("version")
        .order_by("-captured_at", "-id")
        .first()
    )
    if capture is None:
        raise NoVersion(f"The {variant.label} text has no capture on or before {at:%Y-%m-%d}.")
    return Side(variant, capture.version, capture.captured_at)


def _clauses(version: Version) -> list[tuple[Clause, Span]]:
    text = version.text
    spans = (
        Span.objects.filter(version=version)
        .select_related("revision")
        .only(
            "provision_id",
            "start",
            "end",
            "position",
            "heading_path",
            "lead_in",
            "parent_position",
            "revision__id",
            "revision__text",
            "revision__text_hash",
        )
        .order_by("position")
    )
    return [
        (Clause(s.provision_id, text[s.start : s.end], tuple(s.heading_path), s.lead_in), s)
        for s in spans
    ]


def compare_variants(a: Variant, b: Variant, at: datetime | None = None) -> VariantDiff:
    """The clauses of ``a``'s and ``b``'s texts as they stood at ``at``, paired and graded.

    By default each variant's latest text. An archive records a text when it changes, so a
    text last captured months ago is still the one in force as far as the archive knows;
    ``at`` compares the two as they stood on a past day instead."""
    if at is None:
        last = [last_captured(a), last_captured(b)]
        if None in last:
            raise NoVersion("One of the two variants has no stored version yet.")
        at = max(last)
    side_a, side_b = side_at(a, at), side_at(b, at)
    left, right = _clauses(side_a.version), _clauses(side_b.version)
    known = [
        Known(
            provision_id=span.provision_id,
            revision_id=span.revision_id,
            text_hash=span.revision.text_hash,
            normalized=span.revision.text,
            heading_path=clause.heading_path,
            part=span.parent_position is not None,
        )
        for clause, span in left
    ]
    segments = [
        Segment(
            start=span.start,
            end=span.end,
            text=clause.text,
            kind="paragraph",
            heading_path=clause.heading_path,
            position=span.position,
            normalized=span.revision.text,
            text_hash=span.revision.text_hash,
            parent=span.parent_position,
        )
        for clause, span in right
    ]
    matches = match_segments(known, segments)
    by_provision = {span.provision_id: clause for clause, span in left}
    paired: set[int] = set()
    same = 0
    reworded: list[tuple[Clause, Clause, float]] = []
    only_b: list[Clause] = []
    for match, (clause, _) in zip(matches, right, strict=True):
        if match.provision_id is None:
            only_b.append(clause)
            continue
        paired.add(match.provision_id)
        if match.similarity is None:
            same += 1
        else:
            reworded.append((by_provision[match.provision_id], clause, match.similarity))
    only_a = [clause for clause, span in left if span.provision_id not in paired]

    # As between versions: a clause only in one text is checked against those only in the
    # other, so a clause cut differently (split, merged) is told from a rule of its own.
    a_texts, b_texts = Counterparts(c.text for c in only_a), Counterparts(c.text for c in only_b)
    differences = [
        Difference(
            "reworded",
            old,
            new,
            judge_change("reworded", old.text, new.text, word_diff=False),
            score,
        )
        for old, new, score in reworded
    ]
    differences += [
        Difference(
            "only_b",
            None,
            c,
            judge_change(
                "added",
                None,
                c.text,
                counterparts=a_texts,
                siblings=b_texts,
                lead_in=c.lead_in,
                word_diff=False,
            ),
        )
        for c in only_b
    ]
    differences += [
        Difference(
            "only_a",
            c,
            None,
            judge_change(
                "removed",
                c.text,
                None,
                counterparts=b_texts,
                siblings=a_texts,
                lead_in=c.lead_in,
                word_diff=False,
            ),
        )
        for c in only_a
    ]
    differences.sort(key=lambda d: ORDER.get(d.significance, len(ORDER)))
    for difference in differences:
        difference.reason = explain(difference, a.label, b.label)
        difference.direction_text = direction(difference, a.label, b.label)
    return VariantDiff(side_a, side_b, at, same, differences)


def explain(difference: Difference, a_label: str, b_label: str) -> str:
    """The rule's explanation in the words of a comparison of two texts, not of a change."""
    verdict = difference.verdict
    if verdict.rule == "rule":
        holder = b_label if difference.kind == "only_b" else a_label
        return f"A clause stating a rule that only the {holder} text has"
    if verdict.rule == "moved":
        return "The same words appear elsewhere in the other text: placed differently"
    return verdict.explanation.replace("this change", "the other text").replace(
        "on the other side of the other text", "in the other text"
    )


def direction(difference: Difference, a_label: str, b_label: str) -> str:
    """Whether the ``b`` text is stricter or more lenient for users than the ``a`` text on
    this clause, with the words that tell it; "" when the rules cannot tell."""
    verdict = difference.verdict
    if verdict.direction == "more_restrictive":
        comparative = "More"
    elif verdict.direction == "less_restrictive":
        comparative = "Less"
    else:
        return ""
    reason = verdict.direction_reason
    if reason.startswith(LEAD_IN):  # a list item read with its lead-in ("You must not:")
        reason = reason.removeprefix(LEAD_IN) + " (read with its lead-in)"
    return (
        f"{comparative} restrictive for users in the {b_label} text than in the {a_label} "
        f"text: the {b_label} text {reason}"
    )
