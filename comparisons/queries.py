"""Read-side facts about clause types, shared by pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import Exists, OuterRef

from comparisons.models import ClauseType
from comparisons.models import Coverage as StoredCoverage
from provisions.models import Platform, Version


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
        Platform.objects.filter(Exists(Version.objects.filter(document__platform=OuterRef("pk"))))
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
