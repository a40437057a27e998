"""Hostile input on every route of the site (issue 12, "What it must show"): each path
parameter and each query parameter the route reads, one hostile value at a time. No answer may
be a 5xx, and the API's errors are JSON. Failures are collected per route, so one run lists
all of them (with the exception behind each 500)."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import resolve
from django.urls.exceptions import Resolver404

from provisions.models import Provision
from tests.hostile import probes
from tests.hostile.routes import PLACEHOLDER, Route, all_routes, encoded, real_kwargs, url_for

pytestmark = pytest.mark.django_db

ROUTES = all_routes()
# The admin is Django's own code: its changelists' search and ordering, and a few values.
ADMIN_QUERY = ("q", "o")
ADMIN_VALUES = ("nul", "invalid-utf8", "huge")


@pytest.fixture(scope="module")
def api_parameters(django_db_setup, django_db_blocker) -> dict[str, set[str]]:
    """Each API route name's query parameters, from the OpenAPI schema."""
    by_name: dict[str, set[str]] = {}
    for template, names in probes.schema_parameters().items():
        path = template
        while "{" in path:
            path = path[: path.index("{")] + PLACEHOLDER + path[path.index("}") + 1 :]
        try:
            match = resolve(path)
        except Resolver404:
            continue
        by_name.setdefault(match.view_name, set()).update(names)
    return by_name


@pytest.fixture
def known(records):
    from django.contrib.auth.models import User

    return real_kwargs(
        {
            **records,
            "user": User.objects.order_by("pk").first(),
            "provision_content_type": ContentType.objects.get_for_model(Provision).pk,
        }
    )


def parameters_read(client, url: str, route: Route, api_parameters) -> set[str]:
    if route.is_format_suffix:
        return set()  # the same view as without the suffix, probed there
    if route.is_admin:
        return set(ADMIN_QUERY) if (route.name or "").endswith("_changelist") else set()
    schema = api_parameters.get(route.name, set())
    benign = {**dict.fromkeys(schema, "1"), **probes.HTML_PARAMETERS}
    with probes.recording_reads() as names:
        client.get(url)
        client.get(url, benign)
    return {name for name in names if isinstance(name, str)} | schema


def few_values(route: Route) -> tuple[str, ...] | None:
    if route.is_admin:
        return ADMIN_VALUES
    if route.name in ("schema", "api-docs"):
        return probes.FEW
    return None


def probe(client, route: Route, url: str, failures: list, label: str):
    response = client.get(url)
    problem = probes.fault(response, api=route.is_api)
    if problem:
        failures.append(f"GET {url[:160]} [{label}]: {problem}")


@pytest.mark.parametrize("route", ROUTES, ids=[r.pattern for r in ROUTES])
def test_no_server_error_on_hostile_input(route, records, anonymous, request, api_parameters):
    # ``records`` as an argument builds the module's world before this test's transaction
    # (not inside it); the superuser before ``known``: the admin's routes point at it.
    client = request.getfixturevalue("superuser") if route.is_admin else anonymous
    known = request.getfixturevalue("known")
    few = few_values(route)
    labels = few or tuple(probes.HOSTILE_PATH)
    failures: list[str] = []
    url = url_for(route, known)
    probe(client, route, url, failures, "real parameters")
    for name in route.parameters:
        for label in labels:
            hostile = url_for(route, known, {name: probes.HOSTILE_PATH[label]})
            if hostile:
                probe(client, route, hostile, failures, f"path {name}={label}")
    for name in sorted(parameters_read(client, url, route, api_parameters)):
        queries = probes.query_strings(encoded(name), few or tuple(probes.HOSTILE))
        for label, query in queries.items():
            probe(client, route, f"{url}?{query}", failures, f"{name}={label}")
    assert not failures, "\n".join(failures)
