"""The OpenAPI schema's shared parts (drf-spectacular): every endpoint's error responses.

Kept apart from ``atlas.api``, which DRF's views module imports while it loads (throttles and
content negotiation are class attributes of ``APIView``); drf-spectacular imports DRF's views.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema

from atlas.api import ErrorSerializer

ERRORS = {
    "400": "A malformed parameter or body (each one named in `parameters`)",
    "401": "No valid token (writes need `Authorization: Token …`)",
    "403": "The token's account may not do this",
    "404": "No such record, or a page past the last",
    "429": "Too many requests from this client; retry after `Retry-After` seconds",
}


class AtlasAutoSchema(AutoSchema):
    """Documents the JSON error responses every endpoint can give, next to its own."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["400", "404", "429"]
        if self.method not in ("GET", "HEAD", "OPTIONS"):
            codes += ["401", "403"]
        for code in codes:
            if code not in responses:
                body = self._get_response_for_code(
                    ErrorSerializer, code, media_types=["application/json"], direction=direction
                )
                body["description"] = ERRORS[code]
                responses[code] = body
        return responses
