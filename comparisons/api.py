"""API for clause types (with coverage), the compare table, and classifying a text.

Coverage comes from ``comparisons.queries.clause_type_coverage`` and the compare table from
``comparisons.compare.compare_table``, exactly as the pages show them; classification from
``comparisons.classify``. Serializers are in ``comparisons.serializers``, schema examples in
``data/api_examples/``.
"""

from __future__ import annotations

from pathlib import Path

from django.db.models import Count, Sum
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, permissions, viewsets
from rest_framework.response import Response

from atlas import schema as docs
from atlas.api import (
    ConditionalRetrieveMixin,
    JSONParser,
    ModelUnavailableError,
    PayloadTooLarge,
    WarmingUpError,
)
from comparisons import classify
from comparisons.compare import compare_table
from comparisons.models import ClauseType
from comparisons.queries import clause_type_coverage
from comparisons.serializers import (
    ClassificationSerializer,
    ClassifyRequestSerializer,
    ClauseTypeDetailSerializer,
    ClauseTypeSerializer,
    CompareParameters,
    CompareSerializer,
)
from datasets.api import FORMAT_PARAMETERS, SerializedExportMixin
from provisions.embeddings import ModelUnavailable
from provisions.models import Platform
from regulations.models import ClauseTypeLink
from regulations.queries import engaging_clause_types

EXAMPLES = Path(__file__).resolve().parent / "data" / "api_examples"


@extend_schema_view(
    list=extend_schema(
        parameters=FORMAT_PARAMETERS,
        examples=[docs.example("A clause type", EXAMPLES / "clause-type.json")],
    ),
    retrieve=extend_schema(
        examples=[docs.example("A clause type", EXAMPLES / "clause-type-detail.json")]
    ),
)
class ClauseTypeViewSet(
    SerializedExportMixin, ConditionalRetrieveMixin, viewsets.ReadOnlyModelViewSet
):
    """Clause types: which tracked platforms have one (with how many live provisions), and
    which are silent on it, out of how many tracked platforms."""

    export_name = "atlas-clause-types"

    lookup_field = "slug"
    lookup_value_regex = "[^/]+"
    filterset_fields = ["category", "binds", "default_severity", "discovered"]
    ordering_fields = ["name", "category", "platforms_having", "live_provisions"]
    ordering = ["category", "name"]

    def get_queryset(self):
        return ClauseType.objects.select_related("merged_into").annotate(
            platforms_having=Count("coverage", distinct=True),
            live_provisions=Sum("coverage__provision_count", default=0),
        )

    def get_serializer_class(self):
        return ClauseTypeSerializer if self.action == "list" else ClauseTypeDetailSerializer

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.action == "list":  # detail reads it from the clause type's coverage
            context["platforms_tracked"] = Platform.objects.tracked().count()
        return context

    def get_object(self):
        clause_type = super().get_object()
        clause_type.engaged = list(
            ClauseTypeLink.objects.filter(clause_type=clause_type)
            .select_related("regulation")
            .order_by("regulation__jurisdiction", "regulation__short_name")
        )
        clause_type.reach = clause_type_coverage(clause_type)
        clause_type.provision_counts = dict(
            clause_type.coverage.values_list("platform_id", "provision_count")
        )
        return clause_type


@extend_schema_view(
    list=extend_schema(
        summary="The compare table: clause types as rows, the chosen platforms as columns",
        parameters=[CompareParameters],
        responses=CompareSerializer,
        examples=[docs.example("Two platforms", EXAMPLES / "compare.json")],
    )
)
class CompareViewSet(viewsets.ViewSet):
    """The same table as the compare page (``comparisons.compare.compare_table``)."""

    def list(self, request, format=None):
        parameters = CompareParameters(data=request.query_params)
        parameters.is_valid(raise_exception=True)
        options = dict(parameters.validated_data)
        engaging = engaging_clause_types(options.pop("regulation", None))
        table = compare_table(clause_types=engaging, **options)
        return Response(CompareSerializer(table, context={"request": request}).data)


CLASSIFY_MAX_BYTES = 16 * 1024


@extend_schema_view(
    create=extend_schema(
        summary="Classify a clause: its clause type, score, confidence and the next candidates",
        request=ClassifyRequestSerializer,
        responses={200: ClassificationSerializer, 413: OpenApiTypes.OBJECT},
        examples=[
            docs.request_example("A draft clause", EXAMPLES / "classify-request.json"),
            docs.example("Its classification", EXAMPLES / "classification.json"),
        ],
    )
)
class ClassifyViewSet(viewsets.ViewSet):
    """Anyone may classify a text (it is not stored); JSON bodies up to 16 KiB."""

    permission_classes = [permissions.AllowAny]
    parser_classes = [JSONParser]
    needs_model = True  # documents the 503 of ``ModelUnavailableError``

    def create(self, request, format=None):
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isdigit() or int(length) > CLASSIFY_MAX_BYTES:
            raise PayloadTooLarge(f"The body is larger than {CLASSIFY_MAX_BYTES} bytes.")
        try:
            body = request.data
        except exceptions.UnsupportedMediaType:
            raise exceptions.ValidationError(
                {"body": ["Send a JSON object, Content-Type: application/json."]}
            ) from None
        if not isinstance(body, dict):
            raise exceptions.ValidationError({"body": ['A JSON object: {"text": "..."}.']})
        parameters = ClassifyRequestSerializer(data=body)
        parameters.is_valid(raise_exception=True)
        try:
            result = classify.classify_text(
                parameters.validated_data["text"],
                context=parameters.validated_data.get("context", ""),
            )
        except ModelUnavailable as error:
            raise ModelUnavailableError(f"Classification is unavailable: {error}.") from error
        except classify.WarmingUp as warming:
            raise WarmingUpError(
                f"Classification is warming up: {warming}. Try again shortly.",
                embedded=warming.embedded,
                total=warming.total,
            ) from warming
        return Response(ClassificationSerializer(result).data)
