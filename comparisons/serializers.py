"""API representations of clause types (with coverage), the compare table and a text's
classification. Coverage and the compare table are serialized straight from their dataclasses
(``comparisons.queries.Coverage``, ``comparisons.compare.CompareTable``), as the pages read
them."""

from __future__ import annotations

from rest_framework import serializers

from atlas.serializers import RecordURLField, SlugListField, SparseFieldsMixin
from comparisons.compare import MAX_PLATFORMS, MIN_PLATFORMS
from comparisons.models import ClauseType, Severity
from provisions.texts import UnknownText, parse_column


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
            "binds",
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


class LiveProvisionsField(serializers.IntegerField):
    """A platform's live provisions of the clause type being serialized: its stored coverage
    count (``provision_counts``, by platform), 0 for a silent platform."""

    def __init__(self, **kwargs):
        super().__init__(source="pk", allow_null=True, **kwargs)

    def to_representation(self, platform_pk):
        return self.root.instance.provision_counts.get(platform_pk, 0)


class PlatformCountSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    live_provisions = LiveProvisionsField()


class EngagedRegulationSerializer(serializers.Serializer):
    slug = serializers.CharField(source="regulation.slug")
    short_name = serializers.CharField(source="regulation.short_name")
    jurisdiction = serializers.CharField(source="regulation.jurisdiction")
    article = serializers.CharField(allow_blank=True)
    rationale = serializers.CharField()


class ClauseTypeDetailSerializer(ClauseTypeSerializer):
    # Reads what the viewset attaches to the clause type: its ``reach``
    # (``comparisons.queries.Coverage``), ``provision_counts`` and the regulations it ``engaged``.
    # (A docstring here would become the schema component's description.)

    platforms_tracked = serializers.IntegerField(
        source="reach.tracked",
        read_only=True,
        help_text="Platforms with at least one stored version (the denominator)",
    )
    prototypes = serializers.ListField(child=serializers.CharField(), read_only=True)
    having = PlatformCountSerializer(source="reach.having", many=True, read_only=True)
    silent = PlatformCountSerializer(source="reach.silent", many=True, read_only=True)
    regulations = EngagedRegulationSerializer(many=True, read_only=True, source="engaged")

    class Meta(ClauseTypeSerializer.Meta):
        fields = [
            *ClauseTypeSerializer.Meta.fields,
            "prototypes",
            "having",
            "silent",
            "regulations",
        ]


# -- compare -------------------------------------------------------------------------------


class CompareParameters(serializers.Serializer):
    platforms = serializers.CharField(
        help_text=f"{MIN_PLATFORMS} to {MAX_PLATFORMS} columns, comma-separated: a platform slug "
        "(each document read in its main text) or slug:variant, such as openai:eu-en (each "
        "document read in its text of that variant where it has one, else its main text); "
        "one platform may be read in two texts"
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
        for token in slugs:
            try:
                parse_column(token)
            except UnknownText as error:
                raise serializers.ValidationError(str(error)) from None
        return slugs


class CellProvisionSerializer(serializers.Serializer):
    # One ``Assignment`` of a cell: its provision, and the provision's score.

    record_id = serializers.CharField(source="provision.record_id")
    text = serializers.CharField(source="provision.text")
    score = serializers.FloatField()
    url = RecordURLField("api:provision-detail", source="provision")


class CountField(serializers.IntegerField):
    def to_representation(self, items):
        return len(items)


class CellSerializer(serializers.Serializer):
    platform = serializers.CharField(source="platform.slug")
    text = serializers.CharField(
        source="choice",
        allow_null=True,
        help_text="The texts read: main, or a variant key (its documents' main text where "
        "they have none)",
    )
    total = serializers.IntegerField(help_text="Live provisions of this type on this platform")
    shown = CountField(
        source="assignments", help_text="How many of them are listed (best score first)"
    )
    severity = serializers.CharField(help_text="The highest severity among them")
    provisions = CellProvisionSerializer(many=True, source="assignments")

    def to_representation(self, cell):
        return None if cell is None else super().to_representation(cell)


class RowSerializer(serializers.Serializer):
    clause_type = serializers.CharField(source="clause_type.slug")
    name = serializers.CharField(source="clause_type.name")
    differs = serializers.BooleanField()
    having = serializers.IntegerField(help_text="Chosen platforms with this clause type")
    cells = CellSerializer(many=True, allow_null=True, help_text="null: no provision found")


class GroupSerializer(serializers.Serializer):
    category = serializers.CharField()
    rows = RowSerializer(many=True)


class ColumnSerializer(serializers.Serializer):
    column = serializers.CharField(source="token", help_text="openai or openai:eu-en")
    platform = serializers.CharField(source="platform.slug")
    text = serializers.CharField(source="choice", help_text="main, or a variant key")
    name = serializers.CharField(help_text='"OpenAI (EU, en text)"')
    documents_in_text = serializers.IntegerField(
        source="own", help_text="Documents read in the variant's own text (0 for main)"
    )
    documents_in_main_text = serializers.IntegerField(
        source="fallback", help_text="Documents without that variant, read in their main text"
    )


class ColumnTokensField(serializers.ListField):
    child = serializers.CharField()

    def to_representation(self, columns):
        return [column.token for column in columns]


class CompareSerializer(serializers.Serializer):
    platforms = ColumnTokensField(help_text="The columns, as asked (openai, openai:eu-en)")
    columns = ColumnSerializer(many=True, source="platforms")
    unknown = serializers.ListField(
        child=serializers.CharField(),
        help_text="Left out: not platforms, or texts none of the platform's documents has",
    )
    considered = serializers.IntegerField(help_text="Clause types left after the filters")
    groups = GroupSerializer(many=True)
    absent = SlugListField(help_text="Clause types none of the platforms has")


# -- classify ------------------------------------------------------------------------------


class ClassifyRequestSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10_000, help_text="One clause (at most 10,000 chars)")
    context = serializers.CharField(
        max_length=1_000,
        required=False,
        allow_blank=True,
        help_text="What the clause is read under, as the worker reads stored clauses: its "
        'list\'s lead-in ("You may not:"), its heading, or for an enumerated part the words '
        "of its clause before it (at most 1,000 chars)",
    )


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
    category = serializers.CharField(
        allow_null=True,
        help_text="The chosen type's category; without a type, a category whose types' "
        "probabilities add up to 0.5 (an uncertain choice between siblings); null otherwise",
    )
    category_score = serializers.FloatField(help_text="The category's types' probabilities, summed")
    states_rule = serializers.BooleanField(
        help_text="false: read as stating no rule (a heading, definition, cross-reference, "
        "legal-basis item...), likelier than any type"
    )
    model_name = serializers.CharField()
