"""Read-side facts about clause types, shared by pages and the API."""

from __future__ import annotations

from dataclasses import dataclass

from comparisons.models import ClauseType
from provisions.models import Platform


@dataclass
class Coverage:
    clause_type: ClauseType
    having: list[Platform]  # platforms with a live provision of this type (stored Coverage)
    silent: list[Platform]  # tracked platforms with none
    tracked: int  # platforms with at least one stored version


def clause_type_coverage(clause_type: ClauseType) -> Coverage:
    tracked = list(Platform.objects.filter(documents__versions__isnull=False).distinct())
    having_ids = set(clause_type.coverage.values_list("platform_id", flat=True))
    return Coverage(
        clause_type=clause_type,
        having=[p for p in tracked if p.pk in having_ids],
        silent=[p for p in tracked if p.pk not in having_ids],
        tracked=len(tracked),
    )
