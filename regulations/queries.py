"""Read-side facts about regulations, shared by pages and the API.

Applicable regulations of a provision are the curated links of its clause type, minus the ones
a curator suppressed for that provision, plus the ones a curator added. Suggested links are a
separate list ("possibly related") and are never mixed in or counted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import F, Sum, Window
from django.db.models.functions import RowNumber

from comparisons.models import Assignment, ClauseType
from comparisons.models import Coverage as StoredCoverage
from provisions.models import Platform, Provision
from regulations.models import (
    ClauseTypeLink,
    OverrideAction,
    ProvisionLinkOverride,
    Regulation,
    SuggestedLink,
)

CURATOR = "curator"


@dataclass(frozen=True)
class ApplicableLink:
    regulation: Regulation
    article: str
    rationale: str
    basis: str  # "clause type <name>" when inherited, "curator" when added for this provision

    @property
    def inherited(self) -> bool:
        return self.basis != CURATOR


def _sort_key(link: ApplicableLink):
    return (link.regulation.jurisdiction, link.regulation.short_name.lower(), link.regulation.slug)


def applicable_by_provision(provision_ids) -> dict[int, list[ApplicableLink]]:
    """Applicable regulations of many provisions, in three queries whatever their number."""
    ids = list(provision_ids)
    result: dict[int, dict[int, ApplicableLink]] = {pk: {} for pk in ids}
    if not ids:
        return {}
    types = dict(
        Assignment.objects.filter(provision_id__in=ids).values_list("provision_id", "clause_type")
    )
    by_type: dict[int, list[ClauseTypeLink]] = {}
    for link in ClauseTypeLink.objects.filter(clause_type__in=set(types.values())).select_related(
        "regulation", "clause_type"
    ):
        by_type.setdefault(link.clause_type_id, []).append(link)
    for provision_id, clause_type_id in types.items():
        for link in by_type.get(clause_type_id, []):
            result[provision_id][link.regulation_id] = ApplicableLink(
                regulation=link.regulation,
                article=link.article,
                rationale=link.rationale,
                basis=f"clause type {link.clause_type.name}",
            )
    overrides = ProvisionLinkOverride.objects.filter(provision_id__in=ids).select_related(
        "regulation"
    )
    for override in overrides:
        links = result[override.provision_id]
        if override.action == OverrideAction.SUPPRESS:
            links.pop(override.regulation_id, None)
        else:  # a curator's own wording replaces an inherited link to the same law
            links[override.regulation_id] = ApplicableLink(
                regulation=override.regulation,
                article=override.article,
                rationale=override.rationale,
                basis=CURATOR,
            )
    return {pk: sorted(links.values(), key=_sort_key) for pk, links in result.items()}


def applicable_regulations(provision: Provision) -> list[ApplicableLink]:
    """The regulations this provision engages, sorted by jurisdiction then short name."""
    return applicable_by_provision([provision.pk])[provision.pk]


def suggested_regulations(
    provision: Provision, *, applicable: list[ApplicableLink] | None = None
) -> list[SuggestedLink]:
    """The worker's "possibly related" regulations, best score first.

    Regulations that are applicable (curated) are left out even if the suggestion was computed
    before a curator linked them; pass ``applicable`` to save its three queries.
    """
    if applicable is None:
        applicable = applicable_regulations(provision)
    return list(
        SuggestedLink.objects.filter(provision=provision)
        .exclude(regulation__in=[link.regulation.pk for link in applicable])
        .select_related("regulation", "topic")
        .order_by("-score", "regulation__short_name")
    )


def clause_types_engaging(regulation: Regulation):
    """The curated links to this regulation, with their clause types, by clause type name."""
    return (
        ClauseTypeLink.objects.filter(regulation=regulation)
        .select_related("clause_type")
        .order_by("clause_type__name")
    )


def engaging_clause_types(regulation_slug: str | None):
    """The clause types with a curated link to this regulation (a ``ClauseType`` queryset, empty
    for an unknown slug), or None without a slug: the compare table's regulation filter."""
    if not regulation_slug:
        return None
    return ClauseType.objects.filter(regulation_links__regulation__slug=regulation_slug)


def tracked_platforms() -> list[Platform]:
    """Platforms with at least one stored version: the denominator of every coverage count.
    With their slugs and names only, what pages and the API show of them (1,000 whole models,
    their timestamps parsed, took ~13 ms)."""
    return list(Platform.objects.tracked().only("slug", "name"))


@dataclass
class PlatformCoverage:
    platform: Platform
    count: int = 0  # its live provisions addressing the regulation
    # The first of them (by document, then id) where a page asked for them: see first_provisions.
    provisions: list[Provision] = field(default_factory=list)


@dataclass
class RegulationCoverage:
    regulation: Regulation
    rows: list[PlatformCoverage]  # one per tracked platform, in platform order
    tracked: int  # platforms with at least one stored version

    @property
    def addressing(self) -> list[Platform]:
        return [row.platform for row in self.rows if row.count]

    @property
    def silent(self) -> list[Platform]:
        return [row.platform for row in self.rows if not row.count]

    @property
    def provision_count(self) -> int:
        return sum(row.count for row in self.rows)


def linked_clause_types(regulation: Regulation) -> list[int]:
    """The ids of the clause types with a curated link to this regulation."""
    return list(
        ClauseTypeLink.objects.filter(regulation=regulation).values_list("clause_type", flat=True)
    )


def provisions_addressing(regulation: Regulation):
    """Live provisions this regulation applies to (inherited and not suppressed, or added).

    One set of ids, the linked clause types' assignments less the suppressed, with the added,
    rather than an OR of those conditions: the OR made PostgreSQL test every live provision
    (~1 s at 500,000); the union starts from the assignments' clause type index. The linked
    types are read first (one small query): as a list the planner uses that index, as a
    subquery it scanned every assignment when a law links several types."""
    linked = linked_clause_types(regulation)
    overrides = ProvisionLinkOverride.objects.filter(regulation=regulation).order_by()
    inherited = (
        Assignment.objects.filter(clause_type__in=linked)
        .exclude(provision__in=overrides.filter(action=OverrideAction.SUPPRESS).values("provision"))
        .order_by()
        .values("provision")
    )
    added = overrides.filter(action=OverrideAction.ADD).values("provision")
    return Provision.objects.live().filter(pk__in=inherited.union(added, all=True))


def regulation_coverage(regulation: Regulation) -> RegulationCoverage:
    """For each tracked platform, how many of its live provisions address the regulation
    (4 queries, whatever the number of platforms); ``first_provisions`` lists some of them.

    Counted from the stored coverage of the linked clause types, which the worker refreshes
    with every assignment run (the clause-type pages' "N of M platforms" read it too), with the
    curators' suppressions and additions applied on top, read live (a few rows). Counting the
    addressing provisions themselves took ~30-55 ms per request at 500,000. Between an import
    and the worker's assignment run the counts are those of the last run, as on the clause-type
    pages.
    """
    tracked = tracked_platforms()
    linked = set(linked_clause_types(regulation))
    counts = Counter(
        dict(
            StoredCoverage.objects.filter(clause_type__in=linked)
            .order_by()
            .values("platform_id")
            .annotate(n=Sum("provision_count"))
            .values_list("platform_id", "n")
        )
    )
    overrides = ProvisionLinkOverride.objects.filter(
        regulation=regulation, provision__removed_in__isnull=True
    ).values_list(
        "provision__document__platform_id", "action", "provision__assignment__clause_type"
    )
    for platform_id, action, clause_type_id in overrides:
        inherited = clause_type_id in linked
        if action == OverrideAction.SUPPRESS and inherited:
            counts[platform_id] -= 1
        elif action == OverrideAction.ADD and not inherited:
            counts[platform_id] += 1
    # Never below zero: an import removes provisions before the worker refreshes the coverage,
    # and until then an override can be read against a count that does not hold its provision.
    return RegulationCoverage(
        regulation=regulation,
        rows=[PlatformCoverage(p, max(counts.get(p.pk, 0), 0)) for p in tracked],
        tracked=len(tracked),
    )


def first_provisions(regulation: Regulation, rows: list[PlatformCoverage], *, limit: int) -> None:
    """Fill each row's ``provisions`` with its platform's first ``limit`` live provisions that
    address the regulation, by document name then id (one query for all the rows)."""
    wanted = {row.platform.pk: row for row in rows if row.count}
    if not wanted:
        return
    ranked = (
        provisions_addressing(regulation)
        .filter(document__platform__in=list(wanted))
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("document__platform_id")],
                order_by=[F("document__name").asc(), F("id").asc()],
            )
        )
        .filter(rank__lte=limit)
        .select_related("document", "assignment__clause_type")
        .order_by("document__name", "id")
    )
    for provision in ranked:
        wanted[provision.document.platform_id].provisions.append(provision)


@dataclass
class AddressingCount:
    regulation: Regulation
    platform: Platform
    live_provisions: int  # its live provisions addressing the regulation


@dataclass
class CoverageCounts:
    """``RegulationCoverage`` counted rather than listed: what the API's detail shows."""

    regulation: Regulation
    addressing: list[AddressingCount]  # tracked platforms with live provisions addressing it
    silent: list[Platform]  # tracked platforms with none
    tracked: int


def regulation_coverage_counts(regulation: Regulation) -> CoverageCounts:
    """``regulation_coverage`` as the API's detail shows it: the addressing platforms with
    their counts, the silent ones (the provisions are an API list away)."""
    coverage = regulation_coverage(regulation)
    return CoverageCounts(
        regulation=regulation,
        addressing=[
            AddressingCount(regulation, row.platform, row.count)
            for row in coverage.rows
            if row.count
        ],
        silent=coverage.silent,
        tracked=coverage.tracked,
    )


# The search filter by regulation: parameter -> lookup on Provision (it fans out over the
# links: the caller adds .distinct() when it is chosen).
FACETS = {"regulation": "assignment__clause_type__regulation_links__regulation__slug"}


def count_regulations(type_ids: Counter) -> Counter:
    """Search matches per regulation, as (slug, short name) pairs, from their clause types'
    counts (``comparisons.queries.count_facets``): a match counts once for each regulation
    its clause type links."""
    counts = Counter()
    links = ClauseTypeLink.objects.filter(clause_type_id__in=type_ids).values_list(
        "clause_type_id", "regulation__slug", "regulation__short_name"
    )
    for type_id, slug, name in set(links):
        counts[(slug, name)] += type_ids[type_id]
    return counts
