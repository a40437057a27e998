"""Geometry of the clause-type pictures (coverage by category, adoption over time), drawn as
SVG by templates. Each comes with the rows a table beside it shows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count

from atlas import fingerprint
from comparisons.models import ClauseType, Coverage
from comparisons.queries import Coverage as TypeCoverage
from comparisons.queries import PlatformRef
from provisions.pictures import LEFT, RIGHT, WIDTH, Tick, time_scale, year_ticks

# Where the written taxonomy's category slugs are shown, the name a reader knows them by.
CATEGORY_NAMES = {
    "account": "Accounts and access",
    "ai-specific": "AI-specific rules",
    "child-safety": "Child safety",
    "contract": "Contract mechanics",
    "copyright": "Copyright notices (DMCA)",
    "cyber": "Cyber security and malware",
    "dangerous-goods": "Weapons and dangerous goods",
    "disputes": "Disputes, arbitration and courts",
    "elections-information": "Elections and information integrity",
    "fraud-deception": "Fraud and deception",
    "ip-content": "Intellectual property and content",
    "liability": "Warranties and liability",
    "payment": "Payment and fees",
    "privacy-surveillance": "Privacy and surveillance",
    "regulated-advice": "Regulated advice",
    "sexual-content": "Sexual content",
    "terms": "Use of the service",
    "termination": "Suspension and termination",
    "violence-extremism": "Violence and extremism",
}


def category_name(slug: str) -> str:
    return CATEGORY_NAMES.get(slug) or (slug or "uncategorised").replace("-", " ").capitalize()


@dataclass
class CategoryRow:
    category: str
    name: str
    types: int  # written clause types in the category
    platform: int  # of them, with a provision in force on this platform
    field: float  # the same, averaged over every platform tracked
    y: float = 0
    platform_width: float = 0
    field_width: float = 0


@dataclass
class CategoryChart:
    rows: list[CategoryRow]
    width: int
    height: int
    platforms: int  # platforms the field's average is taken over
    left: int = 210


# What the field's per-category counts read (atlas.fingerprint).
FIELD_TABLES = ["comparisons_coverage", "comparisons_clausetype"]


def _category_counts(coverage) -> dict[str, int]:
    """Coverage rows (type, platform) of written clause types, per category."""
    return dict(
        coverage.filter(clause_type__discovered=False)
        .values_list("clause_type__category")
        .annotate(n=Count("pk"))
        .order_by()
    )


def _field_counts() -> dict[str, int]:
    return _category_counts(Coverage.objects.all())


def category_coverage(platform, *, tracked: int) -> CategoryChart:
    """This platform's clause types with a provision in force, per category, against the field
    (the average platform tracked). Discovered types are left out: they have no category of
    their own."""
    written = ClauseType.objects.filter(discovered=False)
    types = Counter(dict(written.values_list("category").annotate(n=Count("pk")).order_by()))
    # The field's counts are the same for every platform's page: at 1,000 platforms they count
    # ~70,000 coverage rows (~10 ms), so they are kept while the coverage is unchanged.
    field = Counter(fingerprint.cached("category-field", FIELD_TABLES, _field_counts))
    mine = Counter(_category_counts(Coverage.objects.filter(platform=platform)))
    chart = CategoryChart([], WIDTH, 0, platforms=tracked)
    bar = WIDTH - chart.left - 60
    for index, category in enumerate(sorted(types, key=category_name)):
        row = CategoryRow(
            category,
            category_name(category),
            types[category],
            mine[category],
            round(field[category] / tracked, 1) if tracked else 0,
            y=12 + index * 30,
        )
        row.platform_width = round(bar * row.platform / row.types, 1)
        row.field_width = round(bar * row.field / row.types, 1)
        chart.rows.append(row)
    chart.height = 20 + len(chart.rows) * 30
    return chart


@dataclass
class Adopter:
    platform: PlatformRef
    first_seen: datetime
    x: float = 0
    y: float = 0


@dataclass
class AdoptionChart:
    adopters: list[Adopter]
    silent: list[PlatformRef]
    ticks: list[Tick]
    steps: str  # SVG path of platforms having the type, over time
    width: int
    height: int
    top: int


def adoption_chart(clause_type: ClauseType, coverage: TypeCoverage) -> AdoptionChart | None:
    """When each platform's first provision of this type appeared (the first capture of the
    version it first appeared in), as a step line of platforms having it; silent ones named."""
    firsts = dict(
        Coverage.objects.filter(clause_type=clause_type, first_seen__isnull=False)
        .values_list("platform_id", "first_seen")
        .order_by()
    )
    adopters = sorted(
        (Adopter(ref, firsts[ref.pk]) for ref in coverage.having if ref.pk in firsts),
        key=lambda a: (a.first_seen, a.platform.name),
    )
    if not adopters:
        return None
    height, top, bottom = 170, 15, 30
    x, low, high = time_scale([a.first_seen for a in adopters])
    inner = height - top - bottom
    total = max(len(adopters), 1)
    path = [f"M{LEFT},{height - bottom}"]
    for count, adopter in enumerate(adopters, start=1):
        adopter.x = x(adopter.first_seen)
        adopter.y = round(height - bottom - inner * count / total, 1)
        path.append(f"H{adopter.x}V{adopter.y}")
    path.append(f"H{WIDTH - RIGHT}")
    return AdoptionChart(
        adopters,
        coverage.silent,
        year_ticks(low, high, x),
        "".join(path),
        WIDTH,
        height,
        top,
    )
