"""The real corpus and Open Terms Archive bundle, imported once per session."""

import json
import shutil
import time
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from provisions.ingest import import_sources
from provisions.models import Capture, Document, Provision, Span, Version

pytestmark = [pytest.mark.realdata, pytest.mark.django_db]


def spans_of(version):
    return list(version.spans.order_by("position"))


def clause(span):
    return span.version.text[span.start : span.end]


@pytest.fixture
def stability(real_data):
    return Document.objects.get(platform__slug="stability-ai", slug="acceptable-use-policy")


def test_stability_policy_keeps_every_record_id_across_versions(stability):
    versions = list(stability.versions.order_by("ordinal"))
    assert len(versions) >= 5  # five corpus files, plus the bundle's own captures
    ids = [[s.provision_id for s in spans_of(v)] for v in versions]
    assert len(ids[0]) == 34
    assert all(row == ids[0] for row in ids)
    # Only the footer changed: no version after the first is a policy change.
    assert {v.change_kind for v in versions[1:]} <= {"boilerplate", "markup"}
    assert not Provision.objects.filter(document=stability, removed_in__isnull=False).exists()


def test_stability_csam_ncii_and_reporting_clauses_are_their_own_provisions(stability):
    latest = stability.latest_version
    texts = [clause(s) for s in latest.spans.select_related("version").order_by("position")]
    assert (
        "child sexual abuse material (CSAM), sexual exploitation, grooming, or trafficking of "
        "minors." in texts
    )
    assert "non-consensual intimate imagery (NCII)." in texts
    assert "We will report CSAM to the appropriate authorities." in texts
    for text in texts:
        for chrome in ("Mailing List", "Email\\*", "Please Select", "©", "Careers", "[Partners]"):
            assert chrome not in text


def test_corpus_and_bundle_copies_of_one_page_are_one_document_with_one_history(real_data):
    document = Document.objects.get(platform__slug="openai", slug="usage-policies")
    paths = set(Capture.objects.filter(version__document=document).values_list("path", flat=True))
    assert "OpenAI/Acceptable Use Policy" in paths and "DALL·E/Acceptable Use Policy" in paths
    assert any(p.startswith("openai/usage-policies/") for p in paths)
    corpus_file = "openai/usage-policies/2024-01-10.md"
    version = Capture.objects.get(path=corpus_file).version
    # The corpus file was copied from the OTA commit recorded at the same instant (its
    # retrieved_from): one text, one version, two captures.
    ota = Capture.objects.get(version=version, path="OpenAI/Acceptable Use Policy")
    assert ota.captured_at.isoformat() == "2024-01-10T18:30:37+00:00"
    assert version.captures.count() == 2
    assert not Document.objects.filter(
        platform__slug="openai", slug="acceptable-use-policy"
    ).exists()
    shas = list(document.versions.values_list("sha256", flat=True))
    assert len(shas) == len(set(shas))


def test_technical_reextractions_are_not_policy_changes(real_data):
    technical = Version.objects.filter(change_kind="technical")
    assert technical.exists()
    for version in technical[:50]:
        kinds = set(version.captures.values_list("kind", flat=True))
        assert kinds <= {"technical", "maintenance"}
    upgrades = Capture.objects.filter(subject__startswith="Apply technical or declaration upgrade")
    assert upgrades.count() > 50 and set(upgrades.values_list("kind", flat=True)) == {"technical"}


def test_every_span_is_inside_its_version_and_every_version_verifies(real_data):
    assert Span.objects.count() > 100_000
    for version in Version.objects.order_by("?")[:200]:
        assert version.verify()
        for span in version.spans.all():
            assert 0 <= span.start < span.end <= len(version.text)


def test_a_second_import_finds_nothing_new_and_is_fast(real_data):
    before = (Capture.objects.count(), Version.objects.count(), Provision.objects.count())
    started = time.perf_counter()
    report = import_sources([str(real_data["corpus"]), str(real_data["bundle"])])
    elapsed = time.perf_counter() - started
    assert report.nothing_new and not report.errors
    assert before == (Capture.objects.count(), Version.objects.count(), Provision.objects.count())
    print(f"second import: {elapsed:.2f} s")


def test_the_command_says_nothing_is_new(real_data, capsys):
    call_command("import_sources", str(real_data["corpus"]))
    assert "Nothing new" in capsys.readouterr().out


def test_stored_versions_are_immutable(real_data):
    version = Version.objects.first()
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        Version.objects.filter(pk=version.pk).update(text=version.text + " tampered")
    version.refresh_from_db()
    assert version.verify()


def provision_changes(old: Version, new: Version) -> dict[str, int]:
    before = dict(old.spans.values_list("provision_id", "revision_id"))
    after = dict(new.spans.values_list("provision_id", "revision_id"))
    shared = before.keys() & after.keys()
    return {
        "unchanged": sum(1 for p in shared if before[p] == after[p]),
        "revised": sum(1 for p in shared if before[p] != after[p]),
        "added": len(after.keys() - before.keys()),
        "removed": len(before.keys() - after.keys()),
    }


def corpus_version(name: str) -> Version:
    return Capture.objects.get(path=f"openai/usage-policies/{name}.md").version


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # Counted by reading the two files (see tests/data/openai_usage_policies_changes.md):
        # the January 2025 update split "Comply with applicable laws" into a lead-in and eleven
        # bullets, added a changelog line, and changed punctuation in nine clauses.
        ("2024-12-24", "2025-01-30", {"unchanged": 56, "revised": 9, "added": 13, "removed": 1}),
        # Only page furniture changed between these two.
        ("2025-01-30", "2025-04-03", {"unchanged": 78, "revised": 0, "added": 0, "removed": 0}),
    ],
)
def test_openai_usage_policy_changes_match_a_reading_of_the_files(real_data, old, new, expected):
    assert provision_changes(corpus_version(old), corpus_version(new)) == expected


def test_openai_provisions_carried_over_unchanged_keep_their_ids(real_data):
    document = Document.objects.get(platform__slug="openai", slug="usage-policies")
    versions = list(document.versions.order_by("ordinal"))
    assert len(versions) >= 19

    def ids_by_wording(version):
        found = defaultdict(set)
        for span in version.spans.select_related("revision"):
            found[span.revision.text_hash].add(span.provision_id)
        return found

    carried = 0
    for old, new in zip(versions, versions[1:], strict=False):
        before, after = ids_by_wording(old), ids_by_wording(new)
        for text_hash, ids in after.items():
            if text_hash in before:
                # The same wording keeps the same record (the same clause can appear twice
                # in one version, under two headings: then both records carry over).
                assert ids <= before[text_hash] or before[text_hash] <= ids
                carried += len(ids & before[text_hash])
    assert carried > 500


def copy_corpus_files(corpus_dir, folder, platform: str, paths: list[str]) -> str:
    """A corpus folder with these files of the shared corpus, listed for ``platform``."""
    manifest = {e["path"]: e for e in json.loads((corpus_dir / "manifest.json").read_text())}
    for path in paths:
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus_dir / path, folder / path)
    entries = [{**manifest[path], "platform": platform} for path in paths]
    (folder / "manifest.json").write_text(json.dumps(entries))
    return str(folder)


def version_counts(platform: str) -> list[tuple]:
    document = Document.objects.get(platform__slug=platform)
    return [
        (v.captured_at.date().isoformat(), v.added_count, v.removed_count, v.revised_count)
        for v in document.versions.order_by("ordinal")
    ]


@pytest.mark.django_db
def test_midjourney_guidelines_imported_out_of_order_match_date_order(corpus_dir, tmp_path):
    files = [f"midjourney/community-guidelines/{day}.md" for day in ("2024-02-02", "2024-07-12")]
    late = ["midjourney/community-guidelines/2024-07-11.md"]
    import_sources(
        [copy_corpus_files(corpus_dir, tmp_path / "dated", "dated", sorted(files + late))]
    )
    import_sources([copy_corpus_files(corpus_dir, tmp_path / "a", "shuffled", files)])
    import_sources([copy_corpus_files(corpus_dir, tmp_path / "b", "shuffled", late)])
    assert version_counts("dated")[2] == ("2024-07-12", 0, 0, 1)
    assert version_counts("shuffled") == version_counts("dated")
    counts = [
        Provision.objects.filter(document__platform__slug=p).count() for p in ("dated", "shuffled")
    ]
    assert counts == [51, 51]
