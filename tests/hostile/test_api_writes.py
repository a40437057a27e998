"""Hostile bodies on every API write endpoint (issue 12): huge, deeply nested, NUL bytes,
wrong types, wrong content types; anonymous and with a staff token. No 5xx; errors are JSON;
nothing is written for a rejected body."""

import json

import pytest

from comparisons.models import Assignment
from tests.hostile import probes

pytestmark = pytest.mark.django_db

# Under the classify endpoint's 16 KiB limit, and far deeper than Python's recursion limit.
NESTED = "[" * 4_000 + "]" * 4_000
# Raw bodies, with the content type each is sent as.
BODIES = {
    "nested-array": (NESTED, "application/json"),
    "nested-object": ('{"a":' * 2_000 + "1" + "}" * 2_000, "application/json"),
    "nested-in-field": (
        '{"text": ' + NESTED + ', "clause_type": ' + NESTED + "}",
        "application/json",
    ),
    "huge": (
        json.dumps({"text": "a" * 2_000_000, "clause_type": "a" * 2_000_000}),
        "application/json",
    ),
    "nul-escaped": (
        '{"text": "a\\u0000b", "clause_type": "a\\u0000", "sources": ["a\\u0000"]}',
        "application/json",
    ),
    "nul-raw": ('{"text": "a\x00b"}', "application/json"),
    "invalid-utf8": (b'{"text": "\xff\xfe"}', "application/json"),
    "lone-surrogate": (
        '{"text": "\\ud800", "clause_type": "\\udfff", "sources": ["\\ud800"]}',
        "application/json",
    ),
    "not-json": ("{not json", "application/json"),
    "empty": ("", "application/json"),
    "null": ("null", "application/json"),
    "list": ('["text"]', "application/json"),
    "number": ("1e999999", "application/json"),
    "wrong-types": ('{"text": 12, "clause_type": {"a": [1]}, "sources": "a"}', "application/json"),
    "non-ascii": (
        '{"text": "名前 😀", "clause_type": "ünï", "sources": ["../../etc/passwd"]}',
        "application/json",
    ),
    "form": (
        "text=a%00b&clause_type=%ff&sources=..%2F..%2Fetc%2Fpasswd",
        "application/x-www-form-urlencoded",
    ),
    "multipart": (
        "--x\r\nContent-Disposition: form-data; name=text\r\n\r\na\r\n--x--",
        "multipart/form-data; boundary=x",
    ),
    "xml": ("<text>a</text>", "application/xml"),
    "bad-content-type": ('{"text": "a"}', "application/json; charset=\x7f%00"),
    "no-content-type": ('{"text": "a"}', ""),
}


@pytest.fixture
def endpoints(records):
    return {
        "POST /api/v1/classify/": ("post", "/api/v1/classify/"),
        "PUT clause-type": ("put", f"/api/v1/provisions/{records['csam'].record_id}/clause-type/"),
        "POST /api/v1/imports/": ("post", "/api/v1/imports/"),
    }


@pytest.mark.parametrize("who", ["anonymous", "staff"])
def test_no_server_error_on_hostile_bodies(who, endpoints, request):
    client = request.getfixturevalue(who)
    assignments = set(Assignment.objects.values_list("pk", "clause_type", "basis"))
    failures = []
    for endpoint, (method, url) in endpoints.items():
        for label, (body, content_type) in BODIES.items():
            response = getattr(client, method)(url, body, content_type=content_type)
            problem = probes.fault(response, api=True)
            if problem:
                failures.append(f"{who} {endpoint} [{label}]: {problem}")
    assert not failures, "\n".join(failures)
    # A rejected curation changes nothing (non-ASCII might be a valid slug: none exists).
    assert set(Assignment.objects.values_list("pk", "clause_type", "basis")) == assignments
