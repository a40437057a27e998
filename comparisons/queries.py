"""Read-side facts about clause types, shared by pages and the API."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Count, Exists, OuterRef, Q, Subquery, Window

from comparisons.models import Assignment, ClauseType
from comparisons.models import Coverage as StoredCoverage
from provisions.models import Platform


class PlatformRef(NamedTuple):
    """What coverage lists need of a platform. Plain tuples: building 300 ``Platform`` model
    instances per page took about 2 ms at design scale, a third of this query's cost."""

    pk: int
    slug: str
    name: str


@dataclass
class Coverage:
    clause_type: ClauseType
    having: list[PlatformRef]  # platforms with a live provision of this type (stored Coverage)
    silent: list[PlatformRef]  # tracked platforms with none
    tracked: int  # platforms with at least one stored version


def clause_type_coverage(clause_type: ClauseType) -> Coverage:
    """One query, read fresh on every call (nothing cached, so never stale): the tracked
    platforms (with at least one stored version), each flagged with whether it has a stored
    coverage row for this type."""
    rows = (
        Platform.objects.tracked()
        .annotate(
            has=Exists(
                StoredCoverage.objects.filter(clause_type=clause_type, platform=OuterRef("pk"))
            )
        )
        .values_list("pk", "slug", "name", "has")
    )
    having, silent = [], []
    for pk, slug, name, has in rows:
        (having if has else silent).append(PlatformRef(pk, slug, name))
    return Coverage(
        clause_type=clause_type, having=having, silent=silent, tracked=len(having) + len(silent)
    )


# A provision page names the platforms silent on its type up to this many; past it, it counts
# them and links the clause type's page, which lists them all (at 1,000 platforms a type can
# have 600 silent ones).
SILENT_NAMED = 20


@dataclass
class CoverageCount:
    clause_type: ClauseType
    having: int  # tracked platforms with a live provision of this type (stored Coverage)
    tracked: int
    silent: list[PlatformRef]  # the others, named only if at most SILENT_NAMED, else empty

    @property
    def silent_count(self) -> int:
        return self.tracked - self.having


def clause_type_coverage_count(clause_type: ClauseType) -> CoverageCount:
    """``clause_type_coverage`` counted, with the silent platforms named only when they are
    few: one query of at most ``SILENT_NAMED + 1`` rows (silent ones first), counted over every
    tracked platform, rather than 1,000 platforms read."""
    has = Exists(StoredCoverage.objects.filter(clause_type=clause_type, platform=OuterRef("pk")))
    rows = list(
        Platform.objects.tracked()
        .annotate(
            has=has,
            tracked=Window(Count("pk")),
            having=Window(Count("pk", filter=Q(has=True))),
        )
        .order_by("has", "name")
        .values_list("pk", "slug", "name", "has", "tracked", "having")[: SILENT_NAMED + 1]
    )
    if not rows:
        return CoverageCount(clause_type, 0, 0, [])
    tracked, having = rows[0][4], rows[0][5]
    silent = []
    if tracked - having <= SILENT_NAMED:
        silent = [PlatformRef(pk, slug, name) for pk, slug, name, has, *_ in rows if not has]
    return CoverageCount(clause_type, having, tracked, silent)


# Search filters of clause types: parameter -> lookup on Provision (with provisions.search's).
FACETS = {"clause_type": "assignment__clause_type__slug", "severity": "assignment__severity"}


@dataclass
class FacetCounts:
    """Search matches counted by platform, clause type and severity, as (value, label) pairs,
    with the clause types' ids counted too (for the regulation facet)."""

    platform: Counter = field(default_factory=Counter)
    clause_type: Counter = field(default_factory=Counter)
    severity: Counter = field(default_factory=Counter)
    type_ids: Counter = field(default_factory=Counter)
    total: int = 0


def count_facets(matches) -> FacetCounts:
    """Count a Provision queryset of search matches per facet, in two small queries.

    The matches are grouped in SQL by platform, clause type and severity (a few hundred groups
    where a frequent word has 40,000 matches at 500,000 provisions), each match's assignment
    read by a correlated subquery (one index probe per match): joining the matches to the
    assignments made PostgreSQL scan all of them.
    """
    assignment = Assignment.objects.filter(provision_id=OuterRef("pk"))
    # Grouped here, not in Python: a frequent word matches 40,000 provisions at 500,000, and
    # sending each back cost as much as counting. Distinct provisions per group only where a
    # regulation filter's join can list a provision twice (it makes PostgreSQL sort).
    distinct = matches.query.distinct
    groups = list(
        matches.order_by()
        .annotate(
            assigned_type=Subquery(assignment.values("clause_type_id")),
            assigned_severity=Subquery(assignment.values("severity")),
        )
        .values_list(
            "document__platform__slug",
            "document__platform__name",
            "assigned_type",
            "assigned_severity",
        )
        .annotate(matched=Count("pk", distinct=distinct))
    )
    type_ids = {type_id for _slug, _name, type_id, _severity, _n in groups if type_id}
    types = {
        pk: (slug, name)
        for pk, slug, name in ClauseType.objects.filter(pk__in=type_ids).values_list(
            "pk", "slug", "name"
        )
    }
    counts = FacetCounts(total=sum(n for *_, n in groups))
    for platform, platform_name, type_id, severity, n in groups:
        counts.platform[(platform, platform_name)] += n
        if type_id:
            counts.clause_type[types[type_id]] += n
            counts.severity[(severity, severity)] += n
            counts.type_ids[type_id] += n
    return counts
