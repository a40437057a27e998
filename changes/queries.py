"""Filters shared by change pages, feeds and alerts: significance ("at least"), year or a
number of recent days."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from changes.models import Significance

# significance parameter -> (label, the least significance shown)
SIGNIFICANCE_FILTERS = {
    "substantive": ("Substantive only", Significance.SUBSTANTIVE),
    "wording": ("Substantive and wording", Significance.WORDING),
    "all": ("Everything, glitches and technical re-extractions included", Significance.TECHNICAL),
}
MAX_DAYS = 3660


@dataclass(frozen=True)
class Period:
    year: int | None = None
    days: int | None = None

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        if self.year:
            start = datetime(self.year, 1, 1, tzinfo=UTC)
            return start, datetime(self.year + 1, 1, 1, tzinfo=UTC)
        if self.days:
            return timezone.now() - timedelta(days=self.days), None
        return None, None

    def apply(self, queryset, field_name="captured_at"):
        start, end = self.bounds()
        if start:
            queryset = queryset.filter(**{f"{field_name}__gte": start})
        if end:
            queryset = queryset.filter(**{f"{field_name}__lt": end})
        return queryset

    def captures(self, captures):
        return self.apply(captures)

    def __str__(self) -> str:
        if self.year:
            return f"in {self.year}"
        if self.days:
            return f"in the last {self.days} days"
        return "since tracking began"


@dataclass(frozen=True)
class Filters:
    significance_name: str = "substantive"
    period: Period = field(default_factory=Period)
    errors: tuple[str, ...] = ()

    @property
    def significance(self) -> Significance:
        return SIGNIFICANCE_FILTERS[self.significance_name][1]

    def apply(self, changes):
        return self.period.apply(changes.at_least(self.significance))


def parse_filters(params) -> Filters:
    """``significance`` (substantive, wording, all), ``year`` or ``days``; a bad value is
    ignored and named in ``errors`` (the page says so) rather than failing the page."""
    errors = []
    significance = params.get("significance", "substantive")
    if significance not in SIGNIFICANCE_FILTERS:
        errors.append(f"significance must be one of {', '.join(SIGNIFICANCE_FILTERS)}")
        significance = "substantive"
    year = _number(params.get("year"), 1990, 2100, "year", errors)
    days = None if year else _number(params.get("days"), 1, MAX_DAYS, "days", errors)
    return Filters(significance, Period(year=year, days=days), tuple(errors))


def _number(value, low, high, name, errors) -> int | None:
    if value in (None, ""):
        return None
    if not value.isdigit() or not low <= int(value) <= high:
        errors.append(f"{name} must be a whole number from {low} to {high}")
        return None
    return int(value)
