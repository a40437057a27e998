"""Tracking status over the API: ``/api/v1/tracking/``, one entry per declared document."""

from __future__ import annotations

from pathlib import Path

from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets

from atlas import schema as docs
from tracking import track
from tracking.models import Declaration


class TrackingSerializer(serializers.ModelSerializer):
    document = serializers.CharField(source="document.record_id", read_only=True)
    document_name = serializers.CharField(source="document.name", read_only=True)
    platform = serializers.CharField(source="document.platform.slug", read_only=True)
    document_url = serializers.SerializerMethodField()
    urls = serializers.ListField(child=serializers.URLField(), read_only=True)
    captured = serializers.BooleanField(read_only=True, help_text="A version is stored")
    last_fetched_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_outcome = serializers.CharField(read_only=True, allow_null=True)
    last_error_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_failure = serializers.CharField(read_only=True, allow_null=True)
    last_error = serializers.CharField(read_only=True, allow_null=True)
    next_fetch_at = serializers.SerializerMethodField()
    variant = serializers.CharField(
        source="variant_key",
        read_only=True,
        help_text='The text these pages feed: a variant key such as eu-en, or "" for the '
        "document's undeclared text",
    )

    class Meta:
        model = Declaration
        fields = [
            "service",
            "terms_type",
            "variant",
            "region",
            "language",
            "collection",
            "document",
            "document_name",
            "platform",
            "document_url",
            "urls",
            "captured",
            "last_fetched_at",
            "last_outcome",
            "last_error_at",
            "last_failure",
            "last_error",
            "next_fetch_at",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_document_url(self, declaration) -> str | None:
        """The document's page, once it has a version to show."""
        if not declaration.captured:
            return None
        return self.context["request"].build_absolute_uri(declaration.document.get_absolute_url())

    @extend_schema_field(serializers.DateTimeField())
    def get_next_fetch_at(self, declaration):
        return self.context.setdefault("next_run", track.next_run())


EXAMPLES = Path(__file__).resolve().parent / "data" / "api_examples"
DECLARED = docs.example("Declared, not captured yet", EXAMPLES / "tracking.json")


@extend_schema_view(
    list=extend_schema(examples=[DECLARED]), retrieve=extend_schema(examples=[DECLARED])
)
class TrackingViewSet(viewsets.ReadOnlyModelViewSet):
    """Declared documents: their URLs, last fetch and its result, last error, next fetch.
    ``captured`` is false for documents declared but not captured yet."""

    serializer_class = TrackingSerializer
    filterset_fields = ["service", "collection", "variant_key"]
    ordering_fields = ["service", "last_fetched_at"]
    ordering = ["service", "terms_type"]

    def get_queryset(self):
        return Declaration.objects.current().with_status()
