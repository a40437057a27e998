"""What every app's serializers share: ``?fields=``, links back to the evidence, records by slug."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers


class SparseFieldsMixin:
    """``?fields=a,b`` keeps only those top-level fields of the response objects."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        raw = request.query_params.get("fields") if request is not None else None
        if not raw:
            return
        wanted = {name.strip() for name in raw.split(",") if name.strip()}
        unknown = wanted - set(self.fields)
        if unknown or not wanted:
            raise exceptions.ValidationError(
                {"fields": [f"Unknown field(s): {', '.join(sorted(unknown)) or raw}."]}
            )
        for name in set(self.fields) - wanted:
            self.fields.pop(name)


def absolute(request, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


@extend_schema_field(OpenApiTypes.URI)
class PageField(serializers.Field):
    """The record's HTML page (``get_absolute_url``), as an absolute URL."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, instance):
        return absolute(self.context.get("request"), instance.get_absolute_url())


class RecordURLField(serializers.URLField):
    """The API URL of a record with a public ID (``P-000123``), absolute with a request."""

    def __init__(self, view_name: str, **kwargs):
        self.view_name = view_name
        super().__init__(**kwargs)

    def to_representation(self, record):
        path = reverse(self.view_name, args=[record.record_id])
        return absolute(self.context.get("request"), path)


class SlugListField(serializers.ListField):
    """Records (platforms, clause types) as the list of their slugs."""

    child = serializers.CharField()

    def to_representation(self, records):
        return [record.slug for record in records]
