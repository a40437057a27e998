import json

import pytest

from provisions.models import Platform, Provision
from regulations.catalog import DATA
from regulations.models import ClauseTypeLink, Regulation
from tests.factories import assign, import_platforms

pytestmark = pytest.mark.django_db


def test_list_shows_the_whole_catalog_with_its_count(
    client, catalog, django_assert_max_num_queries
):
    with django_assert_max_num_queries(5):
        html = client.get("/regulations/").content.decode()
    assert "80 of 80 regulations in the catalog" in html
    assert "TAKE IT DOWN Act" in html and "Online Safety Act 2021" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"jurisdiction": "GB"}, {"gb-"}),
        ({"jurisdiction": "US-CA"}, {"us-ca-"}),
        ({"topic": "ncii"}, None),
        ({"jurisdiction": "US", "topic": "csam"}, {"us-"}),
    ],
)
def test_list_filters_by_jurisdiction_and_topic(client, catalog, query, expected):
    response = client.get("/regulations/", query)
    shown = list(response.context["regulations"])
    rows = json.loads((DATA / "regulations.json").read_text())
    wanted = {
        r["slug"]
        for r in rows
        if r["jurisdiction"] == query.get("jurisdiction", r["jurisdiction"])
        and query.get("topic", r["topics"][0]) in r["topics"]
    }
    assert {r.slug for r in shown} == wanted and wanted
    if expected:
        assert all(any(r.slug.startswith(p) for p in expected) for r in shown)
    assert f"{len(wanted)} of 80 regulations in the catalog match" in response.content.decode()


def test_list_with_a_filter_nothing_matches_says_so(client, catalog):
    html = client.get("/regulations/", {"jurisdiction": "XX"}).content.decode()
    assert "No regulation in the catalog matches these filters." in html
    assert "0 of 80 regulations" in html


def test_unknown_regulation_is_404(client, catalog):
    assert client.get("/regulations/no-such-law/").status_code == 404


def test_regulation_pages_are_read_only(client, catalog):
    assert client.post("/regulations/eu-dsa/").status_code == 405
    assert client.post("/regulations/").status_code == 405


def test_pending_law_is_shown_as_pending_and_unverified_values_are_marked(client, catalog):
    html = client.get("/regulations/us-defiance-act/").content.decode()
    assert "Pending: this is a bill, not law." in html
    assert "<strong>Pending</strong> <em>(unverified)</em>" in html
    assert "Non-consensual intimate imagery and sexual deepfakes" in html  # the engaging type
    dsa = client.get("/regulations/eu-dsa/").content.decode()
    assert "(unverified" not in dsa.split("Official text")[1].split("</dd>")[0]
    cfaa = Regulation.objects.get(slug="us-cfaa")
    assert "url" in cfaa.unverified
    html = client.get(cfaa.get_absolute_url()).content.decode()
    assert "(unverified: built from the publisher's URL scheme, not opened)" in html


def test_regulation_page_states_its_denominator_and_names_silent_platforms(
    client, catalog, world, django_assert_max_num_queries
):
    regulation = Regulation.objects.get(slug="us-18-usc-2258a")
    # the regulation and its topics, its links; the platforms, the linked types, their stored
    # coverage, the curators' overrides; the linked types and the page's first provisions
    with django_assert_max_num_queries(9):
        html = client.get(regulation.get_absolute_url()).content.decode()
    tracked = Platform.objects.filter(documents__versions__isnull=False).distinct()
    types = ClauseTypeLink.objects.filter(regulation=regulation).values("clause_type")
    addressing = (
        Provision.objects.live()
        .filter(assignment__clause_type__in=types)
        .values("document__platform")
        .distinct()
        .count()
    )
    assert addressing == 2  # alpha and beta have a CSAM clause; gamma does not
    assert f"Addressed by {addressing} of {tracked.count()} platforms tracked" in html
    silent = html.split("No provision found for:")[1].split("</p>")[0]
    assert "Gamma" in silent and "Alpha" not in silent
    assert "no provision found" in html
    assert "Do not generate child sexual abuse material." in html
    assert "§ 2258A(a)" in html  # the article of the curated link


def test_a_long_coverage_row_shows_its_count_and_the_first_five(client, catalog, tmp_path):
    from comparisons.models import ClauseType

    clauses = "".join(f"- Do not share child sexual abuse material, rule {n}.\n" for n in range(12))
    import_platforms(tmp_path, {"omega": "# Rules\n\n" + clauses})
    csam = ClauseType.objects.get(slug="csam")
    for provision in Provision.objects.all():
        assign(provision, csam)
    html = client.get("/regulations/us-18-usc-2258a/").content.decode()
    assert "12 provisions, the first 5 shown (" in html
    assert "rule 4." in html and "rule 5." not in html


def test_the_coverage_table_pages_through_platforms_and_keeps_whole_counts(
    client, catalog, tmp_path, monkeypatch, django_assert_max_num_queries
):
    from comparisons.models import ClauseType
    from regulations import views

    monkeypatch.setattr(views, "COVERAGE_ROWS_PER_PAGE", 2)
    import_platforms(
        tmp_path,
        {
            "alpha": "# Rules\n\n- Do not share child sexual abuse material.\n",
            "beta": "# Rules\n\n- Be kind to others.\n",
            "gamma": "# Rules\n\n- Never depict minors sexually, ever.\n",
        },
    )
    csam = ClauseType.objects.get(slug="csam")
    for provision in Provision.objects.filter(document__platform__slug__in=["alpha", "gamma"]):
        assign(provision, csam)
    url = "/regulations/us-18-usc-2258a/"
    with django_assert_max_num_queries(9):
        first = client.get(url).content.decode()
    last = client.get(url + "?page=2").content.decode()
    for html in (first, last):  # the summary counts every platform, whatever the page
        assert "Addressed by 2 of 3 platforms tracked" in html
        assert "through 2 provisions in force" in html
    assert "Platforms 1 to 2 of 3" in first and "Page 1 of 2" in first
    assert "Do not share child sexual abuse material." in first
    assert "Never depict minors" not in first
    assert "Platforms 3 to 3 of 3" in last and "Never depict minors sexually, ever." in last
    assert client.get(url + "?page=x").status_code == 200  # a bad page number is the first page
