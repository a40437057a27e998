"""Every route the router registers with a format suffix (``.json``) answers like the route
without it: custom actions and ``list`` of plain viewsets took no ``format`` (a 500)."""

import pytest

pytestmark = pytest.mark.django_db


def suffixed_routes(world) -> list[str]:
    provision, version = world["csam"], world["alpha"].latest_version.public_id
    document = world["alpha"].record_id
    return [
        "/api/v1/compare.json?platforms=alpha,beta",
        f"/api/v1/documents/{document}/citation.json",
        f"/api/v1/versions/{version}/citation.json",
        f"/api/v1/versions/{version}/verify.json",
        f"/api/v1/provisions/{provision.record_id}/citation.json",
        "/api/v1/platforms/alpha/documents/policy.json",
    ]


def test_format_suffixes_answer_json_like_the_plain_routes(client, world):
    for url in suffixed_routes(world):
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:300])
        assert response["Content-Type"] == "application/json", url
        plain = client.get(url.replace(".json", "/", 1))
        assert plain.status_code == 200, url
        if "verify" not in url:  # verify says when it re-hashed
            assert response.json() == plain.json(), url


def test_a_citation_format_suffix_picks_the_format(client, world):
    response = client.get(f"/api/v1/provisions/{world['csam'].record_id}/citation.bibtex")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/x-bibtex")
    assert response.content.decode().startswith("@misc{")
