"""API representations of platforms, documents, versions and provisions (read-only).

Every record carries its public ID (``P-000123``, ``D-000045``), its API URL and its page URL,
so a client can always get back to the evidence.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from atlas.serializers import PageField, SparseFieldsMixin, absolute
from comparisons.models import ClauseType
from provisions.ingest import remote_policy
from provisions.models import Document, Platform, Provision, Version, format_version_id
from provisions.reading import SourceError
from provisions.search import SearchMode, excerpt

VERSION_ID_HELP = (
    "A version's public ID: the document's record ID and the first 12 hex digits of the "
    "sha256 of the version's text (D-000015@3f2a9c1e0b7d); it never changes"
)


@extend_schema_field({"type": "string", "nullable": True, "example": "D-000015@3f2a9c1e0b7d"})
class VersionIdField(serializers.Field):
    """A version (or None) as its public ID, never its database key."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("help_text", VERSION_ID_HELP)
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        # A null foreign key (removed_in) is None, not an error.
        try:
            return super().get_attribute(instance)
        except (AttributeError, KeyError):
            return None

    def to_representation(self, version):
        return version.public_id if version is not None else None


class PlatformSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:platform-detail", lookup_field="slug")
    page = PageField()
    document_count = serializers.IntegerField(
        read_only=True, help_text="Documents of this platform with at least one stored version"
    )

    class Meta:
        model = Platform
        fields = ["slug", "name", "website", "document_count", "url", "page"]


class DocumentBriefSerializer(serializers.ModelSerializer):
    record_id = serializers.CharField(read_only=True)
    latest_version = VersionIdField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = ["record_id", "slug", "name", "latest_version", "url"]

    def get_url(self, document) -> str:
        return absolute(
            self.context.get("request"), reverse("api:document-detail", args=[document.record_id])
        )


class PlatformDetailSerializer(PlatformSerializer):
    documents = serializers.SerializerMethodField()

    class Meta(PlatformSerializer.Meta):
        fields = [*PlatformSerializer.Meta.fields, "documents"]

    @extend_schema_field(DocumentBriefSerializer(many=True))
    def get_documents(self, platform):
        documents = platform.documents.select_related("latest_version").defer(
            "latest_version__text"
        )
        stored = [d for d in documents if d.latest_version_id is not None]
        return DocumentBriefSerializer(stored, many=True, context=self.context).data


class DocumentSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    record_id = serializers.CharField(read_only=True)
    platform = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    platform_name = serializers.CharField(source="platform.name", read_only=True)
    latest_version = VersionIdField()
    version_count = serializers.IntegerField(read_only=True)
    live_provision_count = serializers.IntegerField(
        read_only=True, help_text="Provisions in the latest version (not removed)"
    )
    url = serializers.SerializerMethodField()
    page = PageField()

    class Meta:
        model = Document
        fields = [
            "record_id",
            "slug",
            "name",
            "platform",
            "platform_name",
            "latest_version",
            "version_count",
            "live_provision_count",
            "url",
            "page",
        ]

    def get_url(self, document) -> str:
        return absolute(
            self.context.get("request"), reverse("api:document-detail", args=[document.record_id])
        )


class VersionSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True, help_text=VERSION_ID_HELP)
    document = serializers.CharField(source="document.record_id", read_only=True)
    document_name = serializers.CharField(source="document.name", read_only=True)
    platform = serializers.CharField(source="document.platform.slug", read_only=True)
    platform_name = serializers.CharField(source="document.platform.name", read_only=True)
    ordinal = serializers.IntegerField(
        read_only=True,
        help_text="Position along the document's capture timeline (1 = oldest); it shifts if an "
        "older capture is imported later, so cite the version by its id",
    )
    url = serializers.SerializerMethodField()
    page = PageField()

    class Meta:
        model = Version
        fields = [
            "id",
            "document",
            "document_name",
            "platform",
            "platform_name",
            "ordinal",
            "captured_at",
            "change_kind",
            "added_count",
            "removed_count",
            "revised_count",
            "sha256",
            "byte_size",
            "source_url",
            "origin",
            "origin_ref",
            "url",
            "page",
        ]

    def get_url(self, version) -> str:
        return absolute(
            self.context.get("request"), reverse("api:version-detail", args=[version.public_id])
        )


class CaptureSerializer(serializers.Serializer):
    kind = serializers.CharField()
    captured_at = serializers.DateTimeField()
    repository = serializers.CharField()
    commit = serializers.CharField()
    path = serializers.CharField()
    subject = serializers.CharField()
    source_url = serializers.CharField()
    licence = serializers.CharField()


class VersionDetailSerializer(VersionSerializer):
    captures = CaptureSerializer(many=True, read_only=True)

    class Meta(VersionSerializer.Meta):
        fields = [*VersionSerializer.Meta.fields, "captures", "text"]


class ChangeSerializer(VersionSerializer):
    previous_version = serializers.SerializerMethodField(
        help_text="The version this one is compared with (its public ID)"
    )

    class Meta(VersionSerializer.Meta):
        fields = [*VersionSerializer.Meta.fields, "previous_version"]

    def get_previous_version(self, version) -> str | None:
        tag = getattr(version, "previous_tag", None)
        return format_version_id(version.document_id, version.variant_key, tag) if tag else None


class ClauseTypeBriefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class AssignmentSerializer(serializers.Serializer):
    clause_type = ClauseTypeBriefSerializer()
    score = serializers.FloatField(help_text="Classifier probability, or cosine to the centre")
    confidence = serializers.CharField()
    basis = serializers.CharField()
    severity = serializers.CharField()
    severity_rule = serializers.CharField(help_text="Why this severity")
    runner_up = ClauseTypeBriefSerializer(allow_null=True)
    runner_up_score = serializers.FloatField(allow_null=True)


def assignment_of(provision):
    try:
        return provision.assignment
    except Provision.assignment.RelatedObjectDoesNotExist:
        return None


class ProvisionSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    record_id = serializers.CharField(read_only=True)
    document = serializers.CharField(source="document.record_id", read_only=True)
    platform = serializers.CharField(source="document.platform.slug", read_only=True)
    first_version = VersionIdField()
    last_version = VersionIdField()
    removed_in = VersionIdField(help_text="First version where it no longer appears")
    live = serializers.SerializerMethodField()
    # A provision not yet assigned (not embedded yet, or no type fits) has null here.
    clause_type = AssignmentSerializer(source="assignment", read_only=True, allow_null=True)
    url = serializers.SerializerMethodField()
    page = PageField()

    class Meta:
        model = Provision
        fields = [
            "record_id",
            "text",
            "document",
            "platform",
            "heading_path",
            "kind",
            "first_version",
            "last_version",
            "removed_in",
            "live",
            "revision_count",
            "clause_type",
            "url",
            "page",
        ]

    def get_live(self, provision) -> bool:
        return provision.removed_in_id is None

    def get_url(self, provision) -> str:
        return absolute(
            self.context.get("request"), reverse("api:provision-detail", args=[provision.record_id])
        )


class SpanSerializer(serializers.Serializer):
    version = VersionIdField()
    ordinal = serializers.IntegerField(source="version.ordinal")
    captured_at = serializers.DateTimeField(source="version.captured_at")
    change_kind = serializers.CharField(source="version.change_kind")
    revision = serializers.IntegerField(source="revision.number")
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    heading_path = serializers.JSONField()


class RevisionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    text = serializers.CharField()
    first_version = VersionIdField()
    similarity = serializers.FloatField(
        allow_null=True, help_text="Word-sequence similarity to the previous wording"
    )


class SimilarSerializer(serializers.Serializer):
    record_id = serializers.CharField(source="other.record_id")
    platform = serializers.CharField(source="other.document.platform.slug")
    text = serializers.CharField(source="other.text")
    similarity = serializers.FloatField()
    rank = serializers.IntegerField()


class ApplicableRegulationSerializer(serializers.Serializer):
    slug = serializers.CharField(source="regulation.slug")
    short_name = serializers.CharField(source="regulation.short_name")
    jurisdiction = serializers.CharField(source="regulation.jurisdiction")
    status = serializers.CharField(source="regulation.status")
    article = serializers.CharField(allow_blank=True)
    rationale = serializers.CharField()
    basis = serializers.CharField(help_text="'clause type <name>' if inherited, or 'curator'")


class ProvisionDetailSerializer(ProvisionSerializer):
    history = SpanSerializer(many=True, read_only=True, source="history_spans")
    revisions = RevisionSerializer(many=True, read_only=True)
    similar = SimilarSerializer(many=True, read_only=True)
    regulations = ApplicableRegulationSerializer(
        many=True, read_only=True, source="applicable_regulations"
    )

    class Meta(ProvisionSerializer.Meta):
        fields = [
            *ProvisionSerializer.Meta.fields,
            "history",
            "revisions",
            "similar",
            "regulations",
        ]


class VerifySerializer(serializers.Serializer):
    version = serializers.CharField(help_text=VERSION_ID_HELP)
    recorded_sha256 = serializers.CharField()
    computed_sha256 = serializers.CharField(help_text="sha256 of the stored text, computed now")
    match = serializers.BooleanField()
    byte_size = serializers.IntegerField()
    computed_byte_size = serializers.IntegerField()
    verified_at = serializers.DateTimeField()


class CitationSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["provision", "document", "version"])
    record_id = serializers.CharField()
    title = serializers.CharField()
    platform = serializers.CharField()
    document = serializers.CharField()
    document_record_id = serializers.CharField()
    version_id = serializers.CharField(help_text=VERSION_ID_HELP)
    captured_at = serializers.DateTimeField()
    origin = serializers.CharField()
    origin_name = serializers.CharField()
    origin_ref = serializers.CharField()
    commit = serializers.CharField(allow_blank=True)
    source_url = serializers.CharField(allow_blank=True)
    version_sha256 = serializers.CharField()
    text_sha256 = serializers.CharField(allow_null=True)
    permalink = serializers.URLField()
    accessed = serializers.DateField()
    quote = serializers.CharField(
        allow_null=True, help_text="Provisions: the verbatim clause as it reads in that version"
    )
    publisher = serializers.CharField()


class SearchResultSerializer(ProvisionSerializer):
    rank = serializers.FloatField(read_only=True, allow_null=True, help_text="Full text only")
    similarity = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Semantic only: cosine, 1 = same meaning"
    )
    snippet_html = serializers.SerializerMethodField(
        help_text=(
            "Full text only: a verbatim window of the clause (an exact substring, '…' where "
            "cut), HTML-escaped, with <mark> around the matched words"
        )
    )

    class Meta(ProvisionSerializer.Meta):
        fields = [*ProvisionSerializer.Meta.fields, "rank", "similarity", "snippet_html"]

    def get_snippet_html(self, provision) -> str | None:
        snippet = getattr(provision, "snippet", None)
        return str(excerpt(provision.text, snippet)) if snippet is not None else None

    def to_representation(self, provision):
        provision.rank = getattr(provision, "rank", None)
        provision.similarity = getattr(provision, "similarity", None)
        return super().to_representation(provision)


class SearchParameters(serializers.Serializer):
    q = serializers.CharField(max_length=500, help_text="websearch syntax for full text")
    mode = serializers.ChoiceField(
        # "fulltext" is the former spelling of "text": clients written for it keep working.
        choices=[*SearchMode.values, "fulltext"],
        default=SearchMode.TEXT,
        help_text='"text": full text (websearch syntax); "semantic": by meaning. '
        '"fulltext" is still accepted for "text".',
    )

    def validate_mode(self, value):
        return SearchMode.TEXT if value == "fulltext" else SearchMode(value)


class ImportSerializer(serializers.Serializer):
    sources = serializers.ListField(
        child=serializers.CharField(max_length=1000),
        min_length=1,
        max_length=20,
        help_text="Open Terms Archive versions repositories as https:// git URLs on public "
        "hosts (git@host:path where the server allows it); never paths on the server",
    )

    def validate_sources(self, sources: list[str]) -> list[str]:
        policy = remote_policy()
        errors = []
        for source in sources:
            try:
                policy.check(source)
            except SourceError as error:
                errors.append(str(error))
        if errors:
            raise serializers.ValidationError(errors)
        return sources


class CurateSerializer(serializers.Serializer):
    clause_type = serializers.SlugRelatedField(
        slug_field="slug", queryset=ClauseType.objects.all(), help_text="A clause type slug"
    )
