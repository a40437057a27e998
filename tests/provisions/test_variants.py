"""Variants: two collections holding the same service and terms type are two timelines of one
document, never one alternating history; sources declare their variant; the migration keeps
record IDs."""

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from provisions.ingest import import_sources
from provisions.models import Document, Provision, Variant, Version
from provisions.sources import VariantDeclaration
from tests.factories import ota_collection, write_acme

GLOBAL = "# Terms\n\n- You may use the service.\n- Disputes go to arbitration in California.\n"
EU = "# Terms\n\n- You may use the service.\n- You may withdraw within 14 days.\n"


def alternations(document: Document) -> int:
    """Consecutive versions of one variant's timeline coming from different collections."""
    count = 0
    for variant in document.variants.all():
        repos = [
            v.captures.order_by("captured_at").first().repository
            for v in variant.versions.order_by("captured_at", "id")
        ]
        count += sum(a != b for a, b in zip(repos, repos[1:], strict=False))
    return count


def two_collections(tmp_path):
    contrib = ota_collection(
        tmp_path / "contrib",
        "GenAI Contrib",
        [("2025-01-01T10:00:00+00:00", GLOBAL), ("2025-03-01T10:00:00+00:00", GLOBAL + "- A.\n")],
    )
    eu = ota_collection(
        tmp_path / "genai-eu-versions",
        "genai-eu",
        [("2025-02-01T10:00:00+00:00", EU), ("2025-04-01T10:00:00+00:00", GLOBAL)],
    )
    return contrib, eu


@pytest.mark.django_db
def test_two_collections_are_two_variants_of_one_document_never_one_history(tmp_path):
    contrib, eu = two_collections(tmp_path)
    import_sources([contrib])
    report = import_sources([eu])
    assert not report.errors
    document = Document.objects.get(platform__slug="acme-chat", slug="terms-of-service")
    variants = {v.key: v for v in document.variants.all()}
    assert set(variants) == {"", "eu-en"}
    assert (variants["eu-en"].region, variants["eu-en"].language) == ("EU", "en")
    assert variants["eu-en"].collection == "genai-eu"
    assert alternations(document) == 0
    # The EU timeline holds both its texts, the second identical to a global one: two versions
    # with the same tag, told apart by the variant in their public IDs.
    eu_versions = list(variants["eu-en"].versions.order_by("ordinal"))
    assert [v.ordinal for v in eu_versions] == [1, 2]
    same = Version.objects.filter(document=document, sha256=eu_versions[1].sha256)
    assert same.count() == 2
    ids = {v.public_id for v in same}
    assert any("~eu-en@" in i for i in ids) and any("~" not in i for i in ids)
    for public_id in ids:
        assert Version.objects.public(public_id).count() == 1
    # Provisions follow their own variant: none spans two variants.
    for provision in Provision.objects.filter(document=document):
        assert {s.version.variant_id for s in provision.spans.all()} == {provision.variant_id}
    # The document's latest version is its primary (first) variant's.
    assert document.latest_version_id == variants[""].latest_version_id
    assert variants["eu-en"].latest_version_id == eu_versions[1].pk


@pytest.mark.django_db
def test_reimporting_both_collections_changes_nothing(tmp_path):
    contrib, eu = two_collections(tmp_path)
    import_sources([contrib, eu])
    before = sorted(Version.objects.values_list("pk", "variant_id", "ordinal", "sha256"))
    provisions = sorted(Provision.objects.values_list("pk", "variant_id", "removed_in_id"))
    again = import_sources([contrib, eu])
    assert again.nothing_new
    assert sorted(Version.objects.values_list("pk", "variant_id", "ordinal", "sha256")) == before
    assert sorted(Provision.objects.values_list("pk", "variant_id", "removed_in_id")) == provisions


@pytest.mark.django_db
def test_a_declared_variant_overrides_the_repository(tmp_path):
    contrib, _ = two_collections(tmp_path)
    import_sources([contrib], variant=VariantDeclaration("US", "en", "acme-us"))
    variant = Variant.objects.get(document__platform__slug="acme-chat")
    assert (variant.key, variant.region, variant.language, variant.collection) == (
        "us-en",
        "US",
        "en",
        "acme-us",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "options",
    [
        ["--variant", "E U"],
        ["--variant", "EU:english!"],
        ["--variant", "-u:x"],
        ["--collection", "a\nb"],
    ],
)
def test_hostile_variant_options_are_refused_with_one_line(tmp_path, options):
    contrib, _ = two_collections(tmp_path)
    with pytest.raises(CommandError) as error:
        call_command("import_sources", contrib, *options)
    assert "\n" not in str(error.value)
    assert not Version.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_every_document_one_variant_and_keeps_record_ids(tmp_path):
    executor = MigrationExecutor(connection)
    executor.migrate([("provisions", "0010_span_parent_position")])
    old = executor.loader.project_state([("provisions", "0010_span_parent_position")]).apps
    platform = old.get_model("provisions", "Platform").objects.create(slug="acme", name="Acme")
    document = old.get_model("provisions", "Document").objects.create(
        platform=platform, slug="terms", name="Terms"
    )
    version = old.get_model("provisions", "Version").objects.create(
        document=document,
        text=GLOBAL,
        sha256="ab" * 32,
        byte_size=len(GLOBAL),
        captured_at="2025-01-01T00:00:00Z",
        origin="corpus",
        origin_ref="terms.md",
        change_kind="first",
    )
    provision = old.get_model("provisions", "Provision").objects.create(
        document=document,
        text="You may use the service.",
        text_hash="cd" * 32,
        kind="clause",
        first_version=version,
        last_version=version,
    )
    old.get_model("provisions", "Document").objects.filter(pk=document.pk).update(
        latest_version=version
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    migrated = Version.objects.get(pk=version.pk)
    assert migrated.public_id == f"D-{document.pk:06d}@{'ab' * 6}"
    variant = Variant.objects.get(document_id=document.pk)
    assert (variant.key, variant.region, variant.language) == ("", "unspecified", "")
    assert migrated.variant_id == variant.pk and variant.latest_version_id == version.pk
    assert Provision.objects.get(pk=provision.pk).variant_id == variant.pk
    assert Provision.objects.get(pk=provision.pk).record_id == f"P-{provision.pk:06d}"


@pytest.mark.django_db
def test_the_document_page_lists_its_variants_with_their_last_capture(client, tmp_path):
    contrib, eu = two_collections(tmp_path)
    import_sources([contrib, eu])
    document = Document.objects.get(platform__slug="acme-chat", slug="terms-of-service")
    page = client.get(document.get_absolute_url()).content.decode()
    assert "Variants (2 texts of this document, each with its own history)" in page
    assert "EU, en · collection genai-eu" in page
    assert "last captured 2025-04-01" in page and "last captured 2025-03-01" in page
    eu_latest = document.variants.get(key="eu-en").latest_version
    assert eu_latest.public_id in page and "~eu-en@" in eu_latest.public_id
    # The timeline shown is the primary variant's: two texts, not four.
    assert "Versions (2 distinct texts of the variant shown, unspecified region)" in page


@pytest.mark.django_db
def test_a_provision_page_names_its_declared_variant(client, tmp_path):
    contrib, eu = two_collections(tmp_path)
    import_sources([contrib, eu])
    withdrawal = Provision.objects.get(text__contains="withdraw within 14 days")
    assert withdrawal.variant.key == "eu-en"
    page = client.get(withdrawal.get_absolute_url()).content.decode()
    assert "· EU, en variant" in page
    assert "the latest unspecified region text does not have this wording" in page
    # The same words in both texts are two records, each page naming the other.
    use = {
        p.variant.key: p for p in Provision.objects.filter(text__contains="You may use the service")
    }
    page = client.get(use[""].get_absolute_url()).content.decode()
    assert "· unspecified region variant" in page
    assert "the latest EU, en text has this wording word for word: " in page
    assert use["eu-en"].record_id in page


@pytest.mark.django_db
def test_citations_name_a_declared_variant(client, tmp_path):
    contrib, eu = two_collections(tmp_path)
    import_sources([contrib, eu])
    withdrawal = Provision.objects.get(text__contains="withdraw within 14 days")
    url = f"/api/v1/provisions/{withdrawal.record_id}/citation/"
    text = client.get(url, {"format": "text"}).content.decode()
    assert "Acme Chat, Terms of Service (EU, en text)" in text
    assert "~eu-en@" in text  # the version's public ID names it too
    assert (
        "Terms of Service (EU, en text)" in client.get(url, {"format": "bibtex"}).content.decode()
    )
    assert (
        client.get(url, {"format": "json"}).json()["document"] == "Terms of Service (EU, en text)"
    )
    version = withdrawal.variant.latest_version
    cited = client.get(f"/api/v1/versions/{version.public_id}/citation/", {"format": "text"})
    assert "Terms of Service (EU, en text), version of 2025-04-01" in cited.content.decode()
    # The undeclared variant's citations are as before: the document's name alone.
    arbitration = Provision.objects.get(text__contains="arbitration", variant__key="")
    plain = client.get(
        f"/api/v1/provisions/{arbitration.record_id}/citation/", {"format": "text"}
    ).content.decode()
    assert "Acme Chat, Terms of Service (Terms), provision" in plain and "en text" not in plain


def corpus_with_variants(folder: Path, variant: str) -> Path:
    """Acme's policy as a corpus: the 2025-01-01 text undeclared, the 2025-01-02 one declared
    ``variant`` in its manifest entry's ``text_variant``."""
    corpus = write_acme(folder, GLOBAL, EU)
    manifest = json.loads((corpus / "manifest.json").read_text())
    for entry in manifest:
        if entry["version_date"] == "2025-01-02":
            entry["text_variant"] = variant
    (corpus / "manifest.json").write_text(json.dumps(manifest))
    return corpus


@pytest.mark.django_db
def test_a_corpus_manifest_entry_declares_its_variant(tmp_path):
    report = import_sources([str(corpus_with_variants(tmp_path, "EU:en"))])
    assert not report.errors
    document = Document.objects.get(platform__slug="acme")
    variants = {v.key: v for v in document.variants.all()}
    assert set(variants) == {"", "eu-en"}
    assert (variants["eu-en"].region, variants["eu-en"].language) == ("EU", "en")
    # Two texts of two variants, not a change from one to the other.
    assert [v.variant.key for v in Version.objects.filter(document=document)] == ["", "eu-en"]
    assert variants[""].versions.count() == variants["eu-en"].versions.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("variant", ["E U", "EU:english!", "-u", "EU:en\nx", "x" * 41])
def test_a_hostile_manifest_variant_is_refused_and_nothing_is_imported(tmp_path, variant):
    report = import_sources([str(corpus_with_variants(tmp_path, variant))])
    [error] = report.errors.values()
    assert "entry 2" in error and "\n" not in error
    assert not Version.objects.exists()


@pytest.mark.django_db
def test_in_force_dates_come_from_the_provisions_own_variant(client, tmp_path):
    """The EU text, captured later (2025-04-01), never dates the global text (2025-03-01)."""
    contrib, eu = two_collections(tmp_path)
    import_sources([contrib, eu])
    document = Document.objects.get(platform__slug="acme-chat", slug="terms-of-service")
    assert "Last captured 2025-03-01" in client.get(document.get_absolute_url()).content.decode()
    use = {
        p.variant.key: p for p in Provision.objects.filter(text__contains="You may use the service")
    }
    assert "In force as of 2025-03-01" in client.get(use[""].get_absolute_url()).content.decode()
    eu_page = client.get(use["eu-en"].get_absolute_url()).content.decode()
    assert "In force as of 2025-04-01" in eu_page
