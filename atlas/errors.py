"""Error answers shared by pages and the API: HTML on pages, JSON of the API's one shape
(``atlas.api.ErrorSerializer``) under /api/, and a 503 with ``Retry-After`` when the database
cannot be reached (a restart or failover, not a fault of the request)."""

from __future__ import annotations

import re
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

# Seconds a client should wait before trying again when the database is unreachable.
RETRY_AFTER = 30
DATABASE_UNAVAILABLE = "The database is unavailable; please try again shortly."
DEFAULT_NOT_FOUND = re.compile(r"No (\w+) matches the given query\.")
# The error page's name for each status and what a reader can do next.
PAGE_WORDS = {
    400: ("Bad request", "The address asked for something this site cannot read."),
    404: ("Not found", "Search the provisions, or start again from one of these lists."),
    500: ("Server error", "Try again in a moment; the rest of the site may still work."),
    503: ("Unavailable", "The site is briefly unavailable; please try again in a minute."),
}


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def error_response(
    request: HttpRequest, status: int, detail: str, parameters: dict[str, list[str]] | None = None
) -> HttpResponse:
    """JSON ``{"status", "detail", "parameters"}`` under /api/, else the site's error page.

    The page is rendered without the request context (no database, no session): it must work
    when nothing else does."""
    if wants_json(request):
        body: dict = {"status": status, "detail": detail}
        if parameters:
            body["parameters"] = parameters
        return JsonResponse(body, status=status)
    title, advice = PAGE_WORDS.get(status, PAGE_WORDS[500 if status >= 500 else 400])
    context = {
        "status": status,
        "title": title,
        "advice": advice,
        "detail": detail,
        "parameters": parameters,
    }
    html = loader.render_to_string("errors/error.html", context)
    return HttpResponse(html, status=status)


def is_database_unavailable(exc: BaseException | None) -> bool:
    """A failure to reach the database (connection refused, server gone), not a bad query."""
    return isinstance(exc, OperationalError | InterfaceError)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    response = error_response(request, 503, DATABASE_UNAVAILABLE)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


def bad_request(request, exception=None):
    return error_response(request, 400, "Bad request.")


def page_not_found(request, exception=None):
    # Our views' Http404 messages are written for readers; the resolver's is a dict of patterns.
    message = exception.args[0] if exception and exception.args else None
    if not isinstance(message, str):
        message = "No page here."
    # get_object_or_404's own words name a model class; a reader gets a sentence.
    default = DEFAULT_NOT_FOUND.match(message)
    if default:
        message = f"No {default.group(1).lower()} at this address."
    return error_response(request, 404, message)


def server_error(request):
    """handler500: also reached when the database fails outside a view (the session or
    authentication middleware), where DatabaseUnavailableMiddleware cannot see it."""
    if is_database_unavailable(sys.exc_info()[1]):
        return database_unavailable(request)
    return error_response(request, 500, "Something went wrong on our side; it has been logged.")
