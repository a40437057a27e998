import hashlib

import pytest

from provisions.ingest import import_sources
from provisions.models import Platform, Provision, Version
from tests.provisions.test_sources import GOOD, write_corpus

pytestmark = pytest.mark.django_db

SECOND = GOOD.replace("Do not harass people.", "Do not harass or bully people.") + (
    "- Do not impersonate others.\n"
)


@pytest.fixture
def imported(tmp_path):
    corpus = write_corpus(
        tmp_path, {"2025-01-01.md": GOOD.encode(), "2025-01-02.md": SECOND.encode()}
    )
    import_sources([str(corpus)])
    from provisions.models import Document

    return Document.objects.get(platform__slug="acme", slug="aup")


def test_home_states_what_each_count_counts(client, imported):
    html = client.get("/").content.decode()
    platforms = Platform.objects.filter(documents__versions__isnull=False).distinct().count()
    live, total = Provision.objects.live().count(), Provision.objects.count()
    assert platforms >= 1 and total >= 3
    assert f"<strong>{platforms}</strong> platforms with at least one stored document" in html
    assert f"<strong>{Version.objects.count()}</strong> distinct versions" in html
    assert (
        f"<strong>{live}</strong> provisions in force in the latest versions, of {total} "
        "provisions ever recorded" in html
    )


def test_platform_and_document_pages(client, imported):
    assert "Acceptable Use Policy" in client.get("/platforms/acme/").content.decode()
    html = client.get(imported.get_absolute_url()).content.decode()
    assert "Versions (2 distinct texts)" in html
    assert "Do not harass or bully people." in html and "Substantive change" in html
    assert client.get("/platforms/acme/nothing/").status_code == 404
    assert client.get("/platforms/nobody/").status_code == 404


def test_provision_page_shows_verbatim_text_history_and_evidence(client, imported):
    provision = imported.provisions.get(text="Do not harass or bully people.")
    html = client.get(f"/provisions/{provision.record_id}/").content.decode()
    assert "Do not harass or bully people." in html  # the current wording, verbatim
    assert "Do not harass people." in html  # and the earlier one
    assert hashlib.sha256(SECOND.encode()).hexdigest() in html
    assert "https://acme.example/aup" in html
    assert "Wordings (2)" in html


@pytest.mark.parametrize("record_id", ["P-999999", "P-12", "D-000001", "nonsense", "P-000001'--"])
def test_unknown_or_malformed_record_ids_are_404(client, imported, record_id):
    assert client.get(f"/provisions/{record_id}/").status_code == 404


def test_pages_run_a_bounded_number_of_queries(client, imported, django_assert_max_num_queries):
    provision = imported.provisions.first()
    for url in [
        "/",
        "/platforms/",
        "/platforms/acme/",
        imported.get_absolute_url(),
        imported.latest_version.get_absolute_url(),
        provision.get_absolute_url(),
    ]:
        with django_assert_max_num_queries(8):
            assert client.get(url).status_code == 200
