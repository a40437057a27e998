"""Pipeline progress (atlas.progress): stages recorded by the worker's task signals, counted
from the database, shown on the home page and at /api/v1/status/."""

import pytest
from django.core.cache import cache

from atlas import progress
from provisions.ingest import import_sources
from provisions.models import Document
from tests.factories import GOOD, assign, make_clause_type, write_acme


@pytest.fixture
def acme(tmp_path, transactional_db, settings, fake_encoder):
    settings.EMBEDDING_MODEL = fake_encoder.name  # what the counts read: this model's vectors
    cache.clear()
    import_sources([str(write_acme(tmp_path, GOOD))])
    yield Document.objects.get(platform__slug="acme")
    cache.clear()


def stage(snapshot, name):
    return next(s for s in snapshot["stages"] if s["stage"] == name)


def test_a_task_run_records_its_stage_and_the_counts_follow_the_database(acme, fake_encoder):
    from provisions.tasks import embed_documents

    before = progress.snapshot()
    assert before["working"] and (
        stage(before, "embed")["done"],
        stage(before, "embed")["total"],
    ) == (0, 2)
    assert stage(before, "embed")["state"] == "idle" and stage(before, "embed")["started"] is None
    assert "0 of 2 wordings embedded" in before["summary"]
    embed_documents.apply(args=([acme.pk],))  # the worker's path: prerun and postrun signals
    after = progress.snapshot()
    embed = stage(after, "embed")
    assert (embed["done"], embed["total"], embed["state"]) == (2, 2, "done")
    assert embed["started"] <= embed["finished"]
    assert not after["working"]
    assign_ = stage(after, "assign")
    assert (assign_["done"], assign_["total"]) == (0, 2)
    for provision in acme.provisions.all()[:1]:
        assign(provision, make_clause_type("malware"))
    cache.delete(progress.SNAPSHOT_KEY)  # counts are cached for a few seconds
    assert stage(progress.snapshot(), "assign")["done"] == 1


def test_a_failed_stage_says_so_with_the_error(acme, fake_encoder, monkeypatch):
    from provisions import embeddings
    from provisions.tasks import embed_documents

    def broken(**kwargs):
        raise ValueError("the encoder broke")

    monkeypatch.setattr(embeddings, "embed_pending", broken)
    embed_documents.apply(args=([acme.pk],))
    embed = stage(progress.snapshot(), "embed")
    assert embed["state"] == "failed" and "ValueError: the encoder broke" in embed["error"]


def test_the_home_page_shows_a_progress_bar_while_work_is_under_way(acme, client, fake_encoder):
    html = client.get("/").content.decode()
    assert '<progress id="progress-embed" max="2" value="0">0 of 2</progress>' in html
    assert "Embed: 0 of 2 distinct clause wordings embedded" in html
    assert "style=" not in html.split('class="notice notice-info pipeline-progress"')[1][:2000]
    from provisions.embeddings import embed_pending

    embed_pending(encoder=fake_encoder)
    cache.delete(progress.SNAPSHOT_KEY)
    assert "<progress" not in client.get("/").content.decode()  # done: no block


def test_the_status_api_reports_each_stage(acme, client):
    response = client.get("/api/v1/status/")
    assert response.status_code == 200
    body = response.json()
    assert [s["stage"] for s in body["stages"]] == ["embed", "assign", "link"]
    embed = body["stages"][0]
    assert (embed["done"], embed["total"], embed["unit"]) == (
        0,
        2,
        "distinct clause wordings embedded",
    )
    assert body["working"] is True and "0 of 2 wordings embedded" in body["summary"]
    assert client.post("/api/v1/status/").status_code == 405


def test_the_watcher_make_run_starts_prints_the_summary(acme, capsys):
    progress.watch(once=True)
    line = capsys.readouterr().out
    assert "Clause types: 0 of 2 wordings embedded; 0 of 2 provisions in force typed" in line


def test_counts_are_kept_until_a_table_they_read_has_new_rows(acme, fake_encoder, monkeypatch):
    from provisions.embeddings import embed_pending

    monkeypatch.setattr(progress, "SNAPSHOT_SECONDS", 0)  # no "counted moments ago" shortcut
    assert stage(progress.snapshot(), "embed")["done"] == 0
    real_counts = progress.counts

    def not_again():
        raise AssertionError("counted again with nothing new")

    monkeypatch.setattr(progress, "counts", not_again)
    assert stage(progress.snapshot(), "embed")["done"] == 0  # same newest rows: kept
    monkeypatch.setattr(progress, "counts", real_counts)
    embed_pending(encoder=fake_encoder)  # new embedding rows: counted again
    assert stage(progress.snapshot(), "embed")["done"] == 2
