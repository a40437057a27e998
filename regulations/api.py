"""API for the regulation catalog: each law, the clause types that engage it, and which
tracked platforms address it, counted by ``regulations.queries.regulation_coverage_counts``
(the provisions themselves are one link away: ``/api/v1/provisions/?regulation=<slug>``).
Serializers are in ``regulations.serializers``, schema examples in ``data/api_examples/``."""

from __future__ import annotations

from pathlib import Path

from django_filters import rest_framework as df
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from atlas import schema as docs
from atlas.api import ConditionalRetrieveMixin
from datasets.api import FORMAT_PARAMETERS, SerializedExportMixin
from regulations.models import Regulation, Status
from regulations.queries import clause_types_engaging, regulation_coverage_counts
from regulations.serializers import RegulationDetailSerializer, RegulationSerializer

EXAMPLES = Path(__file__).resolve().parent / "data" / "api_examples"


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
    list=extend_schema(
        parameters=FORMAT_PARAMETERS,
        examples=[docs.example("A regulation", EXAMPLES / "regulation.json")],
    ),
    retrieve=extend_schema(
        examples=[docs.example("A regulation", EXAMPLES / "regulation-detail.json")]
    ),
)
class RegulationViewSet(
    SerializedExportMixin, ConditionalRetrieveMixin, viewsets.ReadOnlyModelViewSet
):
    """The regulation catalog, by slug; detail says which tracked platforms address each law."""

    export_name = "atlas-regulations"

    lookup_field = "slug"
    lookup_value_regex = "[^/]+"
    filterset_class = RegulationFilter
    ordering_fields = ["jurisdiction", "short_name", "status"]
    ordering = ["jurisdiction", "short_name"]
    queryset = Regulation.objects.all()

    def get_serializer_class(self):
        return RegulationSerializer if self.action == "list" else RegulationDetailSerializer

    def get_object(self):
        regulation = super().get_object()
        regulation.engaging = list(clause_types_engaging(regulation))
        regulation.coverage_counts = regulation_coverage_counts(regulation)
        return regulation
