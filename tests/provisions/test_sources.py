"""Bad input: a clear one-line error naming the file, and nothing partly imported."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from provisions.ingest import import_sources
from provisions.models import Capture, Provision, Version
from tests.factories import GOOD, git, write_acme


def counts():
    return (Capture.objects.count(), Version.objects.count(), Provision.objects.count())


def make_ota_repo(path: Path) -> Path:
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    service = path / "Acme Chat"
    service.mkdir()
    steps = [
        ("First record of Acme Chat Acceptable Use Policy", GOOD, "2025-01-01T10:00:00+00:00"),
        (
            "Record new changes of Acme Chat Acceptable Use Policy",
            GOOD + "- Do not impersonate others.\n",
            "2025-02-01T10:00:00+00:00",
        ),
        (
            "Apply technical or declaration upgrade on Acme Chat Acceptable Use Policy",
            GOOD + "- Do not impersonate others.\n\n[Home](https://acme.example)\n",
            "2025-03-01T10:00:00+00:00",
        ),
    ]
    for subject, text, date in steps:
        (service / "Acceptable Use Policy.md").write_text(text)
        git(path, "add", "-A", date=date)
        git(path, "commit", "-q", "-m", subject, date=date)
    return path


@pytest.mark.django_db
def test_corpus_import_is_idempotent(tmp_path):
    corpus = write_acme(tmp_path, GOOD)
    first = import_sources([str(corpus)])
    assert (first.captures, first.versions, first.provisions) == (1, 1, 2)
    before = counts()
    second = import_sources([str(corpus)])
    assert second.nothing_new and counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"# Policy\n\n- caf\xe9 rules\n", "not UTF-8 (byte 0xe9"),
        (b"", "empty document"),
        (b"   \n\n", "empty document"),
        (b"# Policy\n\n- a\x00b\n", "NUL bytes"),
    ],
)
def test_bad_files_fail_with_the_file_named_and_nothing_imported(tmp_path, data, message):
    corpus = write_acme(tmp_path, GOOD, data)
    before = counts()
    report = import_sources([str(corpus)])
    error = report.errors[str(corpus)]
    assert message in error and "2025-01-02.md" in error and "\n" not in error
    assert counts() == before


@pytest.mark.django_db
def test_a_50_mb_file_is_refused(tmp_path):
    huge = b"- Do not spam.\n" * (50 * 1024 * 1024 // 15)
    corpus = write_acme(tmp_path, GOOD, huge)
    before = counts()
    error = import_sources([str(corpus)]).errors[str(corpus)]
    assert "2025-01-02.md: too large (52.4 MB" in error
    assert counts() == before


@pytest.mark.django_db
def test_manifest_with_a_missing_file(tmp_path):
    corpus = write_acme(tmp_path, GOOD)
    (corpus / "acme" / "aup" / "2025-01-01.md").unlink()
    before = counts()
    error = import_sources([str(corpus)]).errors[str(corpus)]
    assert error.endswith("acme/aup/2025-01-01.md: listed in the manifest but missing")
    assert counts() == before


@pytest.mark.django_db
def test_manifest_with_a_wrong_sha256(tmp_path):
    corpus = write_acme(tmp_path, GOOD, GOOD + "- More.\n", sha256={"2025-01-02": "0" * 64})
    before = counts()
    error = import_sources([str(corpus)]).errors[str(corpus)]
    assert "2025-01-02.md: sha256 is" in error and "the manifest says 0000000000000000" in error
    assert counts() == before


@pytest.mark.django_db
def test_malformed_manifest(tmp_path):
    (tmp_path / "manifest.json").write_text("[{not json")
    error = import_sources([str(tmp_path)]).errors[str(tmp_path)]
    assert "manifest.json: unreadable manifest" in error


@pytest.mark.django_db
def test_a_folder_that_is_not_a_git_repository(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    error = import_sources([str(tmp_path)]).errors[str(tmp_path)]
    assert error == f"{tmp_path}: not a git repository"


@pytest.mark.django_db
def test_a_corrupt_bundle(tmp_path):
    repo = make_ota_repo(tmp_path / "repo")
    bundle = tmp_path / "ota.bundle"
    git(repo, "bundle", "create", str(bundle), "--all")
    data = bundle.read_bytes()
    bundle.write_bytes(data[: len(data) // 2])
    before = counts()
    error = import_sources([str(bundle)]).errors[str(bundle)]
    assert error.startswith(f"{bundle}: corrupt git bundle")
    assert counts() == before


@pytest.mark.django_db
def test_an_unreachable_source_is_reported_and_the_others_still_import(tmp_path):
    corpus = write_acme(tmp_path / "corpus", GOOD)
    missing = "file:///nonexistent/ota-versions.git"
    report = import_sources([missing, str(corpus)])
    assert missing in report.errors and "cannot clone" in report.errors[missing]
    assert report.captures == 1


@pytest.mark.django_db
def test_the_command_exits_non_zero_with_the_error(tmp_path, capsys):
    with pytest.raises(CommandError, match="1 source"):
        call_command("import_sources", str(tmp_path / "nope"))
    assert f"error: {tmp_path / 'nope'}: no such file or folder" in capsys.readouterr().err


@pytest.mark.django_db
def test_ota_repository_commits_become_captures_with_their_kinds(tmp_path):
    repo = make_ota_repo(tmp_path / "acme-versions")
    report = import_sources([str(repo)])
    assert (report.captures, report.versions) == (3, 3)
    captures = list(Capture.objects.filter(repository="acme-versions").order_by("captured_at"))
    assert [c.kind for c in captures] == ["first_record", "change", "technical"]
    assert captures[0].captured_at.isoformat() == "2025-01-01T10:00:00+00:00"
    assert captures[0].key.startswith("ota:acme-versions@") and captures[0].path == (
        "Acme Chat/Acceptable Use Policy"
    )
    versions = list(Version.objects.filter(captures__in=captures).distinct().order_by("ordinal"))
    assert [v.change_kind for v in versions] == ["first", "substantive", "technical"]
    assert versions[1].added_count == 1 and versions[1].removed_count == 0
    # An unknown service becomes its own platform, named as Open Terms Archive names it.
    assert versions[0].document.platform.name == "Acme Chat"
    assert versions[0].origin_ref.endswith(":Acme Chat/Acceptable Use Policy.md")


@pytest.mark.django_db
def test_new_commits_import_incrementally_from_a_bundle(tmp_path):
    repo = make_ota_repo(tmp_path / "repo")
    bundle = tmp_path / "acme.bundle"
    git(repo, "bundle", "create", str(bundle), "--all")
    before = Version.objects.count()
    assert import_sources([str(bundle)]).captures == 3
    (repo / "Acme Chat" / "Acceptable Use Policy.md").write_text(GOOD)
    git(
        repo,
        "commit",
        "-qam",
        "Record new changes of Acme Chat Acceptable Use Policy",
        date="2025-04-01T00:00:00+00:00",
    )
    git(repo, "bundle", "create", str(bundle), "--all")
    report = import_sources([str(bundle)])
    # Text identical to the first version: one new capture, no new version.
    assert (report.captures, report.versions) == (1, 0)
    assert Version.objects.count() == before + 3
    # The latest capture decides the current text: back to the first version's.
    document = Capture.objects.get(
        key__endswith=":Acme Chat/Acceptable Use Policy.md", kind="first_record"
    ).version.document
    assert document.latest_version.ordinal == 1
