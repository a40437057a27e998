"""The draft check's request and its report (``drafts.checking.Report``), for the API and the
page's JSON export alike."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from atlas.serializers import PageField, RecordURLField, absolute
from drafts.reading import ACCEPTED
from regulations.serializers import EngagingClauseTypeSerializer


class DraftCheckRequestSerializer(serializers.Serializer):
    text = serializers.CharField(
        required=False,
        trim_whitespace=False,
        help_text="The draft as Markdown or plain text (or send `file` as multipart form data)",
    )
    file = serializers.FileField(
        required=False, help_text=f"The draft as a {ACCEPTED} file (multipart form data)"
    )

    def validate(self, data):
        if bool(data.get("text")) == bool(data.get("file")):
            raise serializers.ValidationError(
                {"text": ["Send the draft as `text` or as `file`, one of the two."]}
            )
        return data


@extend_schema_field(OpenApiTypes.URI)
class PageURLField(serializers.Field):
    """An HTML page of the site, as an absolute URL; ``path`` gives its path from the object."""

    def __init__(self, path, **kwargs):
        self.path = path
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value):
        return absolute(self.context.get("request"), self.path(value))


def platform_page(platform) -> str:
    return reverse("provisions:platform", args=[platform.slug])


def clause_type_page(clause_type) -> str:
    return reverse("comparisons:clause_type", args=[clause_type.slug])


class DraftPlatformSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    page = PageURLField(platform_page)


class DraftTypeScoreSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField()
    score = serializers.FloatField(help_text="Classifier probability")
    confidence = serializers.CharField(
        allow_null=True, help_text="high ≥ 0.60, medium ≥ 0.40, low ≥ 0.30; null: below them"
    )
    page = PageURLField(clause_type_page)


class DraftWordingSerializer(serializers.Serializer):
    record_id = serializers.CharField(source="provision.record_id")
    text = serializers.CharField(source="provision.text", help_text="Verbatim, in force")
    platform = DraftPlatformSerializer(source="provision.document.platform")
    document = serializers.CharField(source="provision.document.name")
    similarity = serializers.FloatField(help_text="Cosine similarity to the draft clause")
    page = PageURLField(lambda wording: wording.provision.get_absolute_url())
    url = RecordURLField("api:provision-detail", source="provision")


class DraftClauseSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="Its place in the draft, from 1")
    text = serializers.CharField()
    heading_path = serializers.ListField(
        child=serializers.CharField(), source="segment.heading_path"
    )
    start = serializers.IntegerField(source="segment.start", help_text="Character offset")
    end = serializers.IntegerField(source="segment.end")
    types = DraftTypeScoreSerializer(
        many=True, help_text="Its clause type(s), primary first; empty when no type fits well"
    )
    candidates = DraftTypeScoreSerializer(many=True, help_text="The next-best types, best first")
    wordings = DraftWordingSerializer(
        many=True,
        help_text="How up to three other platforms word the same rule (closest first, one "
        "provision in force per platform, of the clause's primary type)",
    )


class DraftClauseTypeSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField()
    page = PageURLField(clause_type_page)


class DraftFieldTypeSerializer(serializers.Serializer):
    clause_type = DraftClauseTypeSerializer()
    platforms_having = serializers.SerializerMethodField()
    platforms_tracked = serializers.IntegerField(source="tracked")
    platforms = DraftPlatformSerializer(many=True, source="having")
    in_draft = serializers.BooleanField()
    clauses = serializers.ListField(
        child=serializers.IntegerField(), help_text="Numbers of the draft's clauses of this type"
    )
    summary = serializers.CharField()

    def get_platforms_having(self, field_type) -> int:
        return len(field_type.having)


class DraftRegulationSerializer(serializers.Serializer):
    slug = serializers.CharField()
    short_name = serializers.CharField()
    name = serializers.CharField()
    citation = serializers.CharField()
    jurisdiction = serializers.CharField()
    status = serializers.CharField()
    page = PageField()


class DraftEngagementSerializer(serializers.Serializer):
    regulation = DraftRegulationSerializer()
    links = EngagingClauseTypeSerializer(
        many=True, help_text="The clause types that engage it, and why"
    )


class DraftReportSerializer(serializers.Serializer):
    stored = serializers.SerializerMethodField(help_text="Always false: the draft is not kept")
    model_name = serializers.CharField()
    platforms_tracked = serializers.SerializerMethodField(
        help_text="Platforms with at least one stored version (the denominator)"
    )
    common_threshold = serializers.IntegerField(
        source="threshold", help_text="A clause type is listed when this many platforms have it"
    )
    clauses = DraftClauseSerializer(many=True)
    field = DraftFieldTypeSerializer(
        many=True,
        source="field_types",
        help_text="Clause types at least a quarter of tracked platforms have, most common first",
    )
    regulations_engaged = DraftEngagementSerializer(
        many=True, source="engaged", help_text="By the draft's clause types (curated links)"
    )
    regulations_engaged_by_missing_types = DraftEngagementSerializer(
        many=True, source="engaged_by_missing", help_text="By common types the draft lacks"
    )

    def get_stored(self, report) -> bool:
        return False

    def get_platforms_tracked(self, report) -> int:
        return len(report.tracked)
