"""API for the regulation catalog: each law, the clause types that engage it, and which
tracked platforms address it, counted from ``regulations.queries.provisions_addressing`` (the
provisions themselves are one link away: ``/api/v1/provisions/?regulation=<slug>``)."""

from __future__ import annotations

from django.db.models import Count
from django.urls import reverse
from django_filters import rest_framework as df
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets

from atlas import schema as docs
from atlas.api import SparseFieldsMixin, conditional_response
from provisions.serializers import PageField, absolute
from regulations.models import Regulation, Status
from regulations.queries import (
    clause_types_engaging,
    provisions_addressing,
    tracked_platforms,
)


class RegulationSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api:regulation-detail", lookup_field="slug"
    )
    page = PageField()
    url_official = serializers.CharField(
        source="url", read_only=True, help_text="The official text (may be empty)"
    )

    class Meta:
        model = Regulation
        fields = [
            "slug",
            "short_name",
            "name",
            "citation",
            "jurisdiction",
            "jurisdiction_name",
            "level",
            "kind",
            "status",
            "enacted",
            "in_force",
            "applies_from",
            "unverified",
            "url_official",
            "url",
            "page",
        ]


class EngagingClauseTypeSerializer(serializers.Serializer):
    slug = serializers.CharField(source="clause_type.slug")
    name = serializers.CharField(source="clause_type.name")
    article = serializers.CharField(allow_blank=True)
    rationale = serializers.CharField()


class AddressingPlatformSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    live_provisions = serializers.IntegerField(help_text="Its live provisions addressing it")
    provisions = serializers.URLField(help_text="Those provisions, as an API list")


class CoverageSerializer(serializers.Serializer):
    tracked = serializers.IntegerField(help_text="Platforms with at least one stored version")
    addressing = AddressingPlatformSerializer(many=True)
    silent = serializers.ListField(child=serializers.CharField(), help_text="Platform slugs")


class RegulationDetailSerializer(RegulationSerializer):
    clause_types = EngagingClauseTypeSerializer(many=True, read_only=True, source="engaging")
    coverage = serializers.SerializerMethodField()

    class Meta(RegulationSerializer.Meta):
        fields = [
            *RegulationSerializer.Meta.fields,
            "summary",
            "authorities",
            "key_provisions",
            "notes",
            "sources",
            "clause_types",
            "coverage",
        ]

    @extend_schema_field(CoverageSerializer)
    def get_coverage(self, regulation):
        request = self.context.get("request")
        tracked = tracked_platforms()
        counts = dict(
            provisions_addressing(regulation)
            .filter(document__platform__in=tracked)
            .order_by()
            .values("document__platform_id")
            .annotate(n=Count("pk"))
            .values_list("document__platform_id", "n")
        )
        listing = reverse("api:provision-list")
        return {
            "tracked": len(tracked),
            "addressing": [
                {
                    "slug": p.slug,
                    "name": p.name,
                    "live_provisions": counts[p.pk],
                    "provisions": absolute(
                        request, f"{listing}?regulation={regulation.slug}&platform={p.slug}"
                    ),
                }
                for p in tracked
                if p.pk in counts
            ],
            "silent": [p.slug for p in tracked if p.pk not in counts],
        }


class RegulationFilter(df.FilterSet):
    status = df.MultipleChoiceFilter(choices=Status.choices)
    live = df.BooleanFilter(method="filter_live", help_text="In force or enacted")

    class Meta:
        model = Regulation
        fields = ["jurisdiction", "level", "kind", "status", "live"]

    def filter_live(self, queryset, name, value):
        live = Regulation.objects.live()
        return queryset.filter(pk__in=live) if value else queryset.exclude(pk__in=live)


@extend_schema_view(
    list=extend_schema(examples=[docs.example("A regulation", docs.REGULATION)]),
    retrieve=extend_schema(examples=[docs.example("A regulation", docs.REGULATION_DETAIL)]),
)
class RegulationViewSet(viewsets.ReadOnlyModelViewSet):
    """The regulation catalog, by slug; detail says which tracked platforms address each law."""

    lookup_field = "slug"
    lookup_value_regex = "[^/]+"
    filterset_class = RegulationFilter
    ordering_fields = ["jurisdiction", "short_name", "status"]
    ordering = ["jurisdiction", "short_name"]
    queryset = Regulation.objects.all()

    def get_serializer_class(self):
        return RegulationSerializer if self.action == "list" else RegulationDetailSerializer

    def retrieve(self, request, *args, **kwargs):
        regulation = self.get_object()
        regulation.engaging = list(clause_types_engaging(regulation))
        data = self.get_serializer(regulation).data
        return conditional_response(request, data, last_modified=regulation.updated_at)
