"""API for the regulation catalog: each law, the clause types that engage it, and which
tracked platforms address it (``regulations.queries.regulation_coverage``)."""

from __future__ import annotations

from django_filters import rest_framework as df
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets

from atlas import schema as docs
from atlas.api import SparseFieldsMixin, conditional_response
from provisions.serializers import PageField
from regulations.models import Regulation, Status
from regulations.queries import clause_types_engaging, regulation_coverage


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
    provisions = serializers.ListField(
        child=serializers.CharField(), help_text="Record IDs of its live provisions addressing it"
    )


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
        coverage = regulation.coverage
        return {
            "tracked": coverage.tracked,
            "addressing": [
                {
                    "slug": row.platform.slug,
                    "name": row.platform.name,
                    "provisions": [p.record_id for p in row.provisions],
                }
                for row in coverage.rows
                if row.provisions
            ],
            "silent": [p.slug for p in coverage.silent],
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
        regulation.coverage = regulation_coverage(regulation)
        data = self.get_serializer(regulation).data
        return conditional_response(request, data, last_modified=regulation.updated_at)
