import subprocess
import sys

import pytest

from provisions.embeddings import embed_pending
from provisions.ingest import import_sources
from provisions.models import Document, Revision, TextEmbedding
from tests.factories import GOOD, wait_for, write_acme


@pytest.fixture
def good_document(tmp_path):
    """The two-clause GOOD policy, imported: its document."""
    import_sources([str(write_acme(tmp_path, GOOD))])
    return Document.objects.get(platform__slug="acme")


@pytest.fixture
def recorded_stores(monkeypatch):
    """Each ``store_embeddings`` call, as (ran in the main thread, its hashes); it still stores."""
    import threading

    from provisions import embeddings

    calls = []
    real_store = embeddings.store_embeddings

    def recording_store(model_name, hashes, vectors):
        calls.append((threading.current_thread() is threading.main_thread(), list(hashes)))
        return real_store(model_name, hashes, vectors)

    monkeypatch.setattr(embeddings, "store_embeddings", recording_store)
    return calls


@pytest.mark.django_db
def test_each_wording_is_embedded_once_and_a_rerun_embeds_nothing(tmp_path, fake_encoder):
    second = GOOD.replace("harass people", "harass or bully people")
    corpus = write_acme(tmp_path, GOOD, second)
    import_sources([str(corpus)])
    document = Document.objects.get(platform__slug="acme")
    wordings = set(
        Revision.objects.filter(provision__document=document).values_list("text_hash", flat=True)
    )
    assert len(wordings) == 3  # two clauses, one of them in two wordings
    stored = embed_pending(encoder=fake_encoder, document_ids=[document.pk])
    embedded = TextEmbedding.objects.filter(model_name=fake_encoder.name)
    assert stored == embedded.count() == 3
    assert set(embedded.values_list("text_hash", flat=True)) == wordings
    calls = len(fake_encoder.calls)
    assert embed_pending(encoder=fake_encoder, document_ids=[document.pk]) == 0
    assert len(fake_encoder.calls) == calls  # nothing left to encode


@pytest.mark.django_db
def test_an_unchanged_reimport_needs_no_new_embeddings(tmp_path, fake_encoder):
    corpus = write_acme(tmp_path, GOOD)
    import_sources([str(corpus)])
    document = Document.objects.get(platform__slug="acme")
    assert embed_pending(encoder=fake_encoder, document_ids=[document.pk]) == 2
    import_sources([str(corpus)])
    assert embed_pending(encoder=fake_encoder, document_ids=[document.pk]) == 0


def test_the_web_process_never_imports_torch():
    code = (
        "import os, sys; os.environ.setdefault('SECRET_KEY', 'x');"
        "import atlas.wsgi, provisions.views, provisions.embeddings, provisions.tasks;"
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


class FailingEncoder:
    """Encodes one chunk, then fails: a worker dying in the middle of a run."""

    def __init__(self, inner, *, chunks_before_failure: int):
        self.inner, self.name = inner, inner.name
        self.left = chunks_before_failure

    def encode(self, texts):
        if self.left == 0:
            raise RuntimeError("worker lost")
        self.left -= 1
        return self.inner.encode(texts)


@pytest.mark.django_db
def test_a_run_that_dies_mid_way_keeps_finished_chunks_and_the_rerun_embeds_the_rest_once(
    good_document, fake_encoder
):
    document = good_document
    failing = FailingEncoder(fake_encoder, chunks_before_failure=1)
    with pytest.raises(RuntimeError):
        embed_pending(encoder=failing, document_ids=[document.pk], chunk=1)
    assert TextEmbedding.objects.filter(model_name=fake_encoder.name).count() == 1
    assert embed_pending(encoder=fake_encoder, document_ids=[document.pk], chunk=1) == 1
    embedded = TextEmbedding.objects.filter(model_name=fake_encoder.name)
    assert embedded.count() == 2
    assert set(embedded.values_list("text_hash", flat=True)) == set(
        Revision.objects.filter(provision__document=document).values_list("text_hash", flat=True)
    )


@pytest.mark.django_db
def test_pending_wordings_come_shortest_first(good_document):
    from provisions.embeddings import pending_wordings

    document = good_document
    ids = pending_wordings("any-model", document_ids=[document.pk])
    lengths = [len(Revision.objects.get(pk=pk).text) for pk in ids]
    assert len(ids) == 2 and lengths == sorted(lengths)


@pytest.mark.django_db
def test_stored_vectors_are_the_encoders_vectors_and_a_second_store_adds_nothing(fake_encoder):
    from provisions.embeddings import store_embeddings

    texts = ["do not generate malware", "do not harass people"]
    vectors = fake_encoder.encode(texts)
    assert store_embeddings("m", ["h1", "h2"], vectors) == 2
    assert store_embeddings("m", ["h1", "h2"], vectors) == 0  # already there: left as it is
    stored = dict(TextEmbedding.objects.filter(model_name="m").values_list("text_hash", "vector"))
    for text_hash, vector in zip(["h1", "h2"], vectors, strict=True):
        assert max(abs(a - b) for a, b in zip(stored[text_hash], vector, strict=True)) < 1e-6


def _backends() -> int:
    """Client connections to the test database (autovacuum and parallel workers excluded)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND backend_type = 'client backend'"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_in_autocommit_chunks_are_stored_by_a_second_thread_each_once(
    good_document, fake_encoder, recorded_stores
):
    backends = _backends()
    assert embed_pending(encoder=fake_encoder, document_ids=[good_document.pk], chunk=1) == 2
    assert [in_main for in_main, _ in recorded_stores] == [False, False]
    embedded = TextEmbedding.objects.filter(model_name=fake_encoder.name)
    assert sorted(h for _, hashes in recorded_stores for h in hashes) == sorted(
        embedded.values_list("text_hash", flat=True)
    )
    assert embedded.count() == 2
    # The storing thread's connection was closed (the server notices a closed connection a
    # moment later, so the count is read until it settles).
    assert wait_for(lambda: _backends() <= backends, timeout=10), _backends()


@pytest.mark.django_db(transaction=True)
def test_a_storage_error_in_the_second_thread_reaches_the_task(
    good_document, fake_encoder, monkeypatch
):
    from django.db import OperationalError

    from provisions import embeddings

    def lost_connection(model_name, hashes, vectors):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(embeddings, "store_embeddings", lost_connection)
    # OperationalError is what the task retries on: it must not be swallowed by the thread.
    with pytest.raises(OperationalError):
        embed_pending(encoder=fake_encoder, document_ids=[good_document.pk], chunk=1)
    monkeypatch.undo()
    assert embed_pending(encoder=fake_encoder, document_ids=[good_document.pk], chunk=1) == 2


@pytest.mark.django_db
def test_inside_a_transaction_chunks_are_stored_in_it(good_document, fake_encoder, recorded_stores):
    assert embed_pending(encoder=fake_encoder, document_ids=[good_document.pk], chunk=1) == 2
    assert [in_main for in_main, _ in recorded_stores] == [True, True]


@pytest.mark.django_db
def test_semantic_search_says_it_is_warming_up_until_the_wordings_are_embedded(
    client, good_document, fake_encoder, settings
):
    settings.EMBEDDING_MODEL = fake_encoder.name
    query = {"q": "write malicious software", "mode": "semantic"}
    response = client.get("/search/", query)
    assert response.status_code == 503 and response["Retry-After"] == "30"
    page = response.content.decode()
    assert "warming up" in page and "0 of 2 clause wordings embedded" in page
    assert "close to this query" not in page
    response = client.get("/api/v1/search/", query)
    assert response.status_code == 503 and "warming up: 0 of 2" in response.json()["detail"]
    embed_pending(encoder=fake_encoder)
    response = client.get("/search/", query)
    assert response.status_code == 200 and "warming up" not in response.content.decode()
    assert "Do not generate malware." in response.content.decode()
