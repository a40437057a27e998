"""Change review pages: scopes, filters with denominators, glitches shown once, evidence."""

import pytest

from changes.models import ProvisionChange
from changes.significance import refresh_changes
from provisions.ingest import import_sources
from provisions.models import Document
from tests.factories import write_acme

A = "# Policy\n\n- Do not generate malware.\n- You can't resell access to the service.\n"
B = (
    "# Policy\n\n- Do not generate malware.\n- You can’t resell access to the service.\n"
    "- Do not use the service to impersonate real people.\n"
)


@pytest.fixture
def acme(tmp_path, db):
    import_sources([str(write_acme(tmp_path, A, B))])
    document = Document.objects.get(platform__slug="acme")
    refresh_changes(document)
    return document


def test_the_document_page_lists_substantive_changes_by_default_with_denominators(client, acme):
    response = client.get("/changes/platforms/acme/aup/")
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "<strong>1</strong> substantive provision change since tracking began, of 2 captures"
        in page
    )
    assert "Do not use the service to impersonate real people." in page
    assert "resell" not in page  # the curly apostrophe is cosmetic: hidden by default
    assert "More restrictive for users" in page
    everything = client.get("/changes/platforms/acme/aup/?significance=all").content.decode()
    assert "<ins>can’t</ins> resell" in everything and "Cosmetic" in everything


def test_year_and_days_filters_and_bad_values_are_named(client, acme):
    assert "<strong>0</strong>" in client.get("/changes/platforms/acme/?year=2024").content.decode()
    assert "<strong>1</strong>" in client.get("/changes/platforms/acme/?year=2025").content.decode()
    page = client.get("/changes/?significance=loud&year=abc").content.decode()
    assert "Ignored: significance must be one of" in page and "Ignored: year must be" in page


@pytest.mark.parametrize(
    "url",
    [
        "/changes/platforms/nobody/",
        "/changes/platforms/acme/nothing/",
        "/changes/provisions/P-x/",
        "/changes/clause-types/nothing/",
        "/changes/regulations/nothing/",
        "/changes/999999/",
    ],
)
def test_unknown_scopes_are_404(client, acme, url):
    assert client.get(url).status_code == 404


def test_provision_scope_and_change_evidence_page(client, acme):
    change = ProvisionChange.objects.get(action="added")
    record = change.provision.record_id
    assert "impersonate" in client.get(f"/changes/provisions/{record}/").content.decode()
    page = client.get(change.get_absolute_url()).content.decode()
    assert "<dt>Rule</dt><dd><code>rule</code>" in page and "adds a prohibition" in page
    assert f"?from={change.previous_version_id}&amp;to={change.version_id}" in page


def test_a_glitch_is_shown_once(client, tmp_path, db):
    import_sources([str(write_acme(tmp_path, A, B, A))])
    refresh_changes(Document.objects.get(platform__slug="acme"))
    page = client.get("/changes/?significance=all").content.decode()
    assert page.count("One capture glitch") == 1
    assert "impersonate" not in page


def test_every_version_page_links_its_diff_and_its_neighbours(client, acme):
    old, new = acme.versions.order_by("ordinal")
    first = client.get(old.get_absolute_url()).content.decode()
    assert f'href="{new.get_absolute_url()}" rel="next"' in first
    assert "The first version: nothing before it." in first
    second = client.get(new.get_absolute_url()).content.decode()
    assert f'href="{old.get_absolute_url()}" rel="prev"' in second
    assert f"?from={old.pk}&amp;to={new.pk}" in second
    assert "1 cosmetic, 1 substantive" in second
