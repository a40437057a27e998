"""Query-parameter filters of the API lists (django-filter); a malformed value is a 400."""

from __future__ import annotations

import datetime as dt

from django.core.validators import RegexValidator
from django_filters import rest_framework as df
from rest_framework.exceptions import ValidationError

from provisions.models import Document, Provision, Version, format_record_id, parse_record_id
from provisions.texts import UnknownText, parse_choice, read_in
from regulations.models import Regulation
from regulations.queries import provisions_addressing


class RecordIdFilter(df.CharFilter):
    """``D-000123`` / ``P-000123``; anything else is a 400 naming the parameter."""

    def __init__(self, *args, prefix: str, **kwargs):
        self.prefix = prefix
        super().__init__(*args, **kwargs)
        self.extra["validators"] = [
            RegexValidator(
                rf"^{prefix}-\d{{6,}}$", f"A record ID like {format_record_id(prefix, 123)}."
            )
        ]

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{self.field_name: parse_record_id(value, self.prefix)})


class DocumentFilter(df.FilterSet):
    platform = df.CharFilter(field_name="platform__slug", help_text="Platform slug")

    class Meta:
        model = Document
        fields = ["platform", "slug"]


class Sha256Filter(df.CharFilter):
    """64 hexadecimal digits (any case); anything else is a 400 naming the parameter."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.extra["validators"] = [
            RegexValidator(r"\A[0-9a-fA-F]{64}\Z", "A SHA-256: 64 hexadecimal digits.")
        ]

    def filter(self, qs, value):
        return qs.filter(**{self.field_name: value.lower()}) if value else qs


class UtcDateTimeFilter(df.IsoDateTimeFilter):
    """An ISO 8601 date-time, compared in UTC: PostgreSQL refuses offsets beyond ±15:59, which
    ISO 8601 allows (``+16:37`` was a 500)."""

    def __init__(self, *args, parameter: str, **kwargs):
        self.parameter = parameter
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value is not None and value.tzinfo is not None:
            try:
                value = value.astimezone(dt.UTC)
            except OverflowError:  # moved past year 1 or 9999
                raise ValidationError({self.parameter: ["Out of range."]}) from None
        return super().filter(qs, value)


class VersionFilter(df.FilterSet):
    document = RecordIdFilter(field_name="document_id", prefix="D", help_text="D-000123")
    sha256 = Sha256Filter(
        field_name="sha256",
        help_text="Verify a document you hold: the versions whose text has this SHA-256 (of "
        "its UTF-8 bytes, compared as given). An empty list: no stored version has it. To "
        "have line endings, a BOM or the encoding normalised, upload the file at /verify/.",
    )
    platform = df.CharFilter(field_name="document__platform__slug", help_text="Platform slug")
    change_kind = df.MultipleChoiceFilter(choices=Version._meta.get_field("change_kind").choices)
    captured_after = UtcDateTimeFilter(
        field_name="captured_at", lookup_expr="gte", parameter="captured_after"
    )
    captured_before = UtcDateTimeFilter(
        field_name="captured_at", lookup_expr="lt", parameter="captured_before"
    )

    class Meta:
        model = Version
        fields = [
            "document",
            "sha256",
            "platform",
            "change_kind",
            "captured_after",
            "captured_before",
        ]


class ProvisionFilter(df.FilterSet):
    document = RecordIdFilter(field_name="document_id", prefix="D", help_text="D-000123")
    platform = df.CharFilter(field_name="document__platform__slug", help_text="Platform slug")
    clause_type = df.CharFilter(field_name="assignment__clause_type__slug")
    severity = df.ChoiceFilter(
        field_name="assignment__severity",
        choices=[("critical", "critical"), ("high", "high"), ("medium", "medium"), ("low", "low")],
    )
    confidence = df.ChoiceFilter(
        field_name="assignment__confidence",
        choices=[("high", "high"), ("medium", "medium"), ("low", "low")],
    )
    regulation = df.CharFilter(
        method="filter_regulation",
        help_text="Live provisions this regulation applies to (regulation slug)",
    )
    live = df.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_live",
        help_text="true: in the latest version; false: removed",
    )
    variant = df.CharFilter(
        method="filter_variant",
        help_text="Which text of each document: main (its main text), or a variant key such "
        "as eu-en (its text of that variant, or its main text where it has none; default: the "
        "undeclared text). Absent: every text",
    )

    class Meta:
        model = Provision
        fields = [
            "document",
            "platform",
            "clause_type",
            "severity",
            "confidence",
            "regulation",
            "live",
            "kind",
            "variant",
        ]

    def filter_regulation(self, queryset, name, value):
        regulation = Regulation.objects.filter(slug=value).first()
        if regulation is None:
            return queryset.none()
        return queryset.filter(pk__in=provisions_addressing(regulation).values("pk"))

    def filter_variant(self, queryset, name, value):
        if not value:
            return queryset
        try:
            return read_in(queryset, parse_choice(value))
        except UnknownText as error:
            raise ValidationError({"variant": [str(error)]}) from None

    def filter_live(self, queryset, name, value):
        return queryset.filter(removed_in__isnull=value == "true")
