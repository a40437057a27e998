"""The contrib bundle and the corpus, then OTA's EU collection: each document's texts from the
two collections are two variants, each with its own timeline, never one alternating history."""

from collections import defaultdict

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import F

from provisions.models import Capture, Provision, Span, Variant, Version

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
