"""Every count opens the full list it counts: search with filters and no query lists every
provision the filters keep (paginated, exportable), and the pages' counts link there."""

import csv
import io

import pytest

from comparisons.models import Coverage
from provisions.models import Document, Provision
from tests.factories import assign_by_words, import_platforms

pytestmark = pytest.mark.django_db

WORLD = {
    "alpha": {
        "2025-01-01": "# Rules\n\n- Do not generate child sexual abuse material.\n"
        "- Never depict minors sexually.\n- Do not harass people.\n",
        "2025-03-01": "# Rules\n\n- Never depict minors sexually.\n"
        "- No child exploitation of any kind.\n- Do not harass people.\n",
    },
    "beta": "# Policy\n\n- Never create sexual content involving minors.\n- Users must be 18.\n",
}


@pytest.fixture
def world(tmp_path):
    import_platforms(tmp_path, WORLD)
    return assign_by_words()


def listed(html: str) -> int:
    return html.count('<li class="result">')


def test_filters_without_a_query_list_every_provision_they_keep(client, world):
    in_force = Provision.objects.live().filter(
        document__platform__slug="alpha", assignment__clause_type__slug="csam"
    )
    assert in_force.count() == 2
    html = client.get("/search/?platform=alpha&clause_type=csam&status=in_force").content.decode()
    assert "<strong>2</strong> provisions in force with the filters chosen" in html
    assert listed(html) == 2
    everything = client.get("/search/?platform=alpha&clause_type=csam").content.decode()
    assert listed(everything) == 3  # the removed one too, marked and listed last
    assert everything.index("badge-removed") > everything.index("Never depict minors")
    removed = client.get("/search/?platform=alpha&status=removed").content.decode()
    assert listed(removed) == 1 and "Do not generate child sexual abuse material." in removed


def test_no_query_and_no_filter_lists_nothing_and_an_unknown_status_is_ignored(client, world):
    assert listed(client.get("/search/").content.decode()) == 0
    html = client.get("/search/?platform=beta&status=bogus").content.decode()
    assert listed(html) == 2


def test_the_list_exports_as_csv_every_row(client, world):
    response = client.get("/search/csv/?clause_type=csam&status=in_force")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "record id" and len(rows) == 1 + 3
    assert {row[1] for row in rows[1:]} == {"Alpha", "Beta"}
    assert all(row[3] == "in force" for row in rows[1:])
    assert all(row[8].startswith("http://testserver/provisions/P-") for row in rows[1:])
    refused = client.get("/search/csv/")
    assert refused.status_code == 400 and b"filter" in refused.content


def test_counts_on_pages_link_to_lists_of_that_length(client, world):
    stored = Coverage.objects.get(platform__slug="alpha", clause_type__slug="csam")
    href = "/search/?platform=alpha&amp;clause_type=csam&amp;status=in_force"
    platform = client.get("/platforms/alpha/").content.decode()
    assert f'data-count="{stored.provision_count}" href="{href}"' in platform
    compare = client.get("/compare/?platforms=alpha,beta").content.decode()
    # a compare column reads each document's main text, and its count opens that list
    href = "/search/?platform=alpha&amp;clause_type=csam&amp;status=in_force&amp;variant=main"
    assert f'data-count="2" href="{href}"' in compare
    assert listed(client.get(href.replace("&amp;", "&")).content.decode()) == 2
    clause_type = client.get("/clause-types/csam/").content.decode()
    assert 'data-count="3" href="/search/?clause_type=csam&amp;status=in_force"' in clause_type
    listed_there = client.get(href.replace("&amp;", "&")).content.decode()
    assert listed(listed_there) == stored.provision_count == 2


def test_in_force_only_as_of_the_last_capture_and_tracking_said(client, world):
    alpha = Document.objects.get(platform__slug="alpha")
    provision = Provision.objects.live().get(text="Never depict minors sexually.")
    html = client.get(provision.get_absolute_url()).content.decode()
    assert "In force as of 2025-03-01" in html
    assert "document not tracked now" in html  # no declaration fetches it in this world
    page = client.get(alpha.get_absolute_url()).content.decode()
    assert "Last captured 2025-03-01" in page and "not tracked now" in page
    assert '<svg viewBox="0 0 640 110" role="img" aria-labelledby="timeline-title">' in page


def test_error_pages_carry_the_menu_and_a_search(client, world):
    response = client.get("/platforms/nobody-here/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "No platform at this address." in html
    assert 'aria-label="Main"' in html and 'role="search"' in html
    assert 'href="/clause-types/"' in html
