"""The main journeys, as a person would take them, in a real browser."""

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from provisions.models import Document
from tests.factories import ALPHA_V1, ALPHA_V2, WORLD, build_world

pytestmark = pytest.mark.django_db(transaction=True)

# Delta also has a governing-law clause here, so that "only differences" visibly hides a row.
E2E_WORLD = {
    **WORLD,
    "alpha": {
        "2025-01-01": ALPHA_V1,
        "2025-03-01": ALPHA_V2.replace("Do not harass people.", "Do not harass or bully people."),
    },
    "delta": {
        "2025-01-01": "# Use policy\n\n- Do not generate malware or spyware.\n"
        "- These terms are governed by the laws of Delaware.\n"
    },
}


@pytest.fixture
def world(tmp_path):
    return build_world(tmp_path, E2E_WORLD)


def test_open_a_provision_from_search(live_server, page, shoot, world):
    page.goto(f"{live_server.url}/search/")
    page.get_by_label("Search", exact=True).fill("child abuse")
    # results arrive by htmx while typing, and the address follows
    expect(page.locator(".result-count")).to_contain_text("match “child abuse”")
    expect(page).to_have_url(re.compile(r"q=child(\+|%20)abuse"))
    expect(page.locator(".result mark").first).to_have_text(re.compile("child", re.I))
    # swapped in place, not nested: the results take the width beside the filters
    assert page.locator("#results").count() == 1
    assert page.locator("section.results").bounding_box()["width"] > 600
    shoot("search-results")
    page.locator(".result", has_text="Never generate").locator(".result-head a").click()
    expect(page.locator("h1")).to_contain_text("P-")
    expect(page.locator("#clause-text")).to_have_text(
        "Never generate child sexual abuse material of any kind."
    )
    expect(page.get_by_text("Critical severity")).to_be_visible()
    page.get_by_role("link", name="Verify: re-hash the stored text").click()
    expect(page.locator(".verify-result")).to_contain_text("Hash verified")
    shoot("provision")
    # on a phone: one column, nothing wider than the screen
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot("provision-phone")


def test_compare_three_platforms_add_a_fourth_filter_and_export(live_server, page, shoot, world):
    page.goto(f"{live_server.url}/compare/?platforms=alpha,beta,gamma")
    headers = page.locator("table.compare thead th")
    expect(headers).to_have_text(["Clause type", "Alpha", "Beta", "Gamma"])
    csam = page.locator('tr[data-clause-type="csam"]')
    expect(csam.locator("td.none")).to_have_text(["No provision found"])  # gamma is silent
    page.get_by_label("Delta").check()
    expect(headers).to_have_text(["Clause type", "Alpha", "Beta", "Delta", "Gamma"])
    expect(page).to_have_url(re.compile(r"platforms=alpha,beta,delta,gamma$"))
    expect(page.locator(".table-bar")).to_contain_text("Comparing 4 platforms.")
    assert page.locator("#table").count() == 1
    expect(page.locator('tr[data-clause-type="malware"]')).to_be_visible()
    shoot("compare-four")
    # expand a cell: the verbatim clause
    csam.locator("details summary").first.click()
    expect(csam.locator("details[open] summary blockquote")).to_have_text(
        "Never generate child sexual abuse material of any kind."
    )
    page.get_by_label("Only differences").check()
    expect(page.locator('tr[data-clause-type="governing-law"]')).to_have_count(0)  # all agree
    expect(page.locator('tr[data-clause-type="csam"]')).to_be_visible()
    expect(page).to_have_url(re.compile(r"only_differences=1"))
    shoot("compare-differences")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the table scrolls
    page.set_viewport_size({"width": 1280, "height": 900})
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    with open(download.value.path(), encoding="utf-8") as exported:
        rows = list(csv.reader(io.StringIO(exported.read())))
    header = rows[0]
    assert header[:3] == ["category", "clause_type", "clause_type_name"]  # one row per provision
    names = {row[header.index("clause_type_name")] for row in rows[1:]}
    assert "Governing law" not in names
    assert {"CSAM prohibition", "Minimum age", "Malware prohibition"} <= names


def test_diff_two_versions(live_server, page, shoot, world):
    document = Document.objects.get(platform__slug="alpha")
    page.goto(f"{live_server.url}{document.get_absolute_url()}")
    expect(page.get_by_role("heading", name="Versions (2 distinct texts)")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280  # nothing overflows
    shoot("document")
    page.get_by_role("button", name="Show the changes").click()
    expect(page.locator("h1")).to_have_text("Version 1 → version 2")
    summary = page.locator(".diff-summary")
    # the CSAM clause was rewritten (a new provision), the harassment one lightly reworded
    expect(summary).to_contain_text("2 provisions added")
    expect(summary).to_contain_text("1 provisions removed")
    expect(summary).to_contain_text("1 provisions reworded")
    expect(page.locator("li.change.added")).to_contain_text(
        ["Never generate child sexual abuse material of any kind.", "Do not impersonate others."]
    )
    expect(page.locator("li.change.removed")).to_contain_text(
        "Do not generate child sexual abuse material."
    )
    reworded = page.locator("li.change.reworded")
    expect(reworded.locator("blockquote ins")).to_have_text("or bully")
    expect(reworded.locator("blockquote")).to_have_text("Do not harass or bully people.")
    shoot("diff")
