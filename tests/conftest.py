import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction

from atlas import embedded_broker as embedded
from comparisons import classifier
from tests.factories import FakeEncoder, analyze, check_deferred_constraints, use_broker

REDIS_URL = os.environ.get("ATLAS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = ROOT.parent / "shared"


def shared_path(variable: str, default: Path) -> Path:
    """A path to real data; tests that need it fail (never skip) when it is missing."""
    path = Path(os.environ.get(variable) or default)
    if not path.exists():
        pytest.fail(f"{variable} points to {path}, which does not exist: real-data tests need it")
    return path


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Tests on the imported real corpus run last, after every other test (pytest-django has
    ordered those already), and are marked ``realdata``: the corpus stays in an open
    transaction from the first of them to the end of the session (see ``real_data``), so no
    other test ever sees it. The browser tests are marked ``e2e``."""
    for item in items:
        if "real_data" in item.fixturenames:
            item.add_marker(pytest.mark.realdata)
        if "/tests/e2e/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)
    items.sort(key=lambda item: "real_data" in item.fixturenames)


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return shared_path("ATLAS_CORPUS_DIR", DEFAULT_SHARED / "corpus")


@pytest.fixture(scope="session")
def ota_bundle() -> Path:
    return shared_path("ATLAS_OTA_BUNDLE", DEFAULT_SHARED / "ota" / "genai-contrib-versions.bundle")


@pytest.fixture(scope="session")
def ota_eu_bundle() -> Path:
    return shared_path("ATLAS_OTA_EU_BUNDLE", DEFAULT_SHARED / "ota" / "genai-eu-versions.bundle")


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path_factory):
    settings.ATLAS_SOURCES_CACHE = tmp_path_factory.getbasetemp() / "sources-cache"
    # Unit tests call the embedding functions directly, with the fake encoder.
    settings.ATLAS_EMBED_AFTER_IMPORT = False


@pytest.fixture
def fake_encoder(monkeypatch):
    """The fake encoder, also swapped in for the sentence model: every caller (search, classify,
    assignment, suggested links) loads the model through ``provisions.embeddings.get_encoder``."""
    from provisions import embeddings

    encoder = FakeEncoder()
    monkeypatch.setattr(embeddings, "get_encoder", lambda: encoder)
    return encoder


@pytest.fixture(scope="session", autouse=True)
def _fake_classifier_fitted_once():
    """The classifier fitted on the fake encoder's vectors, once per session: fitting takes
    tens of seconds here and gives the same classifier for the same training data (a
    deterministic encoder, a deterministic solver), and most tests that assign clause types
    would otherwise fit it again. The real model's classifier is always fitted."""
    fit, fitted = classifier.fit_classifier, {}

    def fit_once(encoder, taxonomy, labels):
        if not isinstance(encoder, FakeEncoder):
            return fit(encoder, taxonomy, labels)
        digest = classifier.training_digest(taxonomy, labels)
        if digest not in fitted:
            fitted[digest] = fit(encoder, taxonomy, labels)
        return fitted[digest]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(classifier, "fit_classifier", fit_once)
        yield


@pytest.fixture(scope="session")
def real_data(django_db_setup, django_db_blocker, corpus_dir, ota_bundle, tmp_path_factory):
    """The whole corpus and OTA bundle, imported once, in a transaction rolled back at the end
    of the session. Each test runs in a savepoint inside it (pytest-django's ``db``); the
    tests using it run last (``pytest_collection_modifyitems``), so none of them can be a
    transactional test, and no other test sees the corpus."""
    from django.conf import settings

    settings.ATLAS_SOURCES_CACHE = tmp_path_factory.getbasetemp() / "sources-cache"
    settings.ATLAS_EMBED_AFTER_IMPORT = False
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("import_sources", str(corpus_dir), str(ota_bundle), verbosity=0)
        check_deferred_constraints()
        analyze()
        yield {"corpus": corpus_dir, "bundle": ota_bundle}
        transaction.set_rollback(True)


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
