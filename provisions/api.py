"""API viewsets for platforms, documents, versions, provisions, changes, search and imports.

Thin adapters: the querysets are the models' own, serializers in ``provisions.serializers``,
citations from ``provisions.citations`` (answered in their formats by
``provisions.renderers``), search from ``Provision.objects.search`` and
``provisions.embeddings.semantic_search``, imports from the ``provisions.import_sources`` task.
Lists select everything they show in a fixed number of queries whatever the page size. Schema
examples are in ``data/api_examples/``.
"""

from __future__ import annotations

from pathlib import Path

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from atlas import pipeline
from atlas import schema as docs
from atlas.api import (
    ConditionalRetrieveMixin,
    ModelUnavailableError,
    WarmingUpError,
    conditional_response,
)
from comparisons import classify
from comparisons.models import SimilarProvision
from datasets import rows as export_rows
from datasets.api import (
    CHUNK_SIZE,
    EXPORT_FORMATS,
    EXPORT_PARAMETERS,
    FORMAT_PARAMETERS,
    ExportMixin,
    SerializedExportMixin,
    base_url,
    include_citation,
    streamed,
)
from provisions import citations, embeddings, tasks
from provisions.embeddings import ModelUnavailable, WarmingUp, semantic_search
from provisions.filters import DocumentFilter, ProvisionFilter, VersionFilter
from provisions.models import (
    Capture,
    ChangeKind,
    Document,
    Platform,
    Provision,
    Revision,
    Span,
    Version,
    format_record_id,
    parse_record_id,
    parse_version_id,
    sha256_text,
)
from provisions.permalinks import moved_version_query, redirect_with_query
from provisions.renderers import CITATION_RENDERERS, CitationMixin, citation_schema
from provisions.search import SearchMode
from provisions.serializers import (
    ChangeSerializer,
    CurateSerializer,
    DocumentSerializer,
    ImportSerializer,
    PlatformDetailSerializer,
    PlatformSerializer,
    ProvisionDetailSerializer,
    ProvisionSerializer,
    SearchParameters,
    SearchResultSerializer,
    VerifySerializer,
    VersionDetailSerializer,
    VersionSerializer,
    assignment_of,
)
from regulations.queries import applicable_regulations

EXAMPLES = Path(__file__).resolve().parent / "data" / "api_examples"
VERSION_FIELDS = ("first_version", "last_version", "removed_in")


def provision_fields(*, include_citation: bool) -> list:
    """The columns of a provision export (lists and search)."""
    citation = export_rows.CITATION_FIELDS if include_citation else []
    return [*export_rows.PROVISION_FIELDS, *citation]


def provision_citation(provision, *, request) -> dict:
    """A listed provision's citation record (pinned to its last version), as JSON."""
    record = export_rows.provision_citation(
        provision, base_url=base_url(request), accessed=timezone.localdate()
    )
    return citations.as_json(record)


def version_citation(version, *, request) -> dict:
    """A listed version's citation record, as JSON."""
    record = export_rows.version_citation(
        version, base_url=base_url(request), accessed=timezone.localdate()
    )
    return citations.as_json(record)


class VersionMoved(Exception):
    """A version asked for by its former database key: answered with a 301."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def count_of(model, **filters):
    """The number of ``model`` rows of the outer document, as a correlated subquery."""
    rows = model.objects.filter(document=OuterRef("pk"), **filters).order_by()
    counted = rows.values("document").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def get_by_record_id(queryset, prefix: str, value: str):
    pk = parse_record_id(value, prefix)
    if pk is None:
        raise exceptions.NotFound(f"Record IDs look like {format_record_id(prefix, 123)}.")
    try:
        return queryset.get(pk=pk)
    except queryset.model.DoesNotExist:
        raise exceptions.NotFound(f"No record {format_record_id(prefix, pk)}.") from None


@extend_schema_view(
    list=extend_schema(
        parameters=FORMAT_PARAMETERS,
        examples=[docs.example("A platform", EXAMPLES / "platform.json")],
    ),
    retrieve=extend_schema(examples=[docs.example("OpenAI", EXAMPLES / "platform-detail.json")]),
)
class PlatformViewSet(
    SerializedExportMixin, ConditionalRetrieveMixin, viewsets.ReadOnlyModelViewSet
):
    """Platforms with at least one stored document version, by slug."""

    export_name = "atlas-platforms"

    lookup_field = "slug"
    lookup_value_regex = "[^/]+"
    ordering_fields = ["name", "slug", "document_count"]
    ordering = ["name"]
    filterset_fields = ["slug"]

    def get_queryset(self):
        return Platform.objects.tracked().annotate(
            document_count=Count(
                "documents", filter=Q(documents__latest_version__isnull=False), distinct=True
            )
        )

    def get_serializer_class(self):
        return PlatformDetailSerializer if self.action == "retrieve" else PlatformSerializer

    @extend_schema(
        responses=DocumentSerializer,
        examples=[docs.example("A document", EXAMPLES / "document.json")],
    )
    @action(detail=True, url_path=r"documents/(?P<document_slug>[^/]+)")
    def document(self, request, slug=None, document_slug=None, format=None):
        """A document by platform slug and document slug."""
        try:
            document = DocumentViewSet.queryset_for_detail().get(
                platform__slug=slug, slug=document_slug
            )
        except Document.DoesNotExist:
            raise exceptions.NotFound(f"No document {document_slug!r} of {slug!r}.") from None
        data = DocumentSerializer(document, context=self.get_serializer_context()).data
        return conditional_response(request, data, last_modified=document.updated_at)


@extend_schema_view(
    list=extend_schema(
        parameters=FORMAT_PARAMETERS,
        examples=[docs.example("A document", EXAMPLES / "document.json")],
    ),
    retrieve=extend_schema(examples=[docs.example("A document", EXAMPLES / "document.json")]),
)
class DocumentViewSet(
    SerializedExportMixin, CitationMixin, ConditionalRetrieveMixin, viewsets.ReadOnlyModelViewSet
):
    """Documents (usage policy, terms...) by record ID ``D-000123``."""

    export_name = "atlas-documents"

    serializer_class = DocumentSerializer
    lookup_value_regex = "[^/]+"
    filterset_class = DocumentFilter
    ordering_fields = ["name", "slug", "version_count", "live_provision_count"]
    ordering = ["platform__name", "name"]

    @staticmethod
    def queryset_for_detail():
        # Two correlated counts rather than ``with_counts()``'s joins: joining versions and
        # provisions at once multiplies the rows (versions × provisions per document).
        return (
            Document.objects.select_related("platform", "latest_version")
            .defer("latest_version__text")
            .annotate(
                version_count=count_of(Version),
                live_provision_count=count_of(Provision, removed_in__isnull=True),
            )
        )

    def get_queryset(self):
        return self.queryset_for_detail().filter(latest_version__isnull=False)

    def get_object(self):
        return get_by_record_id(self.get_queryset(), "D", self.kwargs["pk"])

    @extend_schema(**citation_schema("Citation record of the document's latest version"))
    @action(detail=True, renderer_classes=CITATION_RENDERERS)
    def citation(self, request, pk=None, format=None):
        document = self.get_object()
        version = Version.objects.select_related("document__platform").get(
            pk=document.latest_version_id
        )
        return self.cite(request, citations.cite_document(document, version, request=request))


@extend_schema_view(
    list=extend_schema(
        parameters=EXPORT_PARAMETERS,
        examples=[docs.example("A version", EXAMPLES / "version.json")],
    ),
    retrieve=extend_schema(
        examples=[docs.example("A version with its text", EXAMPLES / "version-detail.json")]
    ),
)
class VersionViewSet(
    ExportMixin, CitationMixin, ConditionalRetrieveMixin, viewsets.ReadOnlyModelViewSet
):
    """Stored versions: the exact text of a document at a capture time, with its sha256, by
    public ID (``D-000015@3f2a9c1e0b7d``). ``?sha256=`` finds the versions of a text you hold.
    """

    export_name = "atlas-versions"

    lookup_value_regex = "[^/]+"
    filterset_class = VersionFilter
    ordering_fields = ["captured_at", "ordinal", "byte_size"]
    ordering = ["document_id", "ordinal"]

    def get_queryset(self):
        versions = Version.objects.select_related("document__platform")
        if self.action == "list":
            if include_citation(self.request):
                versions = versions.annotate(first_commit=export_rows.first_commit("pk"))
            return versions.defer("text")
        return versions.prefetch_related(
            Prefetch("captures", queryset=Capture.objects.order_by("captured_at", "id"))
        )

    def get_serializer_class(self):
        return VersionSerializer if self.action == "list" else VersionDetailSerializer

    def export_fields(self, *, include_citation):
        citation = export_rows.CITATION_FIELDS if include_citation else []
        return [*export_rows.VERSION_FIELDS, *citation]

    def export_rows(self, queryset, *, include_citation):
        # The list's queryset defers the text: the export carries it.
        versions = export_rows.versions_for_export(queryset.defer(None))
        return export_rows.version_rows(
            versions.iterator(chunk_size=CHUNK_SIZE // 10),  # texts run to megabytes
            base_url=base_url(self.request),
            include_citation=include_citation,
        )

    def citation_of(self, version):
        return version_citation(version, request=self.request)

    def get_object(self):
        value = self.kwargs["pk"]
        if value.isdigit():  # a link from before public IDs: it moves (handle_exception)
            raise VersionMoved(value)
        if parse_version_id(value) is None:
            raise exceptions.NotFound("Version IDs look like D-000015@3f2a9c1e0b7d.")
        version = self.get_queryset().public(value).first()
        if version is None:
            raise exceptions.NotFound(f"No version {value}.")
        return version

    def handle_exception(self, exc):
        if isinstance(exc, VersionMoved):
            version = Version.objects.filter(pk=int(exc.key)).only("document_id", "sha256")
            if not version:
                exc = exceptions.NotFound(f"No stored version has the former ID {exc.key}.")
            else:
                path = self.request.path.replace(f"/{exc.key}/", f"/{version[0].public_id}/", 1)
                return redirect_with_query(self.request, path)
        return super().handle_exception(exc)

    @extend_schema(**citation_schema("Citation record of this version"))
    @action(detail=True, renderer_classes=CITATION_RENDERERS)
    def citation(self, request, pk=None, format=None):
        return self.cite(request, citations.cite_version(self.get_object(), request=request))

    @extend_schema(
        responses=VerifySerializer,
        examples=[docs.example("The text is intact", EXAMPLES / "verify.json")],
    )
    @action(detail=True)
    def verify(self, request, pk=None, format=None):
        """Re-hash the stored text now and compare it with the recorded sha256."""
        version = self.get_object()
        computed = sha256_text(version.text)
        return Response(
            {
                "version": version.public_id,
                "recorded_sha256": version.sha256,
                "computed_sha256": computed,
                "match": computed == version.sha256,
                "byte_size": version.byte_size,
                "computed_byte_size": len(version.text.encode("utf-8")),
                "verified_at": timezone.now(),
            }
        )


@extend_schema_view(
    list=extend_schema(
        parameters=EXPORT_PARAMETERS,
        examples=[docs.example("A provision", EXAMPLES / "provision.json")],
    ),
    retrieve=extend_schema(
        examples=[docs.example("A provision", EXAMPLES / "provision-detail.json")]
    ),
)
class ProvisionViewSet(
    ExportMixin, CitationMixin, ConditionalRetrieveMixin, viewsets.ReadOnlyModelViewSet
):
    """Provisions (verbatim clauses) by record ID ``P-000123``, with clause type and history."""

    export_name = "atlas-provisions"

    lookup_value_regex = "[^/]+"
    filterset_class = ProvisionFilter
    ordering_fields = ["id", "score", "revision_count"]
    ordering = ["id"]

    def get_queryset(self):
        provisions = (
            Provision.objects.select_related(
                "document__platform",
                "assignment__clause_type",
                "assignment__runner_up",
                *VERSION_FIELDS,
            )
            .defer("search_vector", *(f"{name}__text" for name in VERSION_FIELDS))
            .annotate(score=F("assignment__score"))
        )
        if self.action == "list":
            if include_citation(self.request):
                provisions = provisions.annotate(
                    first_commit=export_rows.first_commit("last_version")
                )
            return provisions
        return provisions.prefetch_related(
            Prefetch(
                "spans",
                queryset=Span.objects.select_related("version", "revision")
                .defer("version__text")
                .order_by("version__ordinal"),
                to_attr="history_spans",
            ),
            Prefetch(
                "revisions",
                queryset=Revision.objects.select_related("first_version")
                .defer("first_version__text")
                .order_by("number"),
            ),
            Prefetch(
                "similar",
                queryset=SimilarProvision.objects.select_related("other__document__platform")
                .defer("other__search_vector")
                .order_by("rank"),
            ),
        )

    def get_serializer_class(self):
        return ProvisionSerializer if self.action == "list" else ProvisionDetailSerializer

    def export_fields(self, *, include_citation):
        return provision_fields(include_citation=include_citation)

    def export_rows(self, queryset, *, include_citation):
        provisions = export_rows.provisions_for_export(queryset)
        return export_rows.provision_rows(
            provisions.iterator(chunk_size=CHUNK_SIZE),
            base_url=base_url(self.request),
            include_citation=include_citation,
        )

    def citation_of(self, provision):
        return provision_citation(provision, request=self.request)

    def get_object(self):
        provision = get_by_record_id(self.get_queryset(), "P", self.kwargs["pk"])
        provision.applicable_regulations = applicable_regulations(provision)
        return provision

    def get_last_modified(self, provision):
        assignment = assignment_of(provision)
        return max([provision.updated_at, *([assignment.updated_at] if assignment else [])])

    @extend_schema(
        **citation_schema(
            "Citation record of the provision, pinned to one version",
            OpenApiParameter(
                "version",
                OpenApiTypes.STR,
                description="The public ID of a version the provision appears in "
                "(D-000015@3f2a9c1e0b7d; default: the latest one). A former numeric ID "
                "is redirected (301) to the public one.",
            ),
        )
    )
    @action(detail=True, renderer_classes=CITATION_RENDERERS)
    def citation(self, request, pk=None, format=None):
        if (moved := moved_version_query(request)) is not None:
            return moved
        provision = get_by_record_id(
            Provision.objects.select_related("document__platform").defer("search_vector"), "P", pk
        )
        spans = Span.objects.select_related("version").filter(provision=provision)
        version_id = request.query_params.get("version")
        if version_id is None:
            span = spans.filter(version_id=provision.last_version_id).first()
        elif parse_version_id(version_id) is None:
            raise exceptions.ValidationError(
                {"version": ["Must be a version ID like D-000015@3f2a9c1e0b7d."]}
            )
        else:
            span = spans.filter(version__in=Version.objects.public(version_id)).first()
        if span is None:
            raise exceptions.ValidationError(
                {"version": [f"{provision.record_id} does not appear in version {version_id}."]}
            )
        clause = span.version.text[span.start : span.end]
        return self.cite(
            request, citations.cite_provision(provision, span, clause=clause, request=request)
        )

    @extend_schema(
        summary="Curator: set the provision's clause type (staff token)",
        request=CurateSerializer,
        responses=ProvisionDetailSerializer,
        examples=[
            docs.request_example("Set the clause type", EXAMPLES / "curate-request.json"),
            docs.example("The provision, curated", EXAMPLES / "provision-detail.json"),
        ],
    )
    @action(
        detail=True,
        methods=["put"],
        url_path="clause-type",
        permission_classes=[permissions.IsAdminUser],
    )
    def curate(self, request, pk=None, format=None):
        """Kept by every re-run of clause-type assignment; matches and coverage are
        recomputed by the worker right after."""
        provision = get_by_record_id(Provision.objects.defer("search_vector"), "P", pk)
        body = CurateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        classify.curate_clause_type(
            provision=provision,
            clause_type=body.validated_data["clause_type"],
            curator=request.user.get_username(),
        )
        pipeline.enqueue_after_curation()
        return self.retrieve(request, pk=pk)


@extend_schema_view(
    list=extend_schema(
        parameters=EXPORT_PARAMETERS,
        examples=[docs.example("A change", EXAMPLES / "change.json")],
    )
)
class ChangeViewSet(ExportMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Versions after the first, newest first: what changed, and how much.

    Without ``change_kind`` only substantive and wording changes are listed: link, markup,
    page-furniture and technical re-extractions are not policy changes (ask for them by name).
    """

    serializer_class = ChangeSerializer
    filterset_class = VersionFilter
    ordering_fields = ["captured_at"]
    ordering = ["-captured_at", "-id"]
    export_name = "atlas-changes"

    def export_fields(self, *, include_citation):
        citation = export_rows.CITATION_FIELDS if include_citation else []
        return [*export_rows.CHANGE_FIELDS, *citation]

    def export_rows(self, queryset, *, include_citation):
        return export_rows.version_rows(
            export_rows.versions_for_export(queryset, with_text=False).iterator(
                chunk_size=CHUNK_SIZE
            ),
            base_url=base_url(self.request),
            with_text=False,
            include_citation=include_citation,
        )

    def citation_of(self, version):
        return version_citation(version, request=self.request)

    def get_queryset(self):
        previous = Version.objects.filter(
            variant=OuterRef("variant"), ordinal=OuterRef("ordinal") - 1
        ).values("public_tag")[:1]
        changes = (
            Version.objects.filter(ordinal__gt=1)
            .select_related("document__platform")
            .defer("text")
            .annotate(previous_tag=Subquery(previous))
        )
        if include_citation(self.request):
            changes = changes.annotate(first_commit=export_rows.first_commit("pk"))
        if "change_kind" not in self.request.query_params:
            changes = changes.filter(change_kind__in=[ChangeKind.SUBSTANTIVE, ChangeKind.WORDING])
        return changes


SEMANTIC_LIMIT = 100


@extend_schema_view(
    list=extend_schema(
        parameters=[SearchParameters, *EXPORT_PARAMETERS],
        summary="Full-text or semantic search over provisions",
        examples=[docs.example("A full-text match", EXAMPLES / "search-result.json")],
    )
)
class SearchViewSet(ExportMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Full text (ranked, with highlighted snippets) or semantic (closest meaning first).

    Semantic search returns at most the 100 closest provisions.
    """

    serializer_class = SearchResultSerializer
    filterset_class = ProvisionFilter
    ordering_fields: list[str] = []
    needs_model = True  # semantic mode: documents the 503 of ``ModelUnavailableError``

    def get_queryset(self):
        return Provision.objects.select_related(
            "document__platform",
            "assignment__clause_type",
            "assignment__runner_up",
            *VERSION_FIELDS,
        ).defer("search_vector", *(f"{name}__text" for name in VERSION_FIELDS))

    export_name = "atlas-search"

    def list(self, request, *args, **kwargs):
        parameters = SearchParameters(data=request.query_params)
        parameters.is_valid(raise_exception=True)
        q, mode = parameters.validated_data["q"], parameters.validated_data["mode"]
        fmt, citation = request.accepted_renderer.format, include_citation(request)
        provisions = self.filter_queryset(self.get_queryset())
        if citation or fmt in EXPORT_FORMATS:
            provisions = export_rows.provisions_for_export(provisions)
        results = provisions.search(q) if mode == SearchMode.TEXT else self.semantic(q, provisions)
        if fmt in EXPORT_FORMATS:  # every match, in rank order, as provision rows
            if mode == SearchMode.TEXT:
                results = results.iterator(chunk_size=CHUNK_SIZE)
            rows = export_rows.provision_rows(
                results, base_url=base_url(request), include_citation=citation
            )
            fields = provision_fields(include_citation=citation)
            return streamed(rows, fields=fields, fmt=fmt, filename=self.export_name)
        page = self.paginate_queryset(results)
        data = self.get_serializer(page, many=True).data
        if citation:
            for item, provision in zip(data, page, strict=True):
                item["citation"] = provision_citation(provision, request=request)
        return self.get_paginated_response(data)

    def semantic(self, q: str, provisions) -> list[Provision]:
        try:
            return semantic_search(
                q, provisions=provisions, limit=SEMANTIC_LIMIT, encoder=embeddings.get_encoder()
            )
        except ModelUnavailable as error:
            detail = (
                f"Semantic search is unavailable: {error}. Full-text search "
                "(mode=text) does not need the model."
            )
            if isinstance(error, WarmingUp):
                raise WarmingUpError(detail, embedded=error.embedded, total=error.total) from error
            raise ModelUnavailableError(detail) from error


@extend_schema_view(
    create=extend_schema(
        summary="Queue an import in the worker (staff token)",
        responses={202: ImportSerializer},
        examples=[
            docs.example("Queued", EXAMPLES / "import.json"),
            docs.request_example("The Open Terms Archive GenAI versions", EXAMPLES / "import.json"),
        ],
    )
)
class ImportViewSet(viewsets.GenericViewSet):
    """Imports fetch and store policy histories, so only staff accounts' tokens may queue them;
    sources are public https git URLs only (never paths on the server, see ImportSerializer)."""

    serializer_class = ImportSerializer
    permission_classes = [permissions.IsAdminUser]

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sources = serializer.validated_data["sources"]
        tasks.import_sources.delay_on_commit(sources)
        return Response({"sources": sources}, status=status.HTTP_202_ACCEPTED)
