"""Check a draft policy against the field: what each clause is, how other platforms word the
same rule, which common clause types the draft lacks, and the laws either engages.

The draft's clauses are classified by the worker's stored classifier through
``comparisons.classify`` (one function here, ``classify_clause``, calls it), with the sentence
model behind ``provisions.embeddings.get_encoder``. Nothing is written to the database: the
draft, its vectors and the report live only in this request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from comparisons import classify
from comparisons.classifier import confidence_band
from comparisons.models import Assignment, ClauseType, Coverage
from comparisons.queries import PlatformRef
from provisions import embeddings
from provisions.models import Platform, Provision, TextEmbedding
from provisions.parse import Segment, normalize_text
from regulations.models import ClauseTypeLink, Regulation

WORDINGS_PER_CLAUSE = 3  # other platforms' provisions shown per clause, one per platform
COMMON_SHARE = 4  # a clause type is common when at least 1 in COMMON_SHARE tracked platforms has it


@dataclass(frozen=True)
class TypeScore:
    slug: str
    name: str
    category: str
    score: float
    confidence: str | None  # high, medium, low; None: below every band


@dataclass(frozen=True)
class Wording:
    """A provision in force on another platform, of the same clause type as a draft clause."""

    provision: Provision
    similarity: float


@dataclass
class DraftClause:
    number: int  # 1-based, in the draft's order
    segment: Segment
    types: list[TypeScore]  # primary first; empty when no type fits well
    candidates: list[TypeScore]  # the next-best types, for the reader to judge
    wordings: list[Wording] = field(default_factory=list)
    vector: np.ndarray | None = field(default=None, repr=False)  # in memory only

    @property
    def text(self) -> str:
        return self.segment.text


@dataclass
class FieldType:
    """A clause type at least a quarter of tracked platforms have, and whether the draft does."""

    clause_type: ClauseType
    having: list[PlatformRef]
    tracked: int
    clauses: list[int]  # numbers of the draft clauses of this type

    @property
    def in_draft(self) -> bool:
        return bool(self.clauses)

    @property
    def summary(self) -> str:
        """ "12 of 18 platforms tracked have …; no clause of your draft does."""
        field = (
            f"{len(self.having)} of {self.tracked} platforms tracked have a provision of the "
            f"clause type “{self.clause_type.name}”"
        )
        if not self.clauses:
            return f"{field}; no clause of your draft does."
        numbers = [str(n) for n in self.clauses]
        listed = numbers[0] if len(numbers) == 1 else f"{', '.join(numbers[:-1])} and {numbers[-1]}"
        verb = "does" if len(numbers) == 1 else "do"
        return f"{field}; clause{'s' if len(numbers) > 1 else ''} {listed} of your draft {verb}."


@dataclass
class Engagement:
    """A regulation, and the clause types through which the draft engages it (or would)."""

    regulation: Regulation
    links: list[ClauseTypeLink]


@dataclass
class Report:
    clauses: list[DraftClause]
    field_types: list[FieldType]  # common types, most widespread first
    tracked: list[PlatformRef]  # the denominator: platforms with at least one stored version
    engaged: list[Engagement]  # by the draft's clause types
    engaged_by_missing: list[Engagement]  # by common types the draft lacks
    model_name: str

    @property
    def present(self) -> list[FieldType]:
        return [t for t in self.field_types if t.in_draft]

    @property
    def missing(self) -> list[FieldType]:
        return [t for t in self.field_types if not t.in_draft]

    @property
    def threshold(self) -> int:
        """The fewest platforms a common type has: a quarter of those tracked, rounded up."""
        return max(1, -(-len(self.tracked) // COMMON_SHARE))

    @property
    def unclassified(self) -> int:
        return sum(1 for clause in self.clauses if not clause.types)


def check_draft(segments: list[Segment], *, encoder=None) -> Report:
    """The report on a split draft. Raises ``comparisons.classify.WarmingUp`` until the worker
    has stored the classifier, and ``ModelUnavailable`` when the model cannot be loaded."""
    encoder = encoder or embeddings.get_encoder()
    classify.trained_classifier(encoder)  # WarmingUp before the model encodes anything
    texts = [normalize_text(segment.text) for segment in segments]
    vectors = np.asarray(encoder.encode(texts), dtype=np.float32)
    batch = _Encoded(encoder.name, dict(zip(texts, vectors, strict=True)))
    clauses = []
    for number, (segment, vector) in enumerate(zip(segments, vectors, strict=True), start=1):
        types, candidates = classify_clause(segment.text, encoder=batch)
        clauses.append(DraftClause(number, segment, types, candidates, vector=vector))
    _add_wordings(clauses, model_name=encoder.name)
    tracked = _tracked_platforms()
    field_types = _field_types(clauses, tracked)
    in_draft = {t.slug for clause in clauses for t in clause.types}
    missing = {t.clause_type.slug for t in field_types if not t.in_draft}
    return Report(
        clauses=clauses,
        field_types=field_types,
        tracked=tracked,
        engaged=_engagements(in_draft),
        engaged_by_missing=_engagements(missing),
        model_name=encoder.name,
    )


def classify_clause(text: str, *, encoder) -> tuple[list[TypeScore], list[TypeScore]]:
    """A clause's types (primary first; none when no type fits) and the next candidates, as
    the classify API gives them: the one place that reads the classifier's answer."""
    result = classify.classify_text(text, encoder=encoder)
    best = _score(result.best, result.confidence)
    candidates = [_score(c, confidence_band(c.score)) for c in result.candidates]
    return ([best] if result.confidence else []), ([] if result.confidence else [best]) + candidates


def _score(candidate, confidence) -> TypeScore:
    return TypeScore(
        candidate.slug, candidate.name, candidate.category, candidate.score, confidence
    )


class _Encoded:
    """The draft's clauses, encoded in one batch, handed to the classifier one at a time."""

    def __init__(self, name: str, vectors: dict[str, np.ndarray]):
        self.name, self.vectors = name, vectors

    def encode(self, texts: list[str]):
        return [self.vectors[text] for text in texts]


def _add_wordings(clauses: list[DraftClause], *, model_name: str) -> None:
    """For each typed clause, the closest provision in force of its primary type on each of up
    to WORDINGS_PER_CLAUSE platforms (closest platforms first)."""
    slugs = {clause.types[0].slug for clause in clauses if clause.types}
    rows = list(
        Assignment.objects.filter(
            clause_type__slug__in=slugs, provision__removed_in__isnull=True
        ).values_list("clause_type__slug", "provision_id", "provision__text_hash")
    )
    vectors = TextEmbedding.objects.vectors((r[2] for r in rows), model_name=model_name)
    rows = [r for r in rows if r[2] in vectors]
    chosen: dict[int, list[tuple[int, float]]] = {}
    by_type: dict[str, list[tuple[int, str]]] = {}
    for slug, provision_id, text_hash in rows:
        by_type.setdefault(slug, []).append((provision_id, text_hash))
    platforms = dict(
        Provision.objects.filter(pk__in=[r[1] for r in rows]).values_list(
            "pk", "document__platform_id"
        )
    )
    for clause in clauses:
        members = by_type.get(clause.types[0].slug, []) if clause.types else []
        if not members:
            continue
        matrix = np.asarray([vectors[h] for _pk, h in members], dtype=np.float32)
        scores = matrix @ clause.vector
        seen: set[int] = set()
        for index in np.argsort(scores)[::-1]:
            provision_id = members[index][0]
            if platforms[provision_id] in seen:
                continue
            seen.add(platforms[provision_id])
            chosen.setdefault(clause.number, []).append((provision_id, float(scores[index])))
            if len(seen) == WORDINGS_PER_CLAUSE:
                break
    provisions = Provision.objects.select_related("document__platform").in_bulk(
        [pk for picks in chosen.values() for pk, _score in picks]
    )
    for clause in clauses:
        clause.wordings = [
            Wording(provisions[pk], round(score, 4)) for pk, score in chosen.get(clause.number, [])
        ]


def _tracked_platforms() -> list[PlatformRef]:
    rows = Platform.objects.tracked().values_list("pk", "slug", "name")
    return [PlatformRef(*row) for row in rows]


def _field_types(clauses: list[DraftClause], tracked: list[PlatformRef]) -> list[FieldType]:
    """Clause types (written ones, not merged away) that at least a quarter of the tracked
    platforms have a provision of in force, with the draft's clauses of each."""
    by_pk = {platform.pk: platform for platform in tracked}
    having: dict[int, list[PlatformRef]] = {}
    for type_id, platform_id in Coverage.objects.filter(
        platform_id__in=by_pk, clause_type__discovered=False, clause_type__merged_into=None
    ).values_list("clause_type_id", "platform_id"):
        having.setdefault(type_id, []).append(by_pk[platform_id])
    common = {pk: refs for pk, refs in having.items() if len(refs) * COMMON_SHARE >= len(tracked)}
    numbers: dict[str, list[int]] = {}
    for clause in clauses:
        for score in clause.types:
            numbers.setdefault(score.slug, []).append(clause.number)
    field_types = [
        FieldType(
            clause_type=clause_type,
            having=sorted(common[clause_type.pk], key=lambda p: p.name.lower()),
            tracked=len(tracked),
            clauses=numbers.get(clause_type.slug, []),
        )
        for clause_type in ClauseType.objects.filter(pk__in=common)
    ]
    field_types.sort(key=lambda t: (-len(t.having), t.clause_type.category, t.clause_type.name))
    return field_types


def _engagements(slugs: set[str]) -> list[Engagement]:
    """The regulations curated links tie to these clause types, each with its links."""
    by_regulation: dict[int, Engagement] = {}
    links = (
        ClauseTypeLink.objects.filter(clause_type__slug__in=slugs)
        .select_related("regulation", "clause_type")
        .order_by("regulation__jurisdiction", "regulation__short_name", "clause_type__name")
    )
    for link in links:
        by_regulation.setdefault(link.regulation_id, Engagement(link.regulation, [])).links.append(
            link
        )
    return list(by_regulation.values())
