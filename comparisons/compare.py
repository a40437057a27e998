"""The comparison table: clause types as rows, chosen platforms as columns.

One plain structure (``compare_table``) is rendered by the compare page, its CSV export and the
API, so all three always agree. A cell holds a platform's live provisions of that clause type
(the best-scored few, with the total), or is ``None``: no provision found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    Q,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber

from comparisons.models import Assignment, ClauseType, Severity
from comparisons.queries import PlatformRef
from provisions.models import Platform, Version
from provisions.texts import Texts, UnknownText, parse_column, read_in, texts_of

MIN_PLATFORMS, MAX_PLATFORMS = 2, 8
PER_CELL = 3  # provisions shown in a cell; the cell says how many there are in all
# A text whose latest version was first captured this long before the newest capture stored
# anywhere is "not current": a cell shows its clauses only after those of current documents
# (an old "Terms of Use" no longer captured must not speak for the platform today).
CURRENT_WITHIN = timedelta(days=365)
SEVERITY_ORDER = [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW]
SEVERITY_RANK = Case(
    *[When(severity=value, then=Value(rank)) for rank, value in enumerate(SEVERITY_ORDER)],
    output_field=IntegerField(),
)


@dataclass
class Cell:
    platform: Platform
    assignments: list[Assignment]  # best score first, at most PER_CELL; .provision is loaded
    total: int  # live provisions of this type on this platform, in the texts read
    severity: str  # the highest severity among all of them
    choice: str | None = None  # the texts read (``provisions.texts``); None: every text

    @property
    def provisions(self):
        return [a.provision for a in self.assignments]

    @property
    def more(self) -> int:
        return self.total - len(self.assignments)


@dataclass
class Row:
    clause_type: ClauseType
    cells: list[Cell | None]  # aligned with CompareTable.platforms; None: no provision found

    @property
    def differs(self) -> bool:
        """Platforms disagree: some have the clause type and some not, or severities differ."""
        return len({cell.severity if cell else None for cell in self.cells}) > 1

    @property
    def having(self) -> int:
        return sum(1 for cell in self.cells if cell)


@dataclass
class Group:
    category: str
    rows: list[Row]


@dataclass
class CompareTable:
    platforms: list[Texts]  # the columns: each a platform read in one text of its documents
    groups: list[Group]
    considered: int  # clause types left after the category and regulation filters
    absent: list[ClauseType] = field(default_factory=list)  # none of the platforms has these
    # requested columns left out: not a platform, or a text none of its documents has
    unknown: list[str] = field(default_factory=list)

    @property
    def rows(self) -> list[Row]:
        return [row for group in self.groups for row in group.rows]


def compare_table(
    *,
    platforms: list[str],
    category: str | None = None,
    severity: str | None = None,
    clause_types=None,
    only_differences: bool = False,
    per_cell: int = PER_CELL,
) -> CompareTable:
    """The table for these columns (in that order; unknown ones are reported).

    A column is a platform slug, read in each document's main text, or ``slug:variant``
    (``openai:eu-en``), read in each document's text of that variant where it has one
    (``provisions.texts``); one platform may be read in two texts side by side.
    ``category`` keeps one clause-type category; ``clause_types`` (a ``ClauseType`` queryset,
    such as those engaging a regulation) keeps those; ``severity`` keeps rows where some cell
    has that severity;
    ``only_differences`` keeps rows where the platforms disagree (see ``Row.differs``).
    ``per_cell`` is how many provisions each cell carries (best score first; ``total`` counts
    them all).
    """
    chosen, unknown = columns(platforms)
    types = ClauseType.objects.all()
    if category:
        types = types.filter(category=category)
    if clause_types is not None:
        types = types.filter(pk__in=clause_types.values("pk"))
    types = list(types)
    type_ids = [t.pk for t in types]
    cells: dict[tuple[int, object], Cell] = {}
    for choice in dict.fromkeys(column.choice for column in chosen):
        read = [column.platform for column in chosen if column.choice == choice]
        found = best_assignments(read, type_ids, per_cell=per_cell, choice=choice)
        cells.update({(type_id, (pk, choice)): cell for (type_id, pk), cell in found.items()})
    groups: dict[str, list[Row]] = {}
    absent = []
    for clause_type in types:
        row = Row(clause_type, [cells.get((clause_type.pk, c.pk)) for c in chosen])
        if not row.having:
            absent.append(clause_type)
            continue
        if severity and not any(cell and cell.severity == severity for cell in row.cells):
            continue
        if only_differences and not row.differs:
            continue
        groups.setdefault(clause_type.category, []).append(row)
    return CompareTable(
        platforms=chosen,
        groups=[Group(category, rows) for category, rows in groups.items()],
        considered=len(types),
        absent=absent,
        unknown=unknown,
    )


def columns(tokens: list[str]) -> tuple[list[Texts], list[str]]:
    """The columns these tokens name, in order, once each, and the tokens left out (not a
    platform, or a text none of the platform's documents has)."""
    parsed = {}
    unknown = []
    for token in tokens:
        try:
            slug, choice = parse_column(token)
        except UnknownText:
            unknown.append(token)
            continue
        parsed.setdefault((slug, choice), token)
    by_slug = {p.slug: p for p in Platform.objects.filter(slug__in={s for s, _ in parsed})}
    chosen = []
    for (slug, choice), token in parsed.items():
        try:
            chosen.append(texts_of(by_slug[slug], choice))
        except (KeyError, UnknownText):
            unknown.append(token)
    return chosen, unknown


def best_assignments(
    platforms: list[Platform] | list[PlatformRef],
    type_ids: list[int],
    *,
    per_cell: int = PER_CELL,
    choice: str | None = None,
) -> dict[tuple[int, int], Cell]:
    """One query: the best ``per_cell`` live assignments per (clause type, platform), with
    totals. ``platforms`` are models or coverage's ``PlatformRef`` tuples (pk, slug, name);
    ``choice`` is the texts read (``provisions.texts.read_in``; None: every text)."""
    if not platforms or not type_ids:
        return {}
    partition = [F("clause_type_id"), F("provision__document__platform_id")]
    newest = Version.objects.aggregate(newest=Max("captured_at"))["newest"]
    current = ExpressionWrapper(
        Q(provision__variant__latest_version__captured_at__gte=newest - CURRENT_WITHIN)
        if newest
        else Q(pk__isnull=False),
        output_field=BooleanField(),
    )
    assignments = Assignment.objects.filter(
        clause_type_id__in=type_ids,
        provision__document__platform_id__in=[p.pk for p in platforms],
        provision__removed_in__isnull=True,
    )
    assignments = (
        read_in(assignments, choice, prefix="provision__")
        .annotate(
            platform_id=F("provision__document__platform_id"),
            place=Window(
                RowNumber(),
                partition_by=partition,
                order_by=[current.desc(), F("score").desc(), F("pk").asc()],
            ),
            in_cell=Window(Count("pk"), partition_by=partition),
            # the most severe of all the cell's provisions, not only of those carried
            cell_severity=Window(Min(SEVERITY_RANK), partition_by=partition),
        )
        .filter(place__lte=per_cell)
        .select_related("provision__document")
        .only(
            "clause_type_id",
            "score",
            "severity",
            "provision__text",
            "provision__variant_id",
            "provision__document__name",
            "provision__document__slug",
            "provision__document__platform_id",
        )
        .order_by("clause_type_id", "platform_id", "place")
    )
    platform_of = {p.pk: p for p in platforms}
    cells: dict[tuple[int, int], Cell] = {}
    for assignment in assignments:
        key = (assignment.clause_type_id, assignment.platform_id)
        cell = cells.get(key)
        if cell is None:
            severity = SEVERITY_ORDER[assignment.cell_severity]
            cell = cells[key] = Cell(
                platform_of[assignment.platform_id], [], assignment.in_cell, severity, choice
            )
        cell.assignments.append(assignment)
    return cells
