"""Hostile values, the query parameters each route reads, and the check every response must
pass: no 5xx, and API errors in JSON."""

from __future__ import annotations

from contextlib import contextmanager
from urllib.parse import quote

from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from drf_spectacular.generators import SchemaGenerator

# Percent-encoded, so bytes that are not UTF-8 reach the server as they would from a client.
HOSTILE = {
    "nul": "%00",
    "invalid-utf8": "%ff%fe",
    "huge": "a" * 100_000,
    "non-ascii": quote("名前 ünïcødé 😀 \u202e"),
    "traversal": quote("../../etc/passwd", safe=""),
    "negative": "-1",
    "huge-number": "9" * 40,
    "markup": quote("' OR 1=1;--\"><script>alert(1)</script> !(:*&|\\%_<->", safe=""),
    "empty": "",
}
# A path segment may also carry a lone surrogate (as CESU-8) and a raw traversal.
HOSTILE_PATH = {**HOSTILE, "lone-surrogate": "%ed%a0%80", "raw-traversal": "../../../etc/passwd"}
# The admin is Django's own code, and the schema is generated afresh for each request (about a
# second): a few values for them.
FEW = ("nul", "invalid-utf8", "huge", "markup")

# Benign values, sent once to see which parameters each route reads (a view may read one only
# when another is present, e.g. the search page reads ``page`` only with a ``q``).
HTML_PARAMETERS = {
    "q": "safety",
    "mode": "fulltext",
    "page": "1",
    "platforms": "alpha,beta",
    "only_differences": "1",
    "group": "category",
    "version": "1",
    "from": "1",
    "to": "2",
    "jurisdiction": "EU",
    "topic": "safety",
}


def query_strings(name: str, labels=tuple(HOSTILE)) -> dict[str, str]:
    """Each hostile value (of ``labels``) as the one value of ``name``, and several at once."""
    strings = {label: f"{name}={HOSTILE[label]}" for label in labels}
    strings["repeated"] = "&".join(f"{name}={HOSTILE[label]}" for label in ("empty", *FEW))
    return strings


def schema_parameters() -> dict[str, set[str]]:
    """The query parameters of each API path in the OpenAPI schema, keyed by its path
    template ("/api/v1/platforms/{slug}/")."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        path: {
            parameter["name"]
            for operation in operations.values()
            if isinstance(operation, dict)
            for parameter in operation.get("parameters", [])
            if parameter["in"] == "query"
        }
        for path, operations in schema["paths"].items()
    }


@contextmanager
def recording_reads():
    """The names of the query parameters read by name while inside. Not ``[]``: code that
    copies all parameters (``.dict()``) reads every name it is given, wanted or not."""
    names: set[str] = set()
    methods = ("get", "getlist", "__contains__")
    own = {method: MultiValueDict.__dict__.get(method) for method in methods}

    def recorder(method):
        original = getattr(MultiValueDict, method)

        def read(self, key, *args, **kwargs):
            # A request's parameters (not the URL resolver's reverse_dict, say), once built:
            # building one asks whether it holds each name it is given.
            if isinstance(self, QueryDict) and not self._mutable:
                names.add(key)
            return original(self, key, *args, **kwargs)

        return read

    for method in methods:
        setattr(MultiValueDict, method, recorder(method))
    try:
        yield names
    finally:
        for method, original in own.items():
            if original is None:
                delattr(MultiValueDict, method)  # inherited from dict
            else:
                setattr(MultiValueDict, method, original)


def is_health_report(response) -> bool:
    """/health/ answers 503 by design while a part is down (no worker runs in these tests)."""
    if "json" not in response.get("Content-Type", ""):
        return False
    body = response.json()
    return body.get("status") == "unavailable" and {"database", "broker", "worker"} <= set(body)


def fault(response, *, api: bool) -> str | None:
    """What is wrong with a response to hostile input, or None."""
    if response.status_code == 503 and is_health_report(response):
        return None
    if response.status_code >= 500:
        error = getattr(response, "exc_info", None)
        cause = f"{error[0].__name__}: {str(error[1])[:200]}" if error else "no exception"
        return f"{response.status_code} ({cause}; {response.get('Content-Type', '')})"
    if api and response.status_code >= 400:
        kind = response.get("Content-Type", "")
        if "json" not in kind:
            return f"{response.status_code} with {kind or 'no content type'}, not JSON"
    return None
