"""API representations of the regulation catalog: each law, the clause types that engage it,
and its coverage, serialized from ``regulations.queries.CoverageCounts``."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from atlas.serializers import PageField, SlugListField, SparseFieldsMixin, absolute
from regulations.models import Regulation


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


class AddressingProvisionsField(serializers.URLField):
    """The provisions of an ``AddressingCount``, as an API list filtered to them."""

    def __init__(self, **kwargs):
        super().__init__(source="*", **kwargs)

    def to_representation(self, count):
        query = f"?regulation={count.regulation.slug}&platform={count.platform.slug}"
        return absolute(self.context.get("request"), reverse("api:provision-list") + query)


class AddressingPlatformSerializer(serializers.Serializer):
    slug = serializers.CharField(source="platform.slug")
    name = serializers.CharField(source="platform.name")
    live_provisions = serializers.IntegerField(help_text="Its live provisions addressing it")
    provisions = AddressingProvisionsField(help_text="Those provisions, as an API list")


class CoverageSerializer(serializers.Serializer):
    tracked = serializers.IntegerField(help_text="Platforms with at least one stored version")
    addressing = AddressingPlatformSerializer(many=True)
    silent = SlugListField(help_text="Platform slugs")


class RegulationDetailSerializer(RegulationSerializer):
    # Reads what the viewset attaches to the regulation: the clause types ``engaging`` it and
    # its ``coverage_counts``. (A docstring would become the schema component's description.)

    clause_types = EngagingClauseTypeSerializer(many=True, read_only=True, source="engaging")
    coverage = CoverageSerializer(read_only=True, source="coverage_counts")

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
