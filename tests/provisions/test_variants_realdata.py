"""The contrib bundle and the corpus, then OTA's EU collection: each document's texts from the
two collections are two variants, each with its own timeline, never one alternating history."""

from collections import defaultdict

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import F

from provisions.models import Capture, Provision, Span, Variant, Version
from tests.factories import analyze

CHECKED = [
    "Llama API/Privacy Policy",
    "ChatGPT/Commercial Terms",
    "ChatGPT/Business Privacy Policy",
    "Claude.ai/Privacy Policy",
]


@pytest.fixture(scope="module")
def eu_imported(real_data, django_db_blocker, ota_eu_bundle):
    """The EU bundle imported inside the real-data transaction, undone after this module."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("import_sources", str(ota_eu_bundle), verbosity=0)
        analyze()
        yield ota_eu_bundle
        transaction.set_rollback(True)


def alternations() -> dict[int, int]:
    """Document id -> times its captures switch OTA collection along one variant's timeline
    (corpus captures name no repository and are left out)."""
    timelines = defaultdict(list)
    for variant_id, document_id, repository in (
        Capture.objects.exclude(repository="")
        .order_by("captured_at", "id")
        .values_list("version__variant_id", "version__document_id", "repository")
    ):
        timelines[(variant_id, document_id)].append(repository)
    counts = defaultdict(int)
    for (_, document_id), repos in timelines.items():
        counts[document_id] += sum(a != b for a, b in zip(repos, repos[1:], strict=False))
    return counts


@pytest.mark.slow
def test_the_eu_collection_is_a_variant_never_an_alternating_history(eu_imported, db):
    counts = alternations()
    assert sum(counts.values()) == 0
    for path in CHECKED:
        documents = set(
            Capture.objects.filter(path=path).values_list("version__document_id", flat=True)
        )
        assert len(documents) == 1, path
        document_id = documents.pop()
        variants = Variant.objects.filter(document_id=document_id)
        assert {(v.key, v.region, v.language) for v in variants} == {
            ("", "unspecified", ""),
            ("eu-en", "EU", "en"),
        }, path
        eu = variants.get(key="eu-en")
        assert eu.collection == "genai-eu"
        assert set(
            Capture.objects.filter(version__variant=eu).values_list("repository", flat=True)
        ) == {"genai-eu-versions"}
        assert counts[document_id] == 0
    # Provisions never span two variants.
    assert not Span.objects.exclude(version__variant_id=F("provision__variant_id")).exists()


@pytest.mark.slow
def test_reimporting_the_eu_collection_changes_nothing(eu_imported, db):
    before = (
        sorted(Version.objects.values_list("pk", "variant_id", "ordinal")),
        sorted(Provision.objects.values_list("pk", "variant_id", "removed_in_id")),
        Capture.objects.count(),
        Variant.objects.count(),
    )
    call_command("import_sources", str(eu_imported), verbosity=0)
    after = (
        sorted(Version.objects.values_list("pk", "variant_id", "ordinal")),
        sorted(Provision.objects.values_list("pk", "variant_id", "removed_in_id")),
        Capture.objects.count(),
        Variant.objects.count(),
    )
    assert after == before
    eu = Variant.objects.filter(key="eu-en").values_list("document_id", flat=True)
    beside = Variant.objects.filter(document_id__in=eu, key="").count()
    print(f"EU variants: {len(eu)}, of which beside an undeclared variant: {beside}")


@pytest.mark.slow
def test_the_llama_api_terms_eu_and_global_differences_are_the_real_ones(eu_imported, db, client):
    """Checked by reading both stored texts (the global one captured 2026-08-10, the EU one
    2026-08-22): the EU text adds rules (xii) and (xiii) on circumventing rate limits and on
    excessive use; it spells "data center" where the global text spells "data centre"."""
    from changes.variants import compare_variants

    document = Capture.objects.filter(path="Llama API/Terms of Service").first().version.document
    default, eu = document.variants.order_by("id")
    diff = compare_variants(default, eu)
    assert diff.a.captured_at.date().isoformat() == "2026-08-10"
    assert diff.b.captured_at.date().isoformat() == "2026-08-22"
    assert diff.same >= 100  # most of the two texts is word for word the same
    only_eu = {d.b.text[:40]: d for d in diff.differences if d.kind == "only_b"}
    circumvent = only_eu["(xii) circumvent, violate, hack, disable"]
    assert circumvent.significance == "substantive"
    assert circumvent.verdict.direction == "more_restrictive"
    assert "(xiii) consume computational resources in a manner that is e" in {
        d.b.text[:60] for d in diff.differences if d.kind == "only_b"
    }
    spelling = next(
        d
        for d in diff.differences
        if d.kind == "reworded" and d.a.text.startswith("Camera surveillance systems")
    )
    assert spelling.a.text.endswith("data centre;") and spelling.b.text.endswith("data center;")
    assert spelling.significance == "wording"
    # Nothing paired as a difference is word for word the same.
    assert all(d.a is None or d.b is None or d.a.text != d.b.text for d in diff.differences)
    page = client.get(f"/changes/platforms/{document.platform.slug}/{document.slug}/variants/")
    assert page.status_code == 200
    assert "(xii) circumvent, violate, hack, disable" in page.content.decode()


@pytest.mark.slow
def test_compare_reads_the_llama_api_terms_in_the_global_and_the_eu_text(eu_imported, db, client):
    """One platform read in two columns: its main texts, and its EU texts where a document
    has one. The clauses read above are typed by hand (no classifier runs here): rule (xii)
    exists only in the EU text; the camera clause is in both, spelled two ways."""
    from comparisons.compare import compare_table
    from provisions.texts import read_in
    from tests.factories import assign, make_clause_type

    document = Capture.objects.filter(path="Llama API/Terms of Service").first().version.document
    platform = document.platform
    live = Provision.objects.live().filter(document=document)
    limits, cameras = make_clause_type("rate-limits"), make_clause_type("camera-rules")
    for provision in live:
        if provision.text.startswith("(xii) circumvent, violate, hack, disable"):
            assign(provision, limits)
        if provision.text.startswith("Camera surveillance systems"):
            assign(provision, cameras)
    table = compare_table(platforms=[platform.slug, f"{platform.slug}:eu-en"])
    assert [column.token for column in table.platforms] == [platform.slug, f"{platform.slug}:eu-en"]
    rows = {row.clause_type.slug: row for row in table.rows}
    main, eu = rows["rate-limits"].cells
    assert main is None and eu.total == 1
    main, eu = rows["camera-rules"].cells
    assert (main.total, eu.total) == (1, 1)
    assert main.provisions[0].text.endswith("data centre;")
    assert eu.provisions[0].text.endswith("data center;")

    # What each reading keeps, counted independently per document and variant.
    everything = Provision.objects.live().filter(document__platform=platform)
    counts = defaultdict(dict)
    for document_id, key in everything.values_list("document_id", "variant__key"):
        counts[document_id][key] = counts[document_id].get(key, 0) + 1
    main_key = {
        d.pk: d.latest_version.variant.key
        for d in platform.documents.select_related("latest_version__variant")
    }
    assert read_in(everything, "main").count() == sum(
        keys.get(main_key[d], 0) for d, keys in counts.items()
    )
    assert read_in(everything, "eu-en").count() == sum(
        keys["eu-en"] if "eu-en" in keys else keys.get(main_key[d], 0) for d, keys in counts.items()
    )
    assert read_in(everything, None).count() == sum(sum(k.values()) for k in counts.values())
    page = client.get("/compare/", {"platforms": f"{platform.slug},{platform.slug}:eu-en"})
    assert page.status_code == 200 and "(EU, en text)" in page.content.decode()
