"""Request checks every page and API endpoint shares, at the edge of the site."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse

from atlas.errors import database_unavailable, error_response, is_database_unavailable

logger = logging.getLogger(__name__)


class RejectNulMiddleware:
    """400 naming the parameter for a NUL character in the path, the query string or a
    header.

    PostgreSQL cannot store or compare text holding NUL, so such a value reaching any query
    (a search, a filter, a slug in the path) raised a 500. No page or API parameter has a use
    for it, so it is refused here, once, before any view reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        bad = nul_parameters(request)
        if bad:
            message = "must not contain a NUL character"
            return error_response(
                request,
                400,
                f"Invalid parameter(s): {', '.join(bad)}.",
                {name: [message] for name in bad},
            )
        return self.get_response(request)


def nul_parameters(request: HttpRequest) -> list[str]:
    bad = ["path"] if "\x00" in request.path else []
    # Headers too: a token (Authorization) is looked up in the database as sent.
    bad += [
        f"header {name}"
        for name, value in request.headers.items()
        if isinstance(value, str) and "\x00" in value
    ]
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            bad.append(name.replace("\x00", "\\x00"))
    return bad


class DatabaseUnavailableMiddleware:
    """503 with ``Retry-After`` (JSON on the API) when a view cannot reach the database,
    instead of a generic 500: clients and load balancers can tell an outage from a bug."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not is_database_unavailable(exception):
            return None
        logger.error("Database unavailable for %s: %s", request.path, exception)
        return database_unavailable(request)
