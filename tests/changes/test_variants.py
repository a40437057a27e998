"""Differences between two variants of one document (issue 19): clauses paired as between
versions, each difference graded by the change rules; on a page and in the API."""

import csv
import io

import pytest

from changes.variants import compare_variants
from provisions.ingest import import_sources
from provisions.models import Document, Version
from tests.factories import ota_collection

GLOBAL = (
    "# Terms\n\n"
    "- You may use the service for personal and commercial projects.\n"
    "- You must resolve any dispute with us through binding arbitration in California.\n"
    "- You must not use the service to harass other people.\n"
)
EU = (
    "# Terms\n\n"
    "- You may use the service for personal and commercial projects.\n"
    "- You may withdraw from this contract within 14 days without giving any reason.\n"
    "- You must not use the service to harass or threaten other people.\n"
)
WITHDRAW = "You may withdraw from this contract within 14 days"
ARBITRATION = "binding arbitration in California"


@pytest.fixture
def document(tmp_path, db):
    contrib = ota_collection(
        tmp_path / "contrib", "GenAI Contrib", [("2025-01-01T10:00:00Z", GLOBAL)]
    )
    eu = ota_collection(tmp_path / "genai-eu-versions", "genai-eu", [("2025-02-01T10:00:00Z", EU)])
    report = import_sources([contrib, eu])
    assert not report.errors
    return Document.objects.get(platform__slug="acme-chat", slug="terms-of-service")


def page_url(document) -> str:
    return f"/changes/platforms/{document.platform.slug}/{document.slug}/variants/"


def test_each_difference_is_paired_and_graded_and_the_same_wording_is_counted(document):
    default, eu = document.variants.order_by("id")
    diff = compare_variants(default, eu)
    assert diff.same == 1  # "You may use the service …", in both word for word
    by_kind = {d.kind: d for d in diff.differences}
    assert sorted(d.kind for d in diff.differences) == ["only_a", "only_b", "reworded"]
    withdraw, arbitration = by_kind["only_b"], by_kind["only_a"]
    assert WITHDRAW in withdraw.b.text and withdraw.a is None
    assert (withdraw.significance, withdraw.verdict.direction) == (
        "substantive",
        "less_restrictive",  # the EU text adds a user right
    )
    assert ARBITRATION in arbitration.a.text and arbitration.significance == "substantive"
    reworded = by_kind["reworded"]
    assert "harass other people" in reworded.a.text and "threaten" in reworded.b.text
    assert ("insert", "or threaten ") in [(p.op, p.text) for p in reworded.pieces]
    # Each side points at its own variant's provision, cut from its own latest version.
    assert reworded.a.provision_id != reworded.b.provision_id
    for clause, variant in ((reworded.a, default), (reworded.b, eu)):
        version = variant.latest_version
        assert version.spans.filter(provision_id=clause.provision_id).exists()
    # Swapped, the same differences on the other sides.
    swapped = compare_variants(eu, default)
    assert WITHDRAW in next(d for d in swapped.differences if d.kind == "only_a").a.text
    assert swapped.same == 1


def test_the_variants_page_shows_the_differences_in_the_words_of_two_texts(client, document):
    page = client.get(page_url(document)).content.decode()
    assert "The unspecified region text and the EU, en text" in page
    assert "<strong>1</strong> provisions only in the unspecified region text" in page
    assert "<strong>1</strong> provisions only in the EU, en text" in page
    assert "<strong>1</strong> provisions with the same wording in both" in page
    assert "<strong>3</strong> of the 3 differences are substantive" in page
    assert "A clause stating a rule that only the EU, en text has" in page
    assert "Less restrictive for users in the EU, en text than in the unspecified region" in page
    assert WITHDRAW in page and ARBITRATION in page and "<ins>or threaten </ins>" in page
    for variant in document.variants.all():
        assert variant.latest_version.public_id in page
    # The document page links to it.
    detail = client.get(document.get_absolute_url()).content.decode()
    assert f"{page_url(document)}?a=default&amp;b=eu-en" in detail


def test_the_variants_page_refuses_unknown_and_identical_variants(client, document):
    assert client.get(page_url(document), {"a": "eu-en", "b": "eu-en"}).status_code == 400
    assert client.get(page_url(document), {"a": "us-en"}).status_code == 404
    assert client.get(page_url(document), {"b": "eu\x00"}).status_code == 400
    swapped = client.get(page_url(document), {"a": "eu-en", "b": "default"}).content.decode()
    assert "<strong>1</strong> provisions only in the EU, en text" in swapped


@pytest.mark.django_db
def test_a_document_with_one_variant_has_no_variants_page(client, tmp_path):
    contrib = ota_collection(
        tmp_path / "contrib", "GenAI Contrib", [("2025-01-01T10:00:00Z", GLOBAL)]
    )
    import_sources([contrib])
    document = Document.objects.get(platform__slug="acme-chat", slug="terms-of-service")
    assert client.get(page_url(document)).status_code == 404


def test_the_api_gives_the_same_differences_and_refuses_bad_parameters(client, document):
    url = "/api/v1/variant-differences/"
    response = client.get(url, {"document": document.record_id})
    assert response.status_code == 200
    body = response.json()
    assert body["counts"] == {
        "only_a": 1,
        "only_b": 1,
        "reworded": 1,
        "same": 1,
        "substantive": 3,
    }
    assert (body["a"]["slug"], body["b"]["slug"]) == ("default", "eu-en")
    assert body["b"]["version"] == document.variants.get(key="eu-en").latest_version.public_id
    withdraw = next(d for d in body["differences"] if d["kind"] == "only_b")
    assert WITHDRAW in withdraw["b"]["text"] and withdraw["a"] is None
    assert withdraw["direction"] == "less_restrictive"
    assert withdraw["explanation"] == "A clause stating a rule that only the EU, en text has"
    substantive = client.get(url, {"document": document.record_id, "significance": "substantive"})
    assert len(substantive.json()["differences"]) == 3
    for query, status in [
        ({}, 400),
        ({"document": "D-999999"}, 404),
        ({"document": "nonsense"}, 404),
        ({"document": document.record_id, "a": "us-en"}, 400),
        ({"document": document.record_id, "a": "eu-en", "b": "eu-en"}, 400),
        ({"document": document.record_id, "significance": "some"}, 400),
        ({"document": document.record_id + "\x00"}, 400),
    ]:
        response = client.get(url, query)
        assert response.status_code == status, query
        assert response["Content-Type"].startswith("application/json")


def test_the_version_diff_never_mixes_two_variants(client, document):
    default, eu = (v.latest_version for v in document.variants.order_by("id"))
    url = f"/platforms/{document.platform.slug}/{document.slug}/diff/"
    assert client.get(url, {"from": default.public_id, "to": eu.public_id}).status_code == 404
    assert Version.objects.filter(document=document).count() == 2


@pytest.mark.django_db
def test_variants_are_compared_at_their_latest_or_as_they_stood_on_a_day(client, tmp_path):
    contrib = ota_collection(
        tmp_path / "contrib",
        "GenAI Contrib",
        [("2025-01-01T10:00:00Z", GLOBAL), ("2025-03-01T10:00:00Z", EU)],
    )
    eu = ota_collection(
        tmp_path / "genai-eu-versions",
        "genai-eu",
        [("2025-02-01T10:00:00Z", EU), ("2025-05-01T10:00:00Z", GLOBAL)],
    )
    import_sources([contrib, eu])
    document = Document.objects.get(platform__slug="acme-chat", slug="terms-of-service")
    default, eu_variant = document.variants.order_by("id")
    # By default each one's latest: the texts had swapped by then.
    latest = compare_variants(default, eu_variant)
    assert (latest.a.captured_at.month, latest.b.captured_at.month) == (3, 5)
    assert latest.same == 1
    assert WITHDRAW in next(d for d in latest.differences if d.kind == "only_a").a.text
    page = client.get(page_url(document)).content.decode()
    assert "Each variant's latest text" in page
    assert "A clause stating a rule that only the unspecified region text has" in page
    # On 2025-03-01 both read the EU text, the EU variant as captured on 2025-02-01.
    on_day = client.get(page_url(document), {"at": "2025-03-01"}).content.decode()
    assert "Both texts as they stood on 2025-03-01" in on_day
    assert "captured 2025-02-01 10:00 UTC" in on_day
    assert "The two texts have the same provisions, word for word." in on_day
    assert "The EU, en text changed since" in on_day
    assert client.get(page_url(document), {"at": "2024-12-31"}).status_code == 404
    assert client.get(page_url(document), {"at": "2025-13-01"}).status_code == 400
    api = client.get(
        "/api/v1/variant-differences/", {"document": document.record_id, "at": "2025-03-01"}
    ).json()
    assert api["at"].startswith("2025-03-01T23:59:59")
    assert api["b"]["captured_at"].startswith("2025-02-01")
    assert api["counts"]["same"] == 3 and api["differences"] == []
    bad = client.get("/api/v1/variant-differences/", {"document": document.record_id, "at": "x"})
    assert bad.status_code == 400 and "at" in bad.json()["parameters"]


def test_the_compare_page_says_which_documents_have_several_texts(client, document, tmp_path):
    from provisions.ingest import import_sources as load
    from tests.factories import write_platforms

    policies = {"beta": "# Policy\n\n- Be kind.\n", "gamma": "# Policy\n\n- Be fair.\n"}
    load([str(write_platforms(tmp_path / "more", policies))])
    page = client.get("/compare/", {"platforms": "acme-chat,beta"}).content.decode()
    assert "1 document of these platforms has several texts (regional variants)" in page
    assert page_url(document) in page
    assert "How the texts of Acme Chat, Terms of Service differ" in page
    plain = client.get("/compare/", {"platforms": "beta,gamma"}).content.decode()
    assert "several texts" not in plain


@pytest.mark.django_db
def test_wordings_too_long_to_diff_during_a_request_are_shown_side_by_side(client, tmp_path):
    from changes import variants

    long = "You must not use the service to harass people in any way. " * 150  # 8,850 chars
    texts = {
        "global": f"# Terms\n\n- {long}end.\n",
        "eu": f"# Terms\n\n- {long}or threaten them.\n",
    }
    contrib = ota_collection(
        tmp_path / "contrib", "GenAI Contrib", [("2025-01-01T10:00:00Z", texts["global"])]
    )
    eu = ota_collection(
        tmp_path / "genai-eu-versions", "genai-eu", [("2025-02-01T10:00:00Z", texts["eu"])]
    )
    import_sources([contrib, eu])
    document = Document.objects.get(platform__slug="acme-chat", slug="terms-of-service")
    default, eu_variant = document.variants.order_by("id")
    [reworded] = compare_variants(default, eu_variant).differences
    assert reworded.kind == "reworded" and reworded.pieces is None
    assert "word_diff" not in reworded.verdict.evidence  # graded without the costly diff
    assert len(reworded.a.text) + len(reworded.b.text) > variants.DIFF_CHARACTERS
    page = client.get(page_url(document)).content.decode()
    assert "Too long to mark word by word here" in page
    assert page.count("harass people in any way") == 2 * 150


@pytest.fixture
def typed(document):
    """The two texts' clauses given clause types by their words: arbitration is only in the
    global text, withdrawal only in the EU one, harassment in both (reworded)."""
    from provisions.models import Provision
    from tests.factories import assign, make_clause_type

    types = {
        "arbitration": make_clause_type("arbitration", name="Arbitration"),
        "withdrawal": make_clause_type("withdrawal", name="Right of withdrawal"),
        "harassment": make_clause_type("harassment", name="Harassment ban"),
    }
    for provision in Provision.objects.filter(document=document):
        for slug, word in [("arbitration", "arbitration"), ("withdrawal", "withdraw")]:
            if word in provision.text:
                assign(provision, types[slug])
        if "harass" in provision.text:
            assign(provision, types["harassment"])
    return types


def test_compare_reads_a_platform_in_its_main_or_its_eu_text_side_by_side(client, typed):
    from comparisons.compare import compare_table

    table = compare_table(platforms=["acme-chat", "acme-chat:eu-en", "acme-chat:us-en"])
    assert [c.name for c in table.platforms] == ["Acme Chat", "Acme Chat (EU, en text)"]
    assert [c.token for c in table.platforms] == ["acme-chat", "acme-chat:eu-en"]
    assert table.unknown == ["acme-chat:us-en"]  # no document of it has a US text
    assert (table.platforms[1].own, table.platforms[1].fallback) == (1, 0)
    rows = {row.clause_type.slug: row for row in table.rows}
    main, eu = rows["arbitration"].cells
    assert ARBITRATION in main.provisions[0].text and eu is None
    main, eu = rows["withdrawal"].cells
    assert main is None and WITHDRAW in eu.provisions[0].text
    main, eu = rows["harassment"].cells
    # each text counted once: the EU column quotes the EU wording, never both
    assert (main.total, eu.total) == (1, 1)
    assert "harass other" in main.provisions[0].text
    assert "harass or threaten" in eu.provisions[0].text
    assert (main.choice, eu.choice) == ("main", "eu-en")


def test_the_compare_page_names_each_columns_text_and_dates_it_by_that_text(client, typed):
    page = client.get("/compare/", {"platforms": "acme-chat,acme-chat:eu-en"}).content.decode()
    assert "Acme Chat (EU, en text)" in page
    assert "1 document in EU, en text" in page
    assert "in force as of its last capture, 2025-02-01" in page  # the EU text's capture
    assert "in force as of its last capture, 2025-01-01" in page  # the global text's
    assert 'value="acme-chat:eu-en" checked' in page  # the picker offers the EU text
    csv_rows = client.get("/compare/csv/", {"platforms": "acme-chat,acme-chat:eu-en"})
    rows = list(csv.DictReader(io.StringIO(csv_rows.content.decode())))
    withdrawal = next(r for r in rows if r["clause_type"] == "withdrawal" and r["version_id"])
    assert (withdrawal["platform"], withdrawal["platform_name"]) == (
        "acme-chat:eu-en",
        "Acme Chat (EU, en text)",
    )
    eu_version = typed["withdrawal"].assignments.get().provision.last_version.public_id
    assert "~eu-en@" in eu_version and withdrawal["version_id"] == eu_version
    refused = client.get("/compare/", {"platforms": "acme-chat:us-en,acme-chat:<b>"})
    assert refused.status_code == 400 and "<b>" not in refused.content.decode()


def test_a_list_reads_the_texts_its_count_read(client, typed):
    base = "/search/?platform=acme-chat&clause_type=harassment&status=in_force"
    every = client.get(base).content.decode()
    assert every.count('<li class="result">') == 2
    for choice, wording in [("main", "harass other"), ("eu-en", "harass or threaten")]:
        page = client.get(f"{base}&variant={choice}").content.decode()
        assert page.count('<li class="result">') == 1 and wording in page
    assert client.get(f"{base}&variant=%3Cx%3E").content.decode().count('class="result"') == 2
    api = "/api/v1/provisions/"
    body = client.get(api, {"clause_type": "harassment", "variant": "eu-en"}).json()
    assert [p["text"] for p in body["results"]] == [
        "You must not use the service to harass or threaten other people."
    ]
    bad = client.get(api, {"variant": "eu en"})
    assert bad.status_code == 400 and "variant" in bad.json()["parameters"]
    compare = client.get("/api/v1/compare/", {"platforms": "acme-chat,acme-chat:eu-en"}).json()
    assert compare["platforms"] == ["acme-chat", "acme-chat:eu-en"]
    assert compare["columns"][1]["name"] == "Acme Chat (EU, en text)"
    refused = client.get("/api/v1/compare/", {"platforms": "acme-chat,acme-chat:eu en"})
    assert refused.status_code == 400 and "platforms" in refused.json()["parameters"]
