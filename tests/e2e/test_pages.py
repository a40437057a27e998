"""Pages a reader can trust at a glance, in a real browser at desktop and phone widths: nothing
wider than the screen, every count opens a list of that length, no contrast or link-name
violations (axe-core), Markdown in quotes rendered safely beside the exact characters."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from provisions.ingest import import_sources
from provisions.models import Document, Provision, Version
from provisions.sources import VariantDeclaration
from regulations.catalog import load_catalog
from regulations.models import Regulation
from tests.factories import Doc, assign_by_words, link, write_corpus
from tracking.models import Collection, Declaration

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
MARKDOWN_CLAUSE = (
    "**50.11.** Do not generate child sexual abuse material; see the "
    "[Acceptable Use Policy](https://alpha.example/aup), [this](javascript:alert(1)) and "
    "<b>not bold</b>."
)
A_LONG_HASH_LIKE_WORD = "x" * 90
WORLD = {
    Doc("alpha", "Alpha", "usage-policy", "Usage Policy", "https://alpha.example/policy"): {
        "2025-01-01": "# Rules\n\n## Safety\n\n- Do not generate child sexual abuse material.\n"
        "- Do not harass people.\n",
        "2025-03-01": "# Rules\n\n## Safety\n\n- Never create sexual content involving minors.\n"
        f"- {MARKDOWN_CLAUSE}\n- Do not harass or bully people.\n\n## Legal\n\n"
        "- These terms are governed by the laws of the State of California.\n",
    },
    # an old document no declaration fetches any more, with no source URL recorded
    Doc("alpha", "Alpha", "terms-of-use", "Terms of Use", None): {
        "2023-02-10": "# Terms\n\n- Users must be 18 or older to use the services.\n"
        f"- Reference {A_LONG_HASH_LIKE_WORD} is our registration number.\n"
    },
    Doc("beta", "Beta", "policy", "Usage Policy", "https://beta.example/policy"): {
        "2025-01-01": "# Policy\n\n- Never create sexual content involving minors.\n"
        "- The laws of California govern these terms and any dispute.\n"
        "- Users must be 18 or older.\n"
    },
    Doc("gamma", "Gamma", "policy", "Terms", "https://gamma.example/terms"): {
        "2025-01-01": "# Terms\n\n- You must be at least 18 years old to use the services.\n"
        "- Disputes are resolved under the laws of Ireland.\n"
    },
}


@pytest.fixture
def world(tmp_path):
    import_sources([str(write_corpus(tmp_path, WORLD))])
    types = assign_by_words()
    load_catalog()
    link(types["csam"], Regulation.objects.order_by("slug").first(), rationale="Child safety.")
    for document in Document.objects.exclude(slug="terms-of-use"):
        Declaration.objects.create(
            service=document.platform.name,
            terms_type=document.name,
            collection=Collection.values[0],
            document=document,
            rules={"fetch": f"https://{document.platform.slug}.example/"},
            file=f"{document.platform.name}.json",
        )
    return types


def page_kinds(live_server) -> dict[str, str]:
    usage = Document.objects.get(platform__slug="alpha", slug="usage-policy")
    markdown = Provision.objects.get(text=MARKDOWN_CLAUSE, variant__key="")
    latest = Version.objects.filter(document=usage).order_by("-ordinal").first()
    regulation = Regulation.objects.filter(clause_type_links__isnull=False).first()
    paths = {
        "home": "/",
        "platforms": "/platforms/",
        "platform": "/platforms/alpha/",
        "document": usage.get_absolute_url(),
        "version": latest.get_absolute_url(),
        "diff": f"{usage.get_absolute_url()}diff/",
        "provision": markdown.get_absolute_url(),
        "clause-types": "/clause-types/",
        "clause-type": "/clause-types/csam/",
        "compare": "/compare/?platforms=alpha,beta,gamma",
        "search": "/search/?q=sexual",
        "search-list": "/search/?clause_type=csam&status=in_force",
        "regulations": "/regulations/",
        "regulation": regulation.get_absolute_url(),
        "not-found": "/platforms/no-such-platform/",
    }
    if usage.variants.count() > 1:
        paths["variants"] = f"/changes/platforms/alpha/{usage.slug}/variants/"
        paths["compare-texts"] = "/compare/?platforms=alpha,alpha:eu-en,beta"
    return {name: f"{live_server.url}{path}" for name, path in paths.items()}


def add_eu_variant(folder: Path) -> None:
    """Alpha's usage policy as the EU text too, differing in one rule and one wording."""
    text = (
        "# Rules\n\n## Safety\n\n- Never create sexual content involving minors.\n"
        f"- {MARKDOWN_CLAUSE}\n- Do not harass, bully or threaten people.\n\n## Legal\n\n"
        "- You may withdraw from a paid plan within 14 days of buying it, for a full refund.\n"
    )
    doc = Doc("alpha", "Alpha", "usage-policy", "Usage Policy", "https://alpha.example/policy")
    corpus = write_corpus(folder, {doc: {"2025-04-01": text}})
    report = import_sources([str(corpus)], variant=VariantDeclaration("EU", "en", "alpha-eu"))
    assert not report.errors


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_every_page_kind_fits_a_phone_and_passes_axe(
    live_server, page, shoot, world, tmp_path_factory
):
    add_eu_variant(tmp_path_factory.mktemp("eu"))
    axe = AXE.read_text(encoding="utf-8")
    problems = []
    for name, url in page_kinds(live_server).items():
        for viewport in (DESKTOP, PHONE):
            page.set_viewport_size(viewport)
            response = page.goto(url)
            assert response.status == (404 if name == "not-found" else 200), name
            wider = overflow(page)
            if wider > 0:
                problems.append(f"{name} at {viewport['width']} px: {wider} px too wide")
            if viewport is PHONE:  # what a phone shows first: the top of the page
                SCREENSHOTS.mkdir(exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / f"page-{name}-phone.png"))
            else:
                shoot(f"page-{name}")
        page.set_viewport_size(DESKTOP)
        # axe is evaluated through the DevTools protocol, not injected as a <script>: the
        # pages' Content-Security-Policy forbids inline scripts, and must stay so.
        page.evaluate(axe)
        # every <details> open, so the text in them is checked too
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        found = page.evaluate(
            "axe.run(document, {runOnly: ['color-contrast', 'link-name', 'image-alt', "
            "'svg-img-alt', 'label', 'list', 'listitem']}).then(r => r.violations.map("
            "v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 5).join(' | ')))"
        )
        problems += [f"{name}: {violation}" for violation in found]
    assert problems == []


def test_every_count_link_opens_a_list_of_that_length(live_server, page, world):
    kinds = page_kinds(live_server)
    checked = 0
    for name in ("home", "platform", "compare", "clause-type"):
        for viewport in (DESKTOP, PHONE):
            page.set_viewport_size(viewport)
            page.goto(kinds[name])
            links = page.locator("a.count-link[data-count]")
            targets = [
                (links.nth(i).get_attribute("data-count"), links.nth(i).get_attribute("href"))
                for i in range(links.count())
            ]
            assert targets, f"{name} has no count link"
            for count, href in targets:
                page.goto(f"{live_server.url}{href}" if href.startswith("/") else href)
                if "/platforms/" in href:
                    listed = page.locator("ul.cards > li")
                else:
                    expect(page.locator(".result-count strong")).to_have_text(count)
                    listed = page.locator("li.result")
                assert listed.count() == int(count), (name, href)
                checked += 1
    assert checked >= 8


def test_quotes_render_markdown_safely_beside_the_exact_characters(live_server, page, world):
    markdown = Provision.objects.get(text=MARKDOWN_CLAUSE, variant__key="")
    page.goto(f"{live_server.url}{markdown.get_absolute_url()}")
    clause = page.locator("#clause-text")
    expect(clause.locator("strong")).to_have_text("50.11.")
    expect(clause.locator("a")).to_have_count(1)  # the javascript: link stays text
    expect(clause.locator("a")).to_have_attribute("href", "https://alpha.example/aup")
    expect(clause).to_contain_text("[this](javascript:alert(1))")
    expect(clause).to_contain_text("<b>not bold</b>")  # raw HTML shown, never run
    assert clause.locator("b").count() == 0
    exact = page.locator(".clause-card details.exact")
    expect(exact.locator("pre")).not_to_be_visible()
    exact.locator("summary").click()
    assert exact.locator("pre").text_content() == MARKDOWN_CLAUSE
    # "in force" only as of the last capture, with its date
    expect(page.locator(".badge-live")).to_have_text("In force as of 2025-03-01")
    # the old Terms of Use: no longer tracked, no source URL pretended
    old = Document.objects.get(platform__slug="alpha", slug="terms-of-use")
    page.goto(f"{live_server.url}{old.get_absolute_url()}")
    expect(page.locator(".page-head")).to_contain_text("not tracked now")
    expect(page.locator(".page-head")).to_contain_text("no source URL was recorded")
    expect(page.locator("figure.picture svg[role=img]")).to_have_count(1)
    # a compare cell prefers the current document and says as of when
    page.goto(f"{live_server.url}/compare/?platforms=alpha,beta")
    cell = page.locator('tr[data-clause-type="minimum-age"] td').first
    expect(cell).to_contain_text("Terms of Use")  # alpha's only minimum-age clause
    expect(cell.locator(".badge-stale")).to_have_count(1)
    expect(page.locator('tr[data-clause-type="csam"] td').first).to_contain_text(
        re.compile(r"in force as of its last capture, 2025-03-01")
    )
