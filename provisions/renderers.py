"""The citation formats as API renderers (``?format=bibtex`` or an Accept header), and the
mixin with which citation actions answer in them. The records themselves are built and
formatted by ``provisions.citations``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import renderers

from atlas import schema as docs
from atlas.api import conditional_response
from provisions import citations
from provisions.serializers import CitationSerializer

EXAMPLES = Path(__file__).resolve().parent / "data" / "api_examples"


class CSLJSONRenderer(renderers.JSONRenderer):
    media_type = "application/vnd.citationstyles.csl+json"
    format = "csl-json"


class TextBodyRenderer(renderers.BaseRenderer):
    """Renders a body the view has already formatted (BibTeX, RIS, plain text)."""

    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data.encode("utf-8") if isinstance(data, str) else json.dumps(data).encode()


class BibTeXRenderer(TextBodyRenderer):
    media_type = "application/x-bibtex"
    format = "bibtex"


class RISRenderer(TextBodyRenderer):
    media_type = "application/x-research-info-systems"
    format = "ris"


class PlainTextRenderer(TextBodyRenderer):
    media_type = "text/plain"
    format = "text"


CITATION_RENDERERS = [
    renderers.JSONRenderer,
    CSLJSONRenderer,
    BibTeXRenderer,
    RISRenderer,
    PlainTextRenderer,
    renderers.BrowsableAPIRenderer,
]

FORMAT_PARAMETER = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=list(citations.FORMATS),
    description="Citation format (json by default)",
)
CITATION_RESPONSES = {
    (200, "application/json"): CitationSerializer,
    (200, "application/vnd.citationstyles.csl+json"): OpenApiTypes.ANY,
    (200, "application/x-bibtex"): OpenApiTypes.STR,
    (200, "application/x-research-info-systems"): OpenApiTypes.STR,
    (200, "text/plain"): OpenApiTypes.STR,
}
CITATION_EXAMPLES = [
    docs.example("JSON", EXAMPLES / "citation.json", media_type="application/json"),
    docs.example("Plain text", EXAMPLES / "citation.txt", media_type="text/plain"),
]


def citation_schema(summary: str, *parameters: OpenApiParameter) -> dict:
    """``extend_schema`` arguments of a citation action: its formats and examples."""
    return {
        "summary": summary,
        "parameters": [FORMAT_PARAMETER, *parameters],
        "responses": CITATION_RESPONSES,
        "examples": CITATION_EXAMPLES,
    }


class CitationMixin:
    """Citation actions answer in the negotiated format; their errors are always JSON."""

    def cite(self, request, citation: citations.Citation):
        fmt = request.accepted_renderer.format
        render = citations.RENDER.get(fmt, citations.as_json)
        # The record changes when its access date does: at midnight.
        today = dt.datetime.combine(citation.accessed, dt.time.min, tzinfo=dt.UTC)
        return conditional_response(
            request, render(citation), last_modified=max(citation.captured_at, today)
        )

    def finalize_response(self, request, response, *args, **kwargs):
        renderer = getattr(request, "accepted_renderer", None)
        if response.status_code >= 400 and isinstance(renderer, TextBodyRenderer | CSLJSONRenderer):
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = "application/json"
        return super().finalize_response(request, response, *args, **kwargs)
