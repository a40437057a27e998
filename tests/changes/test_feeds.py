"""Atom feeds of changes per scope, read back with feedparser."""

import feedparser
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
    import_sources([str(write_acme(tmp_path, A, B, A))])  # B flips: a glitch
    document = Document.objects.get(platform__slug="acme")
    refresh_changes(document)
    return document


def read(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return feedparser.parse(response.content)


def test_a_scope_feed_has_entries_with_content_significance_direction_and_tag_ids(
    client, tmp_path, db
):
    import_sources([str(write_acme(tmp_path, A, B))])
    refresh_changes(Document.objects.get(platform__slug="acme"))
    feed = read(client, "/changes/feed/?scope=platform:acme")
    assert not feed.bozo and feed.version == "atom10"
    [entry] = feed.entries  # the cosmetic apostrophe is below "substantive"
    change = ProvisionChange.objects.get(action="added")
    assert entry.id == f"tag:atlas.changes,2026:change/{change.pk}"
    assert entry.link.endswith(change.get_absolute_url())
    content = entry.summary
    assert "Do not use the service to impersonate real people." in content
    assert "Substantive" in content and "more restrictive for users" in content
    assert feed.feed.id == "tag:atlas.changes,2026:feed/platform:acme/substantive"
    again = read(client, "/changes/feed/?scope=platform:acme")
    assert [e.id for e in again.entries] == [entry.id]  # stable


def test_glitches_and_technical_changes_are_never_entries(client, acme):
    assert ProvisionChange.objects.filter(significance="glitch").exists()
    feed = read(client, "/changes/feed/?scope=document:acme/aup&significance=wording")
    assert feed.entries == []  # B's added prohibition came and went: a glitch, no entry


@pytest.mark.parametrize(
    "query", ["scope=platform:nobody", "scope=planet:x", "significance=all", "significance=x"]
)
def test_bad_feed_parameters_are_404(client, db, query):
    assert client.get(f"/changes/feed/?{query}").status_code == 404
