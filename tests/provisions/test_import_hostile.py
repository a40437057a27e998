"""Hostile and unlucky imports: a one-line error for the bad source, the others still import,
nothing partly written, no command run, nothing read outside the corpus folder."""

import hashlib
import importlib
import json
import os
import signal
import threading
from pathlib import Path

import pytest
from django.db import connection

from provisions import reading, sources, tasks
from provisions.ingest import import_sources
from provisions.models import Capture, Document, Platform, Provision, Version
from tests.factories import git

GOOD = "# Policy\n\n- Do not generate malware.\n- Do not harass people.\n"


def entry(file: str, data: bytes, **fields) -> dict:
    return {
        "platform": "acme",
        "platform_name": "Acme AI",
        "document": "aup",
        "document_name": "Acceptable Use Policy",
        "version_date": "2025-01-01",
        "path": file,
        "source_url": "https://acme.example/aup",
        "sha256": hashlib.sha256(data).hexdigest(),
        **fields,
    }


def corpus(folder: Path, files: dict[str, bytes], entries: list[dict] | None = None) -> str:
    """A corpus folder holding ``files``, listed as given (default: one entry per file)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    if entries is None:
        entries = [entry(name, data) for name, data in files.items()]
    (folder / "manifest.json").write_text(json.dumps(entries))
    return str(folder)


def good_corpus(tmp_path: Path) -> str:
    return corpus(
        tmp_path / "good",
        {"p.md": GOOD.encode()},
        [entry("p.md", GOOD.encode(), platform="goodco", platform_name="Good Co")],
    )


def assert_only_good_imported(report, bad: str, message: str) -> None:
    error = report.errors[bad]
    assert message in error, error
    assert "\n" not in error and "Traceback" not in error
    assert report.captures == 1  # the good source of the same run
    platforms = Platform.objects.filter(documents__versions__isnull=False).distinct()
    assert list(platforms.values_list("slug", flat=True)) == ["goodco"]


# -- Item 1: command execution and server-side request forgery through sources -------------

# git ran the -u (upload-pack) command in the working folder: "pwned" appeared there.
INJECTION = "-ush@x:;touch pwned;"


@pytest.mark.django_db
def test_a_source_that_looks_like_a_git_option_runs_no_command(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    monkeypatch.chdir(tmp_path)
    source = INJECTION
    report = import_sources([source, good_corpus(tmp_path)])  # as the operator's command does
    assert not marker.exists()
    assert source in report.errors and report.captures == 1


@pytest.mark.django_db
def test_the_import_task_refuses_what_the_api_must_not_read(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    monkeypatch.chdir(tmp_path)
    hostile = [
        INJECTION,
        good_corpus(tmp_path),  # a folder on the server
        f"file://{tmp_path}/repo.git",
        "http://127.0.0.1:9/repo.git",
        "https://127.0.0.1:9/repo.git",
        "https://[::1]/repo.git",
        "https://169.254.169.254/latest/meta-data",
        "ext::sh -c touch% /tmp/pwned",
        "git@127.0.0.1:repo.git",
    ]
    result = tasks.import_sources(hostile)
    assert result["captures"] == 0 and sorted(result["errors"]) == sorted(hostile)
    assert not marker.exists() and not Capture.objects.exists()
    assert "not a public address" in result["errors"]["https://127.0.0.1:9/repo.git"]
    assert "scheme 'file' is not allowed" in result["errors"][f"file://{tmp_path}/repo.git"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("-ush@x:;cd ..;touch pwned;", "API sources must be https:// git URLs"),
        ("-ush@x:;touch:", "API sources must be https:// git URLs"),
        ("/work/shared/corpus", "API sources must be https:// git URLs"),
        ("../shared/corpus", "API sources must be https:// git URLs"),
        ("file:///etc/passwd", "scheme 'file' is not allowed"),
        ("http://example.org/repo.git", "scheme 'http' is not allowed"),
        ("https://127.0.0.1:5432/repo.git", "not a public address"),
        ("https://10.0.0.8/repo.git", "not a public address"),
        ("https://[::ffff:127.0.0.1]/repo.git", "not a public address"),
        ("https://localhost/repo.git", "not a public address"),
        ("https://user:secret@127.0.0.1/repo.git", "credentials"),
        ("git@github.com:OpenTermsArchive/x.git", "git@ sources are not enabled"),
        ("https://example.org/a repo.git", "spaces or control characters"),
    ],
)
def test_the_api_accepts_only_public_https_git_urls(client, source, message):
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=User.objects.create_user("staff", is_staff=True)).key
    response = client.post(
        "/api/v1/imports/",
        {"sources": [source]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert response.status_code == 400
    assert message in json.dumps(response.json())


def test_ssh_sources_and_private_hosts_only_where_settings_allow_them(settings):
    policy = sources.RemotePolicy(allow_ssh=True, allow_private=True)
    policy.check("git@127.0.0.1:acme/versions.git")
    policy.check("https://127.0.0.1/acme/versions.git")
    assert policy.protocols == "https:ssh"
    for bad in ("git@-oProxyCommand=touch:x", "git@host:-upload", "git@host:x;touch y"):
        with pytest.raises(reading.SourceError):
            policy.check(bad)


def test_git_never_reads_a_source_as_an_option():
    assert not sources.is_git_url("-ush@x:;cd ..;touch pwned;")
    assert sources.is_git_url("git@github.com:acme/versions.git")


# -- Items 2, 5, 6: every manifest field is checked before anything is stored -------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"source_url": "javascript:alert(document.domain)"}, "source_url 'javascript:"),
        ({"source_url": "data:text/html,<script>x</script>"}, "is not an http(s) URL"),
        ({"source_url": 12}, "source_url must be text"),
        ({"platform": "Bad Slug/Name"}, "platform 'Bad Slug/Name' is not a slug"),
        ({"platform": "has space"}, "is not a slug"),
        ({"platform": "café"}, "is not a slug"),
        ({"document": "Upper"}, "document 'Upper' is not a slug"),
        ({"platform": "a" * 81}, "at most 80 characters"),
        ({"document": "d" * 121}, "at most 120 characters"),
        ({"platform_name": "x" * 201}, "platform_name is over 200"),
        ({"path": 123}, "path must be text"),
        ({"sha256": 12345}, "sha256 must be text"),
        ({"sha256": "ABC"}, "sha256 must be 64 lowercase"),
        ({"path": "../outside.md"}, "must be a relative path"),
        ({"path": "/etc/passwd"}, "must be a relative path"),
        ({"recorded_at": "9999-12-31T23:59:59-05:00"}, "has no valid date"),
        ({"retrieved_from": "r" * 401}, "retrieved_from is over 400"),
    ],
)
def test_bad_manifest_fields_are_refused_with_the_entry_named(tmp_path, fields, message):
    data = GOOD.encode()
    bad = corpus(tmp_path / "bad", {"p.md": data}, [entry("p.md", data, **fields)])
    report = import_sources([bad, good_corpus(tmp_path)])
    assert_only_good_imported(report, bad, message)
    assert "entry 1" in report.errors[bad]


@pytest.mark.django_db
def test_a_duplicate_manifest_entry_is_an_error_not_a_crash(tmp_path):
    data = GOOD.encode()
    bad = corpus(tmp_path / "bad", {"p.md": data}, [entry("p.md", data), entry("p.md", data)])
    report = import_sources([bad, good_corpus(tmp_path)])
    assert_only_good_imported(report, bad, "entry 2 repeats entry 1")


def import_within_seconds(names: list[str], seconds: int = 20):
    """The import, failing the test instead of hanging it (reading a FIFO blocks forever)."""
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("the import hung on a FIFO"))
    signal.alarm(seconds)
    try:
        return import_sources(names)
    finally:
        signal.alarm(0)


@pytest.mark.django_db
def test_a_fifo_in_a_manifest_is_refused_without_hanging(tmp_path):
    bad = corpus(tmp_path / "bad", {}, [entry("pipe.md", GOOD.encode())])
    os.mkfifo(tmp_path / "bad" / "pipe.md")
    report = import_within_seconds([bad, good_corpus(tmp_path)])
    assert_only_good_imported(report, bad, "pipe.md: not a regular file")


@pytest.mark.django_db
def test_symlinks_leading_out_of_the_corpus_are_refused(tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text(GOOD)
    bad = corpus(tmp_path / "bad", {}, [entry("link.md", GOOD.encode())])
    (tmp_path / "bad" / "link.md").symlink_to(secret)
    report = import_sources([bad, good_corpus(tmp_path)])
    assert_only_good_imported(report, bad, "entry 1 points outside the corpus")


@pytest.mark.django_db
def test_a_manifest_that_is_a_fifo_is_refused_without_hanging(tmp_path):
    (tmp_path / "bad").mkdir()
    os.mkfifo(tmp_path / "bad" / "manifest.json")
    report = import_within_seconds([str(tmp_path / "bad"), good_corpus(tmp_path)])
    assert_only_good_imported(report, str(tmp_path / "bad"), "not a regular file")


def distinct_words(count: int) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = []
    for number in range(count):
        word = ""
        while True:
            number, rest = divmod(number, 26)
            word += letters[rest]
            if not number:
                break
        words.append("q" + word)
    return " ".join(words)


@pytest.mark.django_db
def test_a_clause_too_long_to_index_is_refused_before_storing(tmp_path):
    huge = ("# Policy\n\n- " + distinct_words(340_000) + "\n").encode()
    assert len(huge) > 2_000_000
    bad = corpus(tmp_path / "bad", {"huge.md": huge})
    report = import_sources([bad, good_corpus(tmp_path)])
    assert_only_good_imported(report, bad, "huge.md: the clause at character")
    assert "is too long to index" in report.errors[bad]


@pytest.mark.django_db
def test_the_longest_allowed_clause_can_be_stored_and_searched(tmp_path):
    text = distinct_words(40_000)[: reading.MAX_CLAUSE_BYTES - 20].rsplit(" ", 1)[0]
    data = f"# P\n\n- {text}\n".encode()
    assert len(data) > reading.MAX_CLAUSE_BYTES - 40
    report = import_sources([corpus(tmp_path / "big", {"big.md": data})])
    assert report.errors == {} and report.provisions == 1
    assert Provision.objects.search(text.rsplit(" ", 1)[1]).count() == 1


# -- Item 6: two imports of one source at once -------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_source_at_once_store_it_once(tmp_path, monkeypatch):
    folder = good_corpus(tmp_path)
    both_read = threading.Barrier(2, timeout=30)
    read = sources.read_source

    def read_then_wait(*args, **kwargs):
        found = read(*args, **kwargs)
        both_read.wait()  # both imports have read the source before either stores it
        return found

    monkeypatch.setattr(sources, "read_source", read_then_wait)
    results, failures = [], []

    def run():
        try:
            results.append(import_sources([folder]))
        except Exception as error:  # noqa: BLE001 - the failure is the assertion below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert sorted(r.captures for r in results) == [0, 1]
    assert Capture.objects.count() == 1 and Version.objects.count() == 1


# -- Item 8: the capture key names the target document -------------------------------------


@pytest.mark.django_db
def test_the_same_file_for_another_platform_is_imported_too(tmp_path):
    data = GOOD.encode()
    first = corpus(tmp_path / "one", {"p.md": data})
    second = corpus(tmp_path / "two", {"p.md": data}, [entry("p.md", data, platform="other")])
    assert import_sources([first]).captures == 1
    report = import_sources([second])
    assert report.captures == 1 and not report.nothing_new
    imported = Document.objects.filter(versions__isnull=False)
    assert set(imported.values_list("platform__slug", flat=True)) == {"acme", "other"}
    assert import_sources([first, second]).nothing_new


@pytest.mark.django_db
def test_stored_corpus_keys_are_rewritten_in_place(tmp_path):
    migration = importlib.import_module(
        "provisions.migrations.0007_corpus_capture_keys_name_their_document"
    )
    data = GOOD.encode()
    folder = corpus(tmp_path / "one", {"p.md": data})
    import_sources([folder])
    capture = Capture.objects.get()
    # As the previous importer stored it:
    Capture.objects.filter(pk=capture.pk).update(key=f"corpus:p.md@{capture.version.sha256}")
    with connection.cursor() as cursor:
        cursor.execute(migration.FORWARD)
    capture.refresh_from_db()
    assert capture.key == f"corpus:acme/aup/p.md@{capture.version.sha256}"
    assert import_sources([folder]).nothing_new and Capture.objects.count() == 1
    with connection.cursor() as cursor:
        cursor.execute(migration.BACKWARD)
    capture.refresh_from_db()
    assert capture.key == f"corpus:p.md@{capture.version.sha256}"


# -- Siblings: names Open Terms Archive repositories choose become slugs and names ---------


def ota_repo(path: Path, files: dict[str, str]) -> str:
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "First record of everything")
    return str(path)


@pytest.mark.django_db
def test_service_and_terms_names_give_usable_slugs(tmp_path):
    long_service = "Acme " * 30
    repo = ota_repo(
        tmp_path / "versions",
        {"文心一言/利用規約.md": GOOD, f"{long_service.strip()}/Terms.md": GOOD},
    )
    report = import_sources([repo])
    assert report.errors == {} and report.captures == 2
    for document in Document.objects.filter(versions__isnull=False).select_related("platform"):
        assert 0 < len(document.platform.slug) <= 80 and 0 < len(document.slug) <= 120
        assert document.get_absolute_url()  # reverses: the slug is a slug


@pytest.mark.django_db
def test_an_over_long_service_name_is_an_error_not_a_crash(tmp_path):
    repo = ota_repo(tmp_path / "versions", {f"{'S' * 250}/Terms.md": GOOD})
    report = import_sources([repo, good_corpus(tmp_path)])
    assert_only_good_imported(report, repo, "has a service or terms name over 200 characters")
