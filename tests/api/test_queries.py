"""List endpoints run a fixed number of SQL queries, whatever the page size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db

LISTS = [
    ("/api/v1/platforms/", {}),
    ("/api/v1/documents/", {}),
    ("/api/v1/versions/", {}),
    ("/api/v1/provisions/", {}),
    ("/api/v1/clause-types/", {}),
    ("/api/v1/regulations/", {}),
    ("/api/v1/changes/", {"change_kind": ["substantive", "first", "wording"]}),
    ("/api/v1/search/", {"q": "child OR California OR terms OR users"}),
    ("/api/v1/search/", {"q": "terms of use", "mode": "semantic"}),
    ("/api/v1/compare/", {"platforms": "alpha,beta"}),
]


def queries(client, url, params) -> tuple[int, int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    data = response.json()
    # The throttle's shared counter (and the query-vector cache) live in the database cache, a
    # read and a write in a savepoint per request whatever the list: the bound is on the list's
    # own queries, the equality on all of them.
    own = [q for q in captured if "atlas_cache" not in q["sql"] and "SAVEPOINT" not in q["sql"]]
    return len(captured), len(own), len(data.get("results", data.get("groups", [])))


@pytest.mark.parametrize(("url", "params"), LISTS)
def test_list_queries_do_not_grow_with_page_size(client, world, url, params):
    client.get(url, params)  # warm per-process caches (e.g. the semantic query vector)
    small, _, shown_small = queries(client, url, {**params, "page_size": 1})
    large, own, shown_large = queries(client, url, {**params, "page_size": 100})
    assert shown_large >= shown_small
    if "page_size" not in params and url != "/api/v1/compare/":
        assert shown_large > 1, "the world must give this list more than one row"
    assert large == small
    assert own <= 6
