"""The OpenAPI schema's shared parts (drf-spectacular): every endpoint's error responses, and
the examples, read from each app's ``data/api_examples/`` (next to the code that serves them).

Kept apart from ``atlas.api``, which DRF's views module imports while it loads (throttles and
content negotiation are class attributes of ``APIView``); drf-spectacular imports DRF's views.
"""

from __future__ import annotations

import json
from pathlib import Path

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample

from atlas.api import WARMING_UP_RETRY_AFTER, ErrorSerializer, UnavailableSerializer

ERRORS = {
    "400": "A malformed parameter or body (each one named in `parameters`)",
    "401": "No valid token (writes need `Authorization: Token …`)",
    "403": "The token's account may not do this",
    "404": "No such record, or a page past the last",
    "429": "Too many requests from this client; retry after `Retry-After` seconds",
    "503": "The sentence model could not be loaded on this server (`detail` says why), or it "
    "is warming up: the worker is still embedding or training (`progress` says how far it has "
    "got; retry after `Retry-After` seconds)",
}
RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "description": f"While warming up: seconds to wait before asking again "
        f"({WARMING_UP_RETRY_AFTER})",
    }
}


class AtlasAutoSchema(AutoSchema):
    """Documents the JSON error responses every endpoint can give, next to its own."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["400", "404", "429"]
        # Writes need a token; so do reads of a client's own records (``reads_need_token``).
        if self.method not in ("GET", "HEAD", "OPTIONS") or getattr(
            self.view, "reads_need_token", False
        ):
            codes += ["401", "403"]
        if getattr(self.view, "needs_model", False):
            codes.append("503")
        for code in codes:
            if code not in responses:
                responses[code] = self._error_response(code, direction)
        return responses

    def _error_response(self, code: str, direction: str) -> dict:
        serializer = UnavailableSerializer if code == "503" else ErrorSerializer
        body = self._get_response_for_code(
            serializer, code, media_types=["application/json"], direction=direction
        )
        body["description"] = ERRORS[code]
        if code == "503":
            body["headers"] = RETRY_AFTER
        return body


# -- examples: one for each endpoint, from a real record's shape ----------------------------


def read_example(path: Path):
    """An example body: JSON, or the text itself for other files (a plain-text citation)."""
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else text


def example(name: str, path: Path, **kwargs) -> OpenApiExample:
    """A response example, read from ``path``."""
    return OpenApiExample(name, value=read_example(path), response_only=True, **kwargs)


def request_example(name: str, path: Path) -> OpenApiExample:
    return OpenApiExample(name, value=read_example(path), request_only=True)
