import csv
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from atlas import fingerprint
from comparisons.compare import (
    MAX_PLATFORMS,
    MIN_PLATFORMS,
    PER_CELL,
    best_assignments,
    compare_table,
)
from comparisons.models import ClauseType, Coverage, Severity
from comparisons.pictures import adoption_chart
from comparisons.queries import clause_type_coverage
from comparisons.taxonomy import retired_types
from provisions.citations import provision_permalink
from provisions.currency import variant_currency
from provisions.models import (
    VERSION_TAG_LENGTH,
    Document,
    Platform,
    Provision,
    format_version_id,
)
from provisions.texts import other_texts
from regulations.models import ClauseTypeLink, Regulation
from regulations.queries import engaging_clause_types

FILTERS = ("category", "severity", "regulation")
EVERY_PROVISION = 2**31 - 1  # the CSV carries every provision of each cell
COMPARE_CSV_HEADER = [
    "category",
    "clause_type",
    "clause_type_name",
    "platform",
    "platform_name",
    "cell_severity",  # the highest severity among the platform's provisions of this type
    "severity",
    "score",
    "record_id",
    "document",
    "version_id",
    "permalink",
    "text",
]


def clause_type_list(request):
    types = ClauseType.objects.annotate(
        platform_count=Count("coverage", distinct=True),
    ).order_by("category", "name")
    tracked = Platform.objects.tracked().count()
    types = list(types)
    context = {
        "types": types,
        "written": [t for t in types if not t.discovered],
        "discovered": [t for t in types if t.discovered],
        "tracked": tracked,
    }
    return render(request, "comparisons/clausetype_list.html", context)


# A clause type's page shows the platforms that have it a page at a time: at 1,000 platforms
# one page of every card read and rendered ~7,000 provisions.
CARDS_PER_PAGE = 50


def clause_type_detail(request, slug):
    clause_type = ClauseType.objects.select_related("merged_into").filter(slug=slug).first()
    if clause_type is None and slug in retired_types():
        return _retired_type(request, retired_types()[slug])
    if clause_type is None:
        raise Http404("No such clause type.")
    coverage = clause_type_coverage(clause_type)
    page = Paginator(coverage.having, CARDS_PER_PAGE).get_page(request.GET.get("page"))
    cells = best_assignments(page.object_list, [clause_type.pk])
    side_by_side = [
        cells[(clause_type.pk, p.pk)] for p in page.object_list if (clause_type.pk, p.pk) in cells
    ]
    links = ClauseTypeLink.objects.filter(clause_type=clause_type).select_related("regulation")
    # Every platform's, not the page's: the stored coverage that ``having`` is read from too.
    in_force = Coverage.objects.filter(clause_type=clause_type).aggregate(n=Sum("provision_count"))
    context = {
        "clause_type": clause_type,
        "coverage": coverage,
        "cells": side_by_side,
        "page": page,
        "currency": _currency(side_by_side),
        "in_force": in_force["n"] or 0,
        "adoption": adoption_chart(clause_type, coverage),
        "links": links,
    }
    return render(request, "comparisons/clausetype_detail.html", context)


def _retired_type(request, retired: dict):
    """A retired type's address: a rename goes to the new type; a split lists the types that
    replaced it, since no single one of them holds what the old address meant."""
    successors = list(ClauseType.objects.filter(slug__in=retired["replaced_by"]))
    if len(retired["replaced_by"]) == 1 and successors:
        return redirect(successors[0], permanent=True)
    order = {slug: i for i, slug in enumerate(retired["replaced_by"])}
    successors.sort(key=lambda t: order[t.slug])
    return render(
        request,
        "comparisons/clausetype_retired.html",
        {"retired": retired, "successors": successors},
    )


def _currency(cells):
    """Last capture of the texts the cells quote (each clause dated by its own text) and
    whether their documents are still tracked."""
    return variant_currency(
        {a.provision.variant_id for cell in cells if cell for a in cell.assignments}
    )


def _selection(request) -> list[str]:
    """Columns from ``?platforms=a,b:eu-en`` or from checkboxes (``?platforms=a&platforms=b``):
    platform slugs, each optionally with the text it is read in (``provisions.texts``)."""
    values = request.GET.getlist("platforms")
    return list(dict.fromkeys(s.strip() for v in values for s in v.split(",") if s.strip()))


def _options(request) -> dict:
    options = {name: request.GET.get(name, "").strip() for name in FILTERS}
    options["only_differences"] = request.GET.get("only_differences") in {"1", "on", "true"}
    return options


def _query(slugs, options) -> str:
    """The canonical query string: what the address bar shows and the CSV link uses."""
    params = {"platforms": ",".join(slugs)}
    params.update({k: v for k, v in options.items() if v and k != "only_differences"})
    if options["only_differences"]:
        params["only_differences"] = "1"
    return urlencode(params, safe=",")


def _table_or_error(slugs, options, *, per_cell=PER_CELL):
    if len(slugs) < MIN_PLATFORMS:
        return None, f"Pick at least {MIN_PLATFORMS} platforms to compare."
    if len(slugs) > MAX_PLATFORMS:
        return None, f"Pick at most {MAX_PLATFORMS} platforms (you picked {len(slugs)})."
    options = dict(options)
    engaging = engaging_clause_types(options.pop("regulation", None))
    table = compare_table(platforms=slugs, per_cell=per_cell, clause_types=engaging, **options)
    if len(table.platforms) < MIN_PLATFORMS:
        return None, f"Unknown platform or text: {', '.join(table.unknown)}."
    return table, None


def _with_variants(columns) -> list[Document]:
    """The chosen platforms' documents with several texts (an EU and a global one): a column
    reads one of them, so the page says which and links their comparison."""
    return list(
        Document.objects.filter(platform__in={column.platform for column in columns})
        .annotate(texts=Count("variants"))
        .filter(texts__gt=1)
        .select_related("platform")
        .order_by("platform__name", "name")
    )


# What the picker reads: kept while these have the same newest rows (atlas.fingerprint), as
# reading 1,000 platforms and their texts took ~20 ms of every compare page.
PICKER_TABLES = [
    "provisions_platform",
    "provisions_document",
    "provisions_variant",
    "provisions_version",
]


def _picker() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(slug, name, the other texts its documents hold as (token, label)) per tracked
    platform: the picker offers a platform's main texts and each of its regional texts."""
    return fingerprint.cached("compare-picker", PICKER_TABLES, _read_picker)


def _read_picker() -> list[tuple[str, str, list[tuple[str, str]]]]:
    platforms = list(Platform.objects.tracked().only("slug", "name"))
    texts = other_texts(platforms)
    return [
        (p.slug, p.name, [(f"{p.slug}:{choice}", label) for choice, label in texts.get(p.pk, [])])
        for p in platforms
    ]


def compare(request):
    slugs, options = _selection(request), _options(request)
    query = _query(slugs, options)
    if not request.htmx and len(request.GET.getlist("platforms")) > 1:
        return redirect(f"{reverse('comparisons:compare')}?{query}")  # the no-JS form
    # One clause per cell on the page (its cell says how many there are); the CSV has more.
    table, error = _table_or_error(slugs, options, per_cell=1)
    context = {
        "table": table,
        "currency": _currency(cell for row in table.rows for cell in row.cells) if table else {},
        "error": error,
        "selected": slugs,
        "options": options,
        "query": query,
        "platforms": _picker(),
        "categories": ClauseType.objects.values_list("category", flat=True)
        .distinct()
        .order_by("category"),
        "severities": Severity.choices,
        "with_variants": _with_variants(table.platforms) if table else [],
        "regulations": Regulation.objects.filter(Q(clause_type_links__isnull=False))
        .distinct()
        .only("slug", "short_name", "jurisdiction"),
    }
    if request.htmx:
        response = render(request, "comparisons/compare.html#table", context)
        response["HX-Push-Url"] = f"{reverse('comparisons:compare')}?{query}"
        return response
    return render(
        request, "comparisons/compare.html", context, status=400 if error and slugs else 200
    )


def compare_csv(request):
    """The compare table as CSV, one row per provision (every one, never cut), and one row
    per clause type a platform has no provision of ("no provision found")."""
    slugs, options = _selection(request), _options(request)
    table, error = _table_or_error(slugs, options, per_cell=EVERY_PROVISION)
    if error:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    provisions = [
        a.provision for row in table.rows for cell in row.cells if cell for a in cell.assignments
    ]
    # The version a clause was last seen in, by its public ID (which names its variant)
    versions = {
        pk: format_version_id(document_id, variant_key, sha256[:VERSION_TAG_LENGTH])
        for pk, document_id, variant_key, sha256 in Provision.objects.filter(
            pk__in=[p.pk for p in provisions]
        ).values_list("pk", "document_id", "last_version__variant_key", "last_version__sha256")
    }
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="atlas-compare.csv"'
    writer = csv.writer(response)
    writer.writerow(COMPARE_CSV_HEADER)
    for group in table.groups:
        for row in group.rows:
            for platform, cell in zip(table.platforms, row.cells, strict=True):
                start = [group.category, row.clause_type.slug, row.clause_type.name]
                start += [platform.token, platform.name]  # the column: platform and text
                if cell is None:
                    writer.writerow([*start, "", "", "", "", "", "", "", "no provision found"])
                    continue
                for assignment in cell.assignments:
                    provision = assignment.provision
                    document = provision.document
                    version = versions[provision.pk]
                    writer.writerow(
                        [
                            *start,
                            cell.severity,
                            assignment.severity,
                            f"{assignment.score:.4f}",
                            provision.record_id,
                            document.name,
                            version,
                            request.build_absolute_uri(
                                provision_permalink(provision.record_id, version)
                            ),
                            provision.text,
                        ]
                    )
    return response
