from django.db.models import Count, F, Q
from django.db.models.functions import Substr
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from comparisons.models import Assignment
from comparisons.queries import clause_type_coverage
from provisions.models import Document, Platform, Provision, Span, Version, parse_record_id


def home(request):
    counts = {
        "platforms": Platform.objects.filter(documents__versions__isnull=False).distinct().count(),
        "documents": Document.objects.filter(versions__isnull=False).distinct().count(),
        "versions": Version.objects.count(),
        "provisions": Provision.objects.count(),
        "live_provisions": Provision.objects.live().count(),
    }
    recent = (
        Version.objects.substantive()
        .filter(ordinal__gt=1)
        .select_related("document__platform")
        .defer("text")
        .order_by("-captured_at")[:10]
    )
    return render(request, "provisions/home.html", {"counts": counts, "recent": recent})


def platform_list(request):
    platforms = Platform.objects.annotate(
        document_count=Count(
            "documents", filter=Q(documents__versions__isnull=False), distinct=True
        ),
    ).filter(document_count__gt=0)
    return render(request, "provisions/platform_list.html", {"platforms": platforms})


def platform_detail(request, slug):
    platform = get_object_or_404(Platform, slug=slug)
    documents = (
        platform.documents.with_counts()
        .filter(version_count__gt=0)
        .select_related("latest_version")
        .defer("latest_version__text")
    )
    return render(
        request, "provisions/platform_detail.html", {"platform": platform, "documents": documents}
    )


def _spans(version):
    """The provisions of one version, each with its verbatim text cut from the version."""
    return (
        Span.objects.filter(version=version)
        .annotate(clause=Substr("version__text", F("start") + 1, F("end") - F("start")))
        .select_related("provision", "revision")
        .order_by("position")
    )


def document_detail(request, platform, slug):
    document = get_object_or_404(
        Document.objects.select_related("platform"), platform__slug=platform, slug=slug
    )
    versions = document.versions.defer("text").order_by("-ordinal")
    latest = document.latest_version
    if latest is None:
        raise Http404("This document has no stored version yet.")
    return render(
        request,
        "provisions/document_detail.html",
        {"document": document, "versions": versions, "latest": latest, "spans": _spans(latest)},
    )


def version_detail(request, pk):
    version = get_object_or_404(Version.objects.select_related("document__platform"), pk=pk)
    return render(
        request,
        "provisions/version_detail.html",
        {"version": version, "spans": _spans(version), "captures": version.captures.all()},
    )


def provision_detail(request, record_id):
    pk = parse_record_id(record_id, "P")
    if pk is None:
        raise Http404("Provision record IDs look like P-000123.")
    provision = get_object_or_404(
        Provision.objects.select_related(
            "document__platform", "first_version", "last_version", "removed_in"
        ).defer("first_version__text", "last_version__text", "removed_in__text"),
        pk=pk,
    )
    history = (
        provision.spans.select_related("version", "revision")
        .defer("version__text")
        .annotate(clause=Substr("version__text", F("start") + 1, F("end") - F("start")))
        .order_by("version__ordinal")
    )
    history = list(history)
    shown = history[-1]
    assignment = (
        Assignment.objects.select_related("clause_type", "runner_up")
        .filter(provision=provision)
        .first()
    )
    similar = provision.similar.select_related("other__document__platform").order_by("rank")
    coverage = clause_type_coverage(assignment.clause_type) if assignment else None
    return render(
        request,
        "provisions/provision_detail.html",
        {
            "provision": provision,
            "history": history,
            "shown": shown,
            "evidence": shown.version,
            "assignment": assignment,
            "similar": similar,
            "coverage": coverage,
            "revisions": provision.revisions.select_related("first_version").defer(
                "first_version__text"
            ),
        },
    )
