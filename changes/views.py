"""Change review pages: the changes of a scope, by version, with year, period and
significance filters ("substantive only" by default) and the counts' denominators."""

from __future__ import annotations

from datetime import date

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from changes.models import ProvisionChange
from changes.queries import SIGNIFICANCE_FILTERS, Period, parse_filters
from changes.scopes import UnknownScope, resolve_scope
from changes.variants import NoVersion, compare_variants, end_of_day
from provisions.diff import diff_words
from provisions.models import Document

CHANGES_PAGE_SIZE = 100


def change_list(request, kind="all", key=""):
    try:
        scope = resolve_scope(kind, key)
    except UnknownScope as error:
        raise Http404(str(error)) from None
    filters = parse_filters(request.GET)
    changes = (
        filters.apply(scope.changes())
        .select_related("document__platform", "provision", "version", "previous_version")
        .defer("version__text", "previous_version__text", "provision__search_vector")
    )
    page = Paginator(changes, CHANGES_PAGE_SIZE).get_page(request.GET.get("page"))
    recent = Period(days=30)
    context = {
        "scope": scope,
        "filters": filters,
        "significance_filters": SIGNIFICANCE_FILTERS,
        "page": page,
        "groups": group_by_version(page.object_list),
        "total": page.paginator.count,
        "captures": filters.period.captures(scope.captures()).count(),
        "recent_count": recent.apply(scope.changes().at_least(filters.significance)).count(),
        "recent_captures": recent.captures(scope.captures()).count(),
        "years": sorted(
            {d.year for d in scope.changes().dates("captured_at", "year")}, reverse=True
        ),
    }
    return render(request, "changes/change_list.html", context)


def change_detail(request, pk):
    change = get_object_or_404(
        ProvisionChange.objects.select_related(
            "document__platform", "provision", "version", "previous_version"
        ).defer("version__text", "previous_version__text", "provision__search_vector"),
        pk=pk,
    )
    before, after = change.evidence.get("before"), change.evidence.get("after")
    pieces = diff_words(before, after) if before is not None and after is not None else None
    return render(request, "changes/change_detail.html", {"change": change, "pieces": pieces})


def group_by_version(changes) -> list[dict]:
    """Consecutive changes of one version together; a capture glitch's changes as one."""
    groups: list[dict] = []
    for change in changes:
        if not groups or groups[-1]["version"].pk != change.version_id:
            groups.append(
                {"version": change.version, "change": change, "changes": [], "glitch": None}
            )
        group = groups[-1]
        if change.glitch:
            group["glitch"] = group["glitch"] or {
                "rule": change.rule,
                "explanation": change.rule_explanation,
                "count": 0,
            }
            group["glitch"]["count"] += 1
        else:
            group["changes"].append(change)
    return groups


def document_changes(request, platform, slug):
    return change_list(request, kind="document", key=f"{platform}/{slug}")


VARIANT_PAGE_SIZE = 100


def variant_differences(request, platform, slug):
    """Two variants of one document side by side: ``?a=&b=`` name them by slug (``default``
    for the undeclared one, else the key: ``eu-en``); the first two by default."""
    document = get_object_or_404(
        Document.objects.select_related("platform"), platform__slug=platform, slug=slug
    )
    variants = list(document.variants.with_last_capture().order_by("id"))
    if len(variants) < 2:
        raise Http404("This document has a single variant: there is nothing to compare it with.")
    by_slug = {variant.slug: variant for variant in variants}
    a = by_slug.get(request.GET.get("a") or variants[0].slug)
    b = by_slug.get(request.GET.get("b") or variants[1].slug)
    if a is None or b is None:
        raise Http404("This document has no variant of that name: " + ", ".join(by_slug) + ".")
    context = {"document": document, "variants": variants, "a": a, "b": b, "at": ""}
    at = None
    if wanted := request.GET.get("at"):
        try:
            at = end_of_day(date.fromisoformat(wanted))
        except ValueError:
            context["error"] = "The date compared is a day like 2026-01-31."
        else:
            context["at"] = wanted
    if a.pk == b.pk:
        context["error"] = "Choose two different variants."
    if "error" in context:
        return render(request, "changes/variant_differences.html", context, status=400)
    try:
        diff = compare_variants(a, b, at)
    except NoVersion as error:
        raise Http404(str(error)) from None
    page = Paginator(diff.differences, VARIANT_PAGE_SIZE).get_page(request.GET.get("page"))
    # A day chosen before a variant's last capture: offer the latest texts.
    newer = [v for v in (a, b) if at and v.last_capture > diff.at]
    context.update(
        {
            "diff": diff,
            "page": page,
            "substantive": len(diff.substantive),
            "newer": newer,
            "counts": diff.counts,
        }
    )
    return render(request, "changes/variant_differences.html", context)
