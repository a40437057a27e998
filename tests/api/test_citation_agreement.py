"""The provision page and the API cite a provision with the same builder: the same record."""

import html

import pytest

pytestmark = pytest.mark.django_db


def test_the_page_and_the_api_give_the_same_citation_of_a_pinned_provision(client, world):
    provision = world["csam"]
    version = provision.first_version.public_id
    page = client.get(f"/provisions/{provision.record_id}/", {"version": version})
    assert page.status_code == 200
    api = client.get(
        f"/api/v1/provisions/{provision.record_id}/citation/",
        {"version": version, "format": "text"},
    )
    assert api.status_code == 200
    text = api.content.decode().strip()
    assert f"version {version} captured" in text and "provision text sha256" in text
    assert text in html.unescape(page.content.decode())
    bibtex = client.get(
        f"/api/v1/provisions/{provision.record_id}/citation/",
        {"version": version, "format": "bibtex"},
    ).content.decode()
    assert bibtex in html.unescape(page.content.decode())
