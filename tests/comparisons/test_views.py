"""Compare, clause-type pages, and the compare table they and the API share.

The world (``tests.factories.build_world``) is a small multi-platform corpus with clause types
assigned by hand (as a curator would): the pages are tested against known facts, whatever the
classifier thinks.
"""

import csv
import io

import pytest

from comparisons.compare import compare_table
from comparisons.models import Assignment, ClauseType, Coverage
from provisions.models import Document, Provision
from regulations.queries import engaging_clause_types
from tests.factories import assign_by_words, build_world, import_platforms, link, make_regulation


@pytest.fixture
def world(tmp_path):
    return build_world(tmp_path)


pytestmark = pytest.mark.django_db


def test_compare_table_rows_cells_and_silence(world):
    table = compare_table(platforms=["alpha", "beta", "gamma", "nobody"])
    assert [p.slug for p in table.platforms] == ["alpha", "beta", "gamma"]
    assert table.unknown == ["nobody"]
    rows = {row.clause_type.slug: row for row in table.rows}
    assert set(rows) == {"csam", "governing-law", "minimum-age"}
    assert [t.slug for t in table.absent] == ["malware"]
    csam = rows["csam"]
    assert csam.cells[2] is None and csam.differs
    assert csam.cells[0].provisions[0].text == (
        "Never generate child sexual abuse material of any kind."
    )  # the live wording, not the removed one
    assert csam.cells[0].total == 1 and csam.cells[0].severity == "critical"
    assert not rows["governing-law"].differs  # all three have it, same severity


def test_compare_table_filters(world):
    platforms = ["alpha", "beta", "gamma"]
    assert [
        r.clause_type.slug for r in compare_table(platforms=platforms, category="Legal").rows
    ] == ["governing-law"]
    assert [
        r.clause_type.slug for r in compare_table(platforms=platforms, severity="critical").rows
    ] == ["csam"]
    differing = compare_table(platforms=platforms, only_differences=True).rows
    assert {r.clause_type.slug for r in differing} == {"csam", "minimum-age"}
    assert Coverage.objects.filter(clause_type=world["csam"]).count() == 2


def test_full_text_search_ranks_and_highlights(world):
    results = list(Provision.objects.search("child abuse"))
    assert results and all("child" in r.text.lower() for r in results)
    assert "\ue000child\ue001" in results[0].snippet.lower()
    assert not Provision.objects.search("zebra crossing").exists()
    # websearch syntax: quoted phrases and exclusions
    assert {p.document.platform.slug for p in Provision.objects.search('"laws of" -ireland')} == {
        "alpha",
        "beta",
    }
    document = Document.objects.get(platform__slug="alpha")
    assert document.provisions.search("California").count() == 1


def test_compare_page_shows_cells_and_silence(client, world):
    html = client.get("/compare/?platforms=alpha,beta,gamma").content.decode()
    assert "Never generate child sexual abuse material of any kind." in html
    assert html.count("No provision found") == 2  # gamma: no CSAM clause; alpha: no age limit
    assert "<strong>3</strong> clause types shown, of the 4 clause types defined" in html
    assert "1 of them have no provision on any of these 3 platforms" in html
    assert 'href="/compare/csv/?platforms=alpha,beta,gamma"' in html


def test_compare_row_counts_match_the_database(client, world):
    html = client.get("/compare/?platforms=alpha,beta,gamma,delta").content.decode()
    for clause_type in ClauseType.objects.all():
        having = Coverage.objects.filter(clause_type=clause_type).count()
        assert f'data-clause-type="{clause_type.slug}"' in html
        assert f"{having} of 4 have it" in html


def test_compare_checkbox_form_redirects_to_the_canonical_address(client, world):
    response = client.get("/compare/?platforms=alpha&platforms=beta&only_differences=on")
    assert response.status_code == 302
    assert response["Location"] == "/compare/?platforms=alpha,beta&only_differences=1"


def test_compare_htmx_renders_only_the_table_and_pushes_the_address(client, world):
    response = client.get(
        "/compare/?platforms=alpha&platforms=beta&platforms=gamma&platforms=delta"
        "&only_differences=1",
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and 'id="table"' in html
    assert (
        response["HX-Push-Url"] == "/compare/?platforms=alpha,beta,gamma,delta&only_differences=1"
    )
    assert 'data-clause-type="governing-law"' in html  # delta has none: a difference


def test_compare_only_differences_and_filters_on_the_page(client, world):
    html = client.get("/compare/?platforms=alpha,beta,gamma&only_differences=1").content.decode()
    assert 'data-clause-type="governing-law"' not in html  # all three have it
    assert 'data-clause-type="csam"' in html
    html = client.get("/compare/?platforms=alpha,beta&category=Legal").content.decode()
    assert 'data-clause-type="governing-law"' in html and 'data-clause-type="csam"' not in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("platforms=alpha", "Pick at least 2 platforms"),
        ("platforms=" + ",".join(f"p{i}" for i in range(9)), "Pick at most 8 platforms"),
        ("platforms=nobody,nothing", "Unknown platform or text: nobody, nothing"),
    ],
)
def test_compare_refuses_bad_selections(client, world, query, message):
    response = client.get(f"/compare/?{query}")
    assert response.status_code == 400 and message in response.content.decode()
    assert client.get(f"/compare/csv/?{query}").status_code == 400


def test_compare_page_without_a_selection_offers_the_picker(client, world):
    response = client.get("/compare/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="platforms" value="delta"' in html and 'class="compare"' not in html


def test_compare_csv_is_the_same_table(client, world):
    response = client.get("/compare/csv/?platforms=alpha,gamma")
    assert response["Content-Type"].startswith("text/csv")
    # One row per provision (and one per clause type a platform lacks), never cut.
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {row["clause_type_name"] for row in rows} == {
        "CSAM prohibition",
        "Governing law",
        "Minimum age",
    }
    csam = {row["platform"]: row for row in rows if row["clause_type"] == "csam"}
    assert csam["gamma"]["record_id"] == "" and csam["gamma"]["text"] == "no provision found"
    alpha_csam = Provision.objects.get(text__startswith="Never generate child")
    assert csam["alpha"]["record_id"] == alpha_csam.record_id
    assert csam["alpha"]["text"] == alpha_csam.text and csam["alpha"]["severity"] == "critical"
    assert csam["alpha"]["version_id"] == alpha_csam.last_version.public_id


def test_clause_type_page_side_by_side_silent_and_counts(client, world):
    html = client.get("/clause-types/csam/").content.decode()
    assert "Provisions about csam prohibition." in html
    assert "Never generate child sexual abuse material of any kind." in html
    assert "Never create sexual content involving minors." in html
    from provisions.models import Platform

    tracked = Platform.objects.filter(documents__versions__isnull=False).distinct().count()
    having = Coverage.objects.filter(clause_type=world["csam"]).count()
    assert f"<strong>{having}</strong> of {tracked} platforms tracked" in html
    assert f"Silent platforms ({tracked - having} of {tracked})" in html
    silent = html.split("Silent platforms")[1]
    assert "Gamma" in silent and "Delta" in silent and "Alpha" not in silent
    assert client.get("/clause-types/nothing/").status_code == 404
    listing = client.get("/clause-types/").content.decode()
    assert "CSAM prohibition" in listing and f"{having}/{tracked}" in listing


def test_rows_and_lists_built_in_python_escape_stored_values(client, world):
    from provisions.models import Platform

    Platform.objects.filter(slug="delta").update(name="Delta <b>AI</b>")
    Provision.objects.filter(text__startswith="Users must be").update(
        text="Users <i>must</i> be 18."
    )
    compare = client.get("/compare/?platforms=beta,delta").content.decode()
    assert "<b>AI</b>" not in compare and "Delta &lt;b&gt;AI&lt;/b&gt;" in compare
    assert "Users &lt;i&gt;must&lt;/i&gt; be 18." in compare and "<i>must</i>" not in compare
    silent = client.get("/clause-types/csam/").content.decode()
    assert "<b>AI</b>" not in silent and "Delta &lt;b&gt;AI&lt;/b&gt;" in silent


def test_provision_page_shows_matches_of_the_same_clause_type_only(client, world):
    alpha = Provision.objects.get(text__startswith="Never generate child")
    beta = Provision.objects.get(text__startswith="Never create sexual")
    html = client.get(alpha.get_absolute_url()).content.decode()
    assert "Never create sexual content involving minors." in html
    assert "similarity 0.80" in html
    # a curator moves the other clause to another type: the stored match is no longer shown
    Assignment.objects.filter(provision=beta).update(clause_type=world["minimum-age"])
    html = client.get(alpha.get_absolute_url()).content.decode()
    assert "Never create sexual content involving minors." not in html
    assert "No provision of the same clause type on another platform." in html


def test_regulation_filter_and_search_facets_count_what_the_database_holds(client, world, tmp_path):
    regulation = make_regulation("child-safety-act")
    link(world["csam"], regulation, rationale="It regulates CSAM.")
    engaging = engaging_clause_types("child-safety-act")
    table = compare_table(platforms=["alpha", "beta", "gamma"], clause_types=engaging)
    assert [row.clause_type.slug for row in table.rows] == ["csam"]
    html = client.get("/compare/?platforms=alpha,beta&regulation=child-safety-act").content
    assert b'data-clause-type="csam"' in html and b'data-clause-type="governing-law"' not in html
    assert "It regulates CSAM." in client.get("/clause-types/csam/").content.decode()

    # Two more platforms whose clauses share a word no other clause uses: every facet count
    # below is about their rows alone.
    facet_world = {
        "facet-one": {
            "2025-01-01": "# P\n\n- Quokkafy no child abuse material.\n"
            "- Quokkafy under the laws of Peru.\n"
        },
        "facet-two": {"2025-01-01": "# P\n\n- Quokkafy nothing involving minors.\n"},
    }
    import_platforms(tmp_path / "facets", facet_world)
    assign_by_words()
    html = client.get("/search/?q=quokkafy").content.decode()
    matches = Provision.objects.search("quokkafy")
    assert matches.count() == 3 and "<strong>3</strong> provisions match" in html
    assert '<option value="facet-one">Facet-One (2)</option>' in html
    assert '<option value="facet-two">Facet-Two (1)</option>' in html
    assert '<option value="csam">CSAM prohibition (2)</option>' in html
    assert '<option value="governing-law">Governing law (1)</option>' in html
    assert '<option value="critical">Critical (2)</option>' in html
    assert '<option value="child-safety-act">CHILD-SAFETY-ACT (2)</option>' in html
    filtered = client.get("/search/?q=quokkafy&regulation=child-safety-act").content.decode()
    assert "<strong>2</strong> provisions match" in filtered


def test_clause_type_page_pages_through_platforms_and_counts_them_all(client, world, monkeypatch):
    from comparisons import views

    monkeypatch.setattr(views, "CARDS_PER_PAGE", 1)
    having = Coverage.objects.filter(clause_type=world["csam"]).order_by("platform__name")
    assert [c.platform.slug for c in having] == ["alpha", "beta"]
    in_force = sum(c.provision_count for c in having)
    first = client.get("/clause-types/csam/").content.decode()
    second = client.get("/clause-types/csam/?page=2").content.decode()
    for html in (first, second):  # the whole type's counts on every page
        assert f'data-count="{in_force}"' in html
        assert "<strong>2</strong> of" in html
    assert "Platforms 1 to 1 of the 2 that have it" in first and "Page 1 of 2" in first
    assert "Never generate child sexual abuse material" in first
    assert "Never create sexual content involving minors." not in first.split("side-by-side")[1]
    assert "Never create sexual content involving minors." in second


def test_adoption_picture_plots_each_adopter_and_tables_the_silent_escaped(client, world):
    from provisions.models import Platform

    Platform.objects.filter(slug="gamma").update(name="Gamma <script>x</script>")
    html = client.get("/clause-types/csam/").content.decode()
    picture = html.split('<figure class="picture"')[1].split("</figure>")[0]
    assert picture.count('<circle class="adopt"') == 2
    assert "2 platforms adopted CSAM prohibition between" in picture
    table = picture.split("<tbody>")[1]
    assert table.count("<tr>") == Platform.objects.tracked().count()
    assert "<td>Gamma &lt;script&gt;x&lt;/script&gt;</td><td>silent:" in table
    assert "<script>x" not in html
    # Each adopter dated by the first capture of its earliest provision of the type, removed
    # ones included (stored with the coverage by the worker, counted here from the provisions)
    for platform in Platform.objects.filter(slug__in=["alpha", "beta"]):
        firsts = [
            a.provision.first_version.captured_at
            for a in Assignment.objects.filter(
                clause_type=world["csam"], provision__document__platform=platform
            ).select_related("provision__first_version")
        ]
        assert f"<tr><td>{platform.name}</td><td>{min(firsts):%Y-%m-%d}</td></tr>" in table
    assert Assignment.objects.filter(
        clause_type=world["csam"], provision__removed_in__isnull=False
    ).exists(), "the world should hold a removed provision of the type"


def test_category_chart_counts_the_platforms_types_against_the_field_average(world):
    from collections import Counter

    from comparisons.pictures import category_coverage
    from provisions.models import Platform

    alpha = Platform.objects.get(slug="alpha")
    tracked = Platform.objects.tracked().count()
    chart = category_coverage(alpha, tracked=tracked)
    rows = Coverage.objects.filter(clause_type__discovered=False).select_related("clause_type")
    field = Counter(row.clause_type.category for row in rows)
    mine = Counter(row.clause_type.category for row in rows if row.platform_id == alpha.pk)
    assert mine and sum(field.values()) > sum(mine.values())  # others count in the field only
    for row in chart.rows:
        assert row.platform == mine[row.category]
        assert row.field == round(field[row.category] / tracked, 1)
        assert (
            row.types == ClauseType.objects.filter(discovered=False, category=row.category).count()
        )


def test_compare_picker_lists_a_platform_as_soon_as_it_is_imported(client, world, tmp_path):
    picker = client.get("/compare/?platforms=alpha,beta").content.decode().split("</fieldset>")[0]
    assert 'value="alpha"' in picker and 'value="zeta"' not in picker
    import_platforms(tmp_path / "more", {"zeta": "# Rules\n\n- Do not spam.\n"})
    picker = client.get("/compare/?platforms=alpha,beta").content.decode().split("</fieldset>")[0]
    assert 'value="zeta"' in picker  # kept pickers follow the tables' new rows


def test_provision_page_names_few_silent_platforms_and_counts_many(client, world, monkeypatch):
    from comparisons import queries
    from provisions.models import Platform

    provision = (
        Assignment.objects.filter(clause_type=world["csam"], provision__removed_in__isnull=True)
        .first()
        .provision
    )
    tracked = Platform.objects.tracked()
    silent = tracked.count() - Coverage.objects.filter(clause_type=world["csam"]).count()
    assert silent >= 1
    html = client.get(provision.get_absolute_url()).content.decode()
    coverage = html.split('<p class="coverage">')[1].split("</p>")[0]
    assert f"<strong>{tracked.count() - silent}</strong> of {tracked.count()} platforms" in coverage
    assert "No provision found for: " in coverage and '<a href="/platforms/gamma/">' in coverage
    monkeypatch.setattr(queries, "SILENT_NAMED", silent - 1)  # more silent than are named
    html = client.get(provision.get_absolute_url()).content.decode()
    coverage = html.split('<p class="coverage">')[1].split("</p>")[0]
    assert "/platforms/gamma/" not in coverage
    assert f"No provision found for the other {silent}: " in coverage
    assert 'href="/clause-types/csam/#silent"' in coverage
    assert 'id="silent"' in client.get("/clause-types/csam/").content.decode()
