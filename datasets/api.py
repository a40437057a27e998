"""CSV and JSON Lines from the API's lists: ``?format=csv`` / ``?format=jsonl`` (or an Accept
header) streams every row the list's filters and ordering select, unpaginated, in the columns
of ``datasets.rows``; ``?include=citation`` adds each row's citation in every format."""

from __future__ import annotations

import copy
import csv
import json
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, renderers, serializers

from datasets.rows import Field

EXPORT_FORMATS = ("csv", "jsonl")
CHUNK_SIZE = 2000  # rows fetched per round trip while streaming


class CSVRenderer(renderers.BaseRenderer):
    """Content negotiation only: exports stream their own body (``ExportMixin``)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data).encode()  # reached only by errors, which answer in JSON


class JSONLinesRenderer(CSVRenderer):
    media_type = "application/jsonl"
    format = "jsonl"


EXPORT_RENDERERS = [CSVRenderer, JSONLinesRenderer]

EXPORT_PARAMETERS = [
    OpenApiParameter(
        "format",
        OpenApiTypes.STR,
        enum=["json", *EXPORT_FORMATS],
        description="json (paginated, the default); csv or jsonl: every row the filters "
        "select, streamed in one response without pagination (page and page_size are "
        "ignored), one row per record with the columns of the data dictionary (/data/)",
    ),
    OpenApiParameter(
        "include",
        OpenApiTypes.STR,
        enum=["citation"],
        description="citation: each row carries its citation record inline (JSON: a "
        "`citation` object; csv/jsonl: citation_text, citation_bibtex, citation_ris, "
        "citation_csl_json)",
    ),
]

# Lists exported as their JSON renders them take only ``format``.
FORMAT_PARAMETERS = EXPORT_PARAMETERS[:1]


class Echo:
    """csv.writer's file: each row written is handed back as a string."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[dict], fields: list[Field]) -> Iterator[str]:
    writer = csv.writer(Echo())
    names = [field.name for field in fields]
    yield writer.writerow(names)
    for row in rows:
        yield writer.writerow(["" if row.get(name) is None else row[name] for name in names])


def jsonl_lines(rows: Iterable[dict]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False) + "\n"


def streamed(rows: Iterable[dict], *, fields: list[Field], fmt: str, filename: str):
    if fmt == "csv":
        body, content_type = csv_lines(rows, fields), "text/csv; charset=utf-8"
    else:
        body, content_type = jsonl_lines(rows), "application/jsonl; charset=utf-8"
    response = StreamingHttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def include_citation(request) -> bool:
    value = request.query_params.get("include", "")
    if value not in ("", "citation"):
        raise exceptions.ValidationError({"include": ["Only 'citation' can be included."]})
    return value == "citation"


def base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


class ExportMixin:
    """A list that also streams CSV and JSON Lines. The viewset says how: ``export_name``,
    ``export_fields(include_citation)`` and ``export_rows(queryset, include_citation)``."""

    export_name = "atlas-export"

    def get_renderers(self):
        renderers_ = super().get_renderers()
        if self.action == "list":
            renderers_ += [renderer() for renderer in EXPORT_RENDERERS]
        return renderers_

    def list(self, request, *args, **kwargs):
        fmt = request.accepted_renderer.format
        citation = include_citation(request)
        if fmt in EXPORT_FORMATS:
            queryset = self.filter_queryset(self.get_queryset())
            rows = self.export_rows(queryset, include_citation=citation)
            fields = self.export_fields(include_citation=citation)
            return streamed(rows, fields=fields, fmt=fmt, filename=self.export_name)
        if not citation:
            return super().list(request, *args, **kwargs)
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        data = self.get_serializer(page, many=True).data
        for item, record in zip(data, page, strict=True):
            item["citation"] = self.citation_of(record)
        return self.get_paginated_response(data)

    def finalize_response(self, request, response, *args, **kwargs):
        renderer = getattr(request, "accepted_renderer", None)
        if response.status_code >= 400 and isinstance(renderer, CSVRenderer):
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = "application/json"
        return super().finalize_response(request, response, *args, **kwargs)


# DRF field classes → Frictionless Table Schema types, for lists exported from their serializer.
FIELD_TYPES = (
    (serializers.BooleanField, "boolean"),
    (serializers.IntegerField, "integer"),
    ((serializers.FloatField, serializers.DecimalField), "number"),
    (serializers.DateTimeField, "datetime"),
    (serializers.DateField, "date"),
)


def serializer_fields(serializer) -> list[Field]:
    """The data dictionary of a list exported as its serializer renders it: one column per
    field, nested values (lists, objects) as JSON text."""
    fields = []
    for name, field in serializer.fields.items():
        kind = next((t for classes, t in FIELD_TYPES if isinstance(field, classes)), "string")
        if isinstance(field, serializers.ListSerializer | serializers.Serializer):
            kind = "string"
        description = str(field.help_text or field.label or name.replace("_", " "))
        fields.append(Field(name, kind, description))
    return fields


def without_format(request):
    """The request as links in an export should see it: DRF keeps ``?format=`` on every URL
    it builds, and an export's rows link the records, not another CSV."""
    plain = copy.copy(request._request)
    plain.GET = plain.GET.copy()
    plain.GET.pop("format", None)
    wrapped = copy.copy(request)
    wrapped._request = plain
    return wrapped


def flat(row: dict) -> dict:
    return {
        name: json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value
        for name, value in row.items()
    }


class SerializedExportMixin(ExportMixin):
    """An export for a short list (platforms, documents, clause types, regulations): every
    row the filters select, as the list's JSON renders it, nested values as JSON text in CSV.
    These records have no citation of their own in a list (``include=citation`` is refused:
    provisions, versions and documents each have a ``citation`` endpoint)."""

    def export_fields(self, include_citation: bool = False) -> list[Field]:
        return serializer_fields(self.get_serializer())

    def export_rows(self, queryset, include_citation: bool = False):
        serializer_class = self.get_serializer_class()
        context = {**self.get_serializer_context(), "request": without_format(self.request)}
        for record in queryset.iterator(chunk_size=CHUNK_SIZE):
            row = serializer_class(record, context=context).data
            yield flat(row) if self.request.accepted_renderer.format == "csv" else row

    def list(self, request, *args, **kwargs):
        if include_citation(request):
            raise exceptions.ValidationError(
                {"include": ["This list has no inline citations; use the record's citation."]}
            )
        return super().list(request, *args, **kwargs)
