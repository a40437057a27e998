import json
import re

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.db.models.functions import Substr
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from atlas import fingerprint
from comparisons import queries as clause_type_queries
from comparisons.models import ClauseType, Coverage, Severity
from comparisons.pictures import category_coverage
from comparisons.queries import clause_type_coverage_count
from provisions import citations, verification
from provisions import search as provision_search
from provisions.currency import (
    Currency,
    currency_annotations,
    document_currency,
    variant_currency,
)
from provisions.diff import diff_versions, diff_words, typographic_form
from provisions.embeddings import ModelUnavailable, WarmingUp, semantic_search
from provisions.exports import provision_csv
from provisions.models import (
    Document,
    Platform,
    Provision,
    Span,
    Version,
    format_record_id,
    parse_record_id,
)
from provisions.parse import normalize_text
from provisions.permalinks import moved_version_query, redirect_with_query
from provisions.pictures import version_timeline
from provisions.search import SearchMode, excerpt, filter_provisions, ranked, search_query
from provisions.texts import UnknownText, parse_choice, read_in, text_choices
from provisions.verification import VerifyError
from regulations import queries as regulation_queries
from regulations.queries import applicable_regulations, suggested_regulations

SEARCH_PAGE_SIZE = 20
# Provisions per page of a document or version, changes per kind on a diff page: enough to
# read a typical policy on one page; a 20,000-provision document renders in pages.
PROVISIONS_PAGE_SIZE = 200
DIFF_PAGE_SIZE = 200
SEMANTIC_LIMIT = 100
WARMING_UP_RETRY_AFTER = 30  # seconds: the worker embeds a few thousand wordings a minute
FACET_SIZE = 12
# The search page's filters, each from the app that owns it.
FACETS = {**provision_search.FACETS, **clause_type_queries.FACETS, **regulation_queries.FACETS}


# What the home page's counts read: they are kept while these have the same newest rows.
HOME_COUNT_TABLES = [
    "provisions_platform",
    "provisions_document",
    "provisions_version",
    "provisions_provision",
    "comparisons_clausetype",
    "comparisons_coverage",
]


def _home_counts() -> dict[str, int]:
    # both provision counts in one scan of the table
    provisions = Provision.objects.aggregate(
        provisions=Count("pk"), live_provisions=Count("pk", filter=Q(removed_in__isnull=True))
    )
    return {
        "platforms": Platform.objects.tracked().count(),
        "documents": Document.objects.filter(versions__isnull=False).distinct().count(),
        "versions": Version.objects.count(),
        **provisions,
        "clause_types": ClauseType.objects.count(),
        "clause_types_used": Coverage.objects.values("clause_type").distinct().count(),
    }


def home(request):
    # ~100 ms at 500,000 provisions: counted again only when the tables have new rows
    counts = fingerprint.cached("home-counts", HOME_COUNT_TABLES, _home_counts)
    recent = (
        Version.objects.substantive()
        .filter(ordinal__gt=1)
        .select_related("document__platform")
        .defer("text")
        .order_by("-captured_at")[:10]
    )
    return render(request, "provisions/home.html", {"counts": counts, "recent": recent})


def platform_list(request):
    platforms = Platform.objects.tracked().annotate(
        document_count=Count(
            "documents", filter=Q(documents__versions__isnull=False), distinct=True
        ),
    )
    return render(request, "provisions/platform_list.html", {"platforms": platforms})


def platform_detail(request, slug):
    platform = get_object_or_404(Platform, slug=slug)
    documents = list(
        platform.documents.with_counts()
        .filter(version_count__gt=0)
        .select_related("latest_version")
        .defer("latest_version__text")
    )
    timeline = (
        Version.objects.filter(document__platform=platform)
        .select_related("document")
        .defer("text")
        .order_by("-captured_at", "-id")[:30]
    )
    coverage = (
        Coverage.objects.filter(platform=platform)
        .select_related("clause_type")
        .order_by("clause_type__category", "clause_type__name")
    )
    currency = document_currency(d.pk for d in documents)
    for document in documents:
        document.currency = currency.get(document.pk)
    tracked = Platform.objects.tracked().count()
    context = {
        "platform": platform,
        "documents": documents,
        "timeline": timeline,
        "coverage": coverage,
        "clause_types": ClauseType.objects.count(),
        "categories": category_coverage(platform, tracked=tracked),
    }
    return render(request, "provisions/platform_detail.html", context)


def _spans(version, *, by_type=False):
    """The provisions of one version in reading order (or by clause type), unevaluated."""
    spans = (
        Span.objects.filter(version=version)
        .select_related("provision__assignment__clause_type", "revision")
        .defer("provision__search_vector", "provision__text", "revision__text")
    )
    if by_type:
        clause_type = "provision__assignment__clause_type__"
        return spans.order_by(
            F(f"{clause_type}category").asc(nulls_last=True),
            F(f"{clause_type}name").asc(nulls_last=True),
            "position",
        )
    return spans.order_by("position")


def _span_page(request, version, *, by_type=False):
    """One page of a version's provisions, each with its verbatim text cut from the version
    text read once (cutting it in SQL read the whole text again per span: ~56 s for a
    20,000-provision document)."""
    number = request.GET.get("page")
    if number is None and not by_type and "provision" in request.GET:
        number = _page_of(version, request.GET["provision"])
    page = Paginator(_spans(version, by_type=by_type), PROVISIONS_PAGE_SIZE).get_page(number)
    text = version.text
    for span in page:
        span.clause = text[span.start : span.end]
        span.version = version  # its public ID links the provision to this version
    return page


def _document_or_404(platform, slug):
    return get_object_or_404(
        Document.objects.select_related("platform"), platform__slug=platform, slug=slug
    )


def _page_of(version, record_id: str) -> int:
    """The page of ``version`` listing that provision (links to it carry ``?provision=``)."""
    position = (
        Span.objects.filter(version=version, provision_id=parse_record_id(record_id, "P"))
        .values_list("position", flat=True)
        .first()
    )
    if position is None:
        return 1
    return (
        Span.objects.filter(version=version, position__lt=position).count()
        // (PROVISIONS_PAGE_SIZE)
        + 1
    )


def document_detail(request, platform, slug):
    document = _document_or_404(platform, slug)
    latest = document.latest_version
    if latest is None:
        raise Http404("This document has no stored version yet.")
    # The page shows the primary variant's timeline; the others are listed with their latest.
    versions = list(
        Version.objects.filter(variant_id=latest.variant_id).defer("text").order_by("-ordinal")
    )
    variants = list(
        document.variants.with_last_capture()
        .select_related("latest_version")
        .defer("latest_version__text")  # the list shows their IDs, not their texts
    )
    group = "type" if request.GET.get("group") == "type" else "section"
    page = _span_page(request, latest, by_type=group == "type")
    if group == "type":
        counts = _type_counts(latest)
        for span in page:
            assignment = getattr(span.provision, "assignment", None)
            span.type_total = counts.get(assignment.clause_type_id if assignment else None, 0)
    context = {
        "document": document,
        "versions": versions,
        "variants": variants if len(variants) > 1 else [],
        "variant_total": len(variants),
        "latest": latest,
        "page": page,
        "spans": page.object_list,
        "group": group,
        "diff_from": versions[1] if len(versions) > 1 else None,
        "currency": document_currency([document.pk]).get(document.pk),
        "picture": version_timeline(versions),
        "own_title": _own_title(latest, document.name),
    }
    return render(request, "provisions/document_detail.html", context)


# A top-level Markdown heading: "# Title" or "Title" underlined with "=".
TOP_HEADING = re.compile(
    r"^#[ \t]+(?P<atx>\S.*?)[ \t#]*$|^(?P<setext>\S.*?)[ \t]*\n=+[ \t]*$", re.M
)


def _own_title(version, name: str) -> str:
    """The text's own title (its first top-level heading), where it names something else than
    the name the source collection gives the document (OTA's "ChatGPT Terms of Service"
    fetches a page titled "Europe Terms of Use"); "" where they agree or there is none."""
    match = TOP_HEADING.search(version.text)
    title = normalize_text((match.group("atx") or match.group("setext")) if match else "")
    if title.endswith(("?", ":")):  # a question or a lead-in opening the text, not a title
        return ""
    mine, theirs = typographic_form(title), typographic_form(name)
    if not mine or mine in theirs or theirs in mine:
        return ""
    return title


def _type_counts(version) -> dict[int | None, int]:
    """Provisions per clause type (None: unassigned) in the whole version: a page may show
    only part of a group."""
    rows = (
        Span.objects.filter(version=version)
        .values_list("provision__assignment__clause_type")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return dict(rows)


def document_diff(request, platform, slug):
    """``?from=&to=`` (version public IDs); ``to`` alone compares with the version before it."""
    if (moved := moved_version_query(request, "from", "to")) is not None:
        return moved
    document = _document_or_404(platform, slug)
    every = list(document.versions.defer("text").order_by("ordinal"))
    by_id = {v.public_id: v for v in every}
    wanted_old, wanted_new = request.GET.get("from"), request.GET.get("to")
    if wanted_new:
        new = by_id.get(wanted_new)
    else:  # the primary variant's latest, as on the document page
        new = next((v for v in every if v.pk == document.latest_version_id), None)
    if new is None or (wanted_old and wanted_old not in by_id):
        raise Http404("No such version of this document.")
    # Versions of one variant only: two variants are two texts, compared on their own page.
    versions = [v for v in every if v.variant_id == new.variant_id]
    if wanted_old and by_id[wanted_old].variant_id != new.variant_id:
        raise Http404(
            "These two versions belong to different variants of the document; the variants "
            "page compares variants."
        )
    if wanted_old:
        old = by_id[wanted_old]
    else:
        earlier = [v for v in versions if v.ordinal < new.ordinal]
        if not earlier:
            raise Http404("The first version has nothing before it to compare with.")
        old = earlier[-1]
    if old.ordinal > new.ordinal:
        old, new = new, old
    diff = diff_versions(old, new)
    # One page shows up to DIFF_PAGE_SIZE of each kind of change (word diffs are computed
    # only for those): a new version of a large document can change thousands of clauses.
    longest = max(len(diff.added), len(diff.removed), len(diff.reworded), 1)
    page = Paginator(range(longest), DIFF_PAGE_SIZE).get_page(request.GET.get("page"))
    shown = slice(page.start_index() - 1, page.end_index())
    context = {
        "document": document,
        "versions": versions,
        "diff": diff,
        "page": page,
        "added": diff.added[shown],
        "removed": diff.removed[shown],
        "reworded": diff.reworded[shown],
    }
    return render(request, "provisions/document_diff.html", context)


def _version_or_404(version_id):
    version = Version.objects.public(version_id).select_related("document__platform").first()
    if version is None:
        raise Http404("No stored version has that ID (they look like D-000015@3f2a9c1e0b7d).")
    return version


def version_moved(request, pk, suffix=""):
    """Links from before public version IDs (``/versions/<database key>/``) move for good."""
    version = get_object_or_404(Version.objects.only("document_id", "sha256"), pk=pk)
    return redirect_with_query(request, f"{version.get_absolute_url()}{suffix}")


def version_detail(request, version_id):
    version = _version_or_404(version_id)
    page = _span_page(request, version)
    context = {
        "version": version,
        "page": page,
        "spans": page.object_list,
        "captures": version.captures.all(),
    }
    return render(request, "provisions/version_detail.html", context)


def version_verify(request, version_id):
    """Re-hash the stored text now; htmx swaps the result in, without JS it is a page."""
    version = _version_or_404(version_id)
    context = {"version": version, "verified": version.verify(), "checked_at": timezone.now()}
    if request.htmx:
        return render(request, "provisions/_verify.html", context)
    return render(request, "provisions/version_verify.html", context)


def provision_detail(request, record_id):
    pk = parse_record_id(record_id, "P")
    if pk is None:
        raise Http404("Provision record IDs look like P-000123.")
    if (moved := moved_version_query(request)) is not None:
        return moved
    provision = get_object_or_404(
        Provision.objects.select_related(
            "document__platform",
            "variant",
            "first_version",
            "last_version",
            "removed_in",
            "assignment__clause_type",
            "assignment__runner_up",
            "category_assignment",
        )
        .defer("search_vector", "first_version__text", "last_version__text", "removed_in__text")
        .annotate(**currency_annotations("document_id", "variant_id")),
        pk=pk,
    )
    history = list(
        provision.spans.select_related("version", "revision")
        .defer("version__text", "revision__text")
        .order_by("version__ordinal")
    )
    shown = _shown_span(history, request.GET.get("version"))
    # Cut from the one version shown: cut per span, every version's whole text was read.
    shown.clause = (
        Span.objects.filter(pk=shown.pk)
        .values_list(Substr("version__text", F("start") + 1, F("end") - F("start")), flat=True)
        .get()
    )
    parent, parts = _enumeration(shown)
    assignment = getattr(provision, "assignment", None)
    # Same clause type only, checked here too: a curator may have moved either provision
    # since the worker stored the match.
    similar = (
        provision.similar.filter(
            other__assignment__clause_type_id=assignment.clause_type_id if assignment else None
        )
        .select_related("other__document__platform", "other__assignment")
        .defer("other__search_vector")
        .order_by("rank")
    )
    applicable = applicable_regulations(provision)
    context = {
        "provision": provision,
        "other_variants": _other_variants(provision, shown),
        "applicable": applicable,
        "suggested": suggested_regulations(provision, applicable=applicable),
        "history": history,
        "shown": shown,
        "pinned": "version" in request.GET,
        "evidence": shown.version,
        "assignment": assignment,
        "similar": similar,
        "coverage": clause_type_coverage_count(assignment.clause_type) if assignment else None,
        "category_reading": None if assignment else _category_reading(provision),
        "revisions": _revisions_with_diffs(provision),
        "citations": _citations(request, provision, shown),
        "currency": Currency(provision.last_captured_at, provision.tracked),
        "parent": parent,
        "parts": parts,
    }
    return render(request, "provisions/provision_detail.html", context)


def _category_reading(provision):
    """A provision with a category but no type: the category and its likeliest types (each a
    ``ClauseType`` with its ``probability``), or None."""
    reading = getattr(provision, "category_assignment", None)
    if reading is None:
        return None
    types = ClauseType.objects.in_bulk([slug for slug, _ in reading.candidates], field_name="slug")
    reading.types = []
    for slug, probability in reading.candidates:
        if slug in types:
            types[slug].probability = probability
            reading.types.append(types[slug])
    return reading


def _other_variants(provision, shown: Span) -> list[tuple]:
    """(variant, the record ID of the provision with the shown wording in its latest text, or
    None) for each other variant of the document: provisions are per variant, so the same
    words in the EU and the global text are two records."""
    others = [
        v
        for v in provision.document.variants.order_by("id")
        if v.pk != provision.variant_id and v.latest_version_id
    ]
    if not others:
        return []
    holders = dict(
        Span.objects.filter(
            version_id__in=[v.latest_version_id for v in others],
            revision__text_hash=shown.revision.text_hash,
        ).values_list("version_id", "provision_id")
    )
    return [
        (v, format_record_id("P", holders[v.latest_version_id]))
        if v.latest_version_id in holders
        else (v, None)
        for v in others
    ]


def _enumeration(shown: Span) -> tuple[Span | None, list[Span]]:
    """The clause the shown span is an enumerated part of, and the parts it has (same version).

    Each comes with its verbatim text in that version (``clause``), cut from the parent's text:
    the parts are spans inside it.
    """
    parent = shown.parent_span()
    if parent is not None:
        parent.clause = (
            Span.objects.filter(pk=parent.pk)
            .values_list(Substr("version__text", F("start") + 1, F("end") - F("start")), flat=True)
            .get()
        )
    parts = list(shown.part_spans())
    for part in parts:
        part.clause = shown.clause[part.start - shown.start : part.end - shown.start]
    return parent, parts


def _citations(request, provision, span) -> dict[str, str]:
    """The citation of this provision as shown (pinned to its version), in every format."""
    citation = citations.cite_provision(provision, span, clause=span.clause, request=request)
    return {
        "permalink": citation.permalink,
        "text": citations.as_text(citation).strip(),
        "bibtex": citations.as_bibtex(citation),
        "ris": citations.as_ris(citation),
        "csl_json": json.dumps(citations.as_csl_json(citation), indent=2, ensure_ascii=False),
    }


def _shown_span(history, version_id):
    """The span in the requested version (404 if it does not contain it), else the latest."""
    if version_id is None:
        return history[-1]
    for span in history:
        if span.version.public_id == version_id:
            return span
    raise Http404("This provision is not in that version.")


def _revisions_with_diffs(provision):
    revisions = list(
        provision.revisions.select_related("first_version").defer("first_version__text")
    )
    for before, after in zip(revisions, revisions[1:], strict=False):
        after.pieces = diff_words(before.text, after.text)
    return revisions


# Status filter of the search page and its lists: what a count of provisions "in force" opens.
STATUSES = {"in_force": "In force", "removed": "Removed"}


def _candidates(request):
    """The provisions the search page's filters (facets and status) leave, and the filters."""
    filters = {name: request.GET.get(name, "") for name in FACETS}
    candidates = filter_provisions(Provision.objects.all(), FACETS, filters)
    if filters["regulation"]:
        candidates = candidates.distinct()  # a clause type can link a regulation twice
    # Which text of each document (``provisions.texts``): what a compare column's count read
    variant = request.GET.get("variant", "")
    try:
        filters["variant"] = parse_choice(variant) if variant else ""
    except UnknownText:
        filters["variant"] = ""
    candidates = read_in(candidates, filters["variant"] or None)
    status = request.GET.get("status", "")
    filters["status"] = status if status in STATUSES else ""
    if filters["status"] == "in_force":
        candidates = candidates.live()
    elif filters["status"] == "removed":
        candidates = candidates.filter(removed_in__isnull=False)
    return candidates, filters


def _listed(candidates):
    """Every filtered provision, with no query: in force first, then by platform and document
    in reading order (the full list a count on another page opens)."""
    return (
        candidates.select_related("document__platform", "assignment__clause_type", "last_version")
        .defer("search_vector", "last_version__text")
        .order_by(
            F("removed_in").asc(nulls_first=True),
            "document__platform__name",
            "document__name",
            "id",
        )
    )


def search(request):
    q = request.GET.get("q", "").strip()[:300]
    mode = SearchMode.SEMANTIC if request.GET.get("mode") == "semantic" else SearchMode.TEXT
    candidates, filters = _candidates(request)
    filtered = any(filters.values())
    page = facets = unavailable = warming = None
    if q and mode == SearchMode.SEMANTIC:
        try:
            hits = semantic_search(q, provisions=candidates, limit=SEMANTIC_LIMIT)
        except WarmingUp as error:
            unavailable = warming = error
        except ModelUnavailable as error:
            unavailable = str(error)
        else:
            matches = Provision.objects.filter(pk__in=[hit.pk for hit in hits])
    elif q:
        # Prefetched, not joined: with joins between the LIMIT and the sort, PostgreSQL sorts
        # every match with its text (on disk for a frequent word: ~95 ms for 42,000 matches
        # at 500,000 provisions); alone, the sort keeps only the page (top-N, ~45 ms).
        hits = candidates.search(q).prefetch_related("document__platform", "assignment")
        hits = hits.defer("search_vector")
        matches = candidates.filter(search_vector=search_query(q))
    elif filtered:
        hits = matches = _listed(candidates)
    if (q or filtered) and not unavailable:
        facets, total = _facets(matches)
        paginator = Paginator(hits, SEARCH_PAGE_SIZE)
        paginator.count = total  # known from the facet query: no separate COUNT(*)
        page = paginator.get_page(request.GET.get("page"))
        currency = variant_currency({result.variant_id for result in page})
        for result in page:
            result.currency = currency.get(result.variant_id)
            if q and mode == SearchMode.TEXT:
                result.excerpt = excerpt(result.text, getattr(result, "snippet", ""))
    context = {"q": q, "mode": mode, "filters": filters, "page": page, "facets": facets}
    context.update(severities=Severity.choices, unavailable=unavailable, warming=warming)
    context.update(filtered=filtered, statuses=STATUSES.items(), texts=text_choices())
    template = "provisions/search.html#results" if request.htmx else "provisions/search.html"
    # 503 tells clients and crawlers it is temporary; htmx swaps only 2xx responses, so its
    # fragment comes with 200 and the same message.
    status = 503 if unavailable and not request.htmx else 200
    response = render(request, template, context, status=status)
    if warming and status == 503:
        response["Retry-After"] = str(WARMING_UP_RETRY_AFTER)
    return response


def search_csv(request):
    """The filtered list (no query) or the full-text matches, every row, as CSV."""
    q = request.GET.get("q", "").strip()[:300]
    candidates, filters = _candidates(request)
    if not q and not any(filters.values()):
        return HttpResponse(
            "Give a query (q) or at least one filter (platform, clause_type, severity, "
            "regulation, status, variant).",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    rows = _listed(candidates)
    if q:
        rows = rows.filter(search_vector=search_query(q))
    return provision_csv(rows, request=request)


def _facets(matches) -> tuple[dict[str, list], int]:
    """Each facet's values among the matches, most first, and the number of matches."""
    counts = clause_type_queries.count_facets(matches)
    facets = {
        "platform": counts.platform,
        "clause_type": counts.clause_type,
        "severity": counts.severity,
        "regulation": regulation_queries.count_regulations(counts.type_ids),
    }
    return {
        name: ranked(counter, size=FACET_SIZE) for name, counter in facets.items()
    }, counts.total


# Multipart framing around the file: boundaries, headers, the CSRF token.
UPLOAD_OVERHEAD = 64 * 1024


def verify_document(request):
    """Which stored version is this? A pasted SHA-256 (GET ``?sha256=``) or an uploaded file
    (POST): the matching versions with when and where they were captured, or that none is."""
    limit = settings.ATLAS_MAX_DOCUMENT_BYTES
    context, status = {"limit": limit, "submitted": False}, 200
    try:
        if request.method == "POST":
            context.update(submitted=True, uploaded=True)
            length = request.META.get("CONTENT_LENGTH") or ""
            if not length.isdigit() or int(length) > limit + UPLOAD_OVERHEAD:
                status = 413
                raise VerifyError(
                    f"The upload must state its size and be at most {limit:,} bytes."
                    if not length.isdigit()
                    else f"The upload is larger than the limit of {limit:,} bytes."
                )
            upload = request.FILES.get("file")
            if upload is None:
                raise VerifyError("Choose a file to upload.")
            if upload.size > limit:
                status = 413
            found = verification.candidates(upload.read(limit + 1), max_bytes=limit)
            context.update(filename=upload.name, size=upload.size, sha256=found[0].sha256)
            context["matches"] = verification.identify(found)
        elif "sha256" in request.GET:
            context["submitted"] = True
            context["sha256"] = verification.clean_sha256(request.GET["sha256"])
            versions = verification.versions_with_sha256(context["sha256"])
            context["matches"] = [
                verification.Match(v, verification.Candidate(v.sha256, ())) for v in versions
            ]
    except VerifyError as error:
        context["error"] = str(error)
        status = status if status != 200 else 400
    return render(request, "provisions/verify.html", context, status=status)
