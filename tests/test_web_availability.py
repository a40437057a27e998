"""When a part is down: 503 with Retry-After (JSON on the API) instead of a 500, /health/
naming each part; and throttle counts that hold across web processes."""

import multiprocessing
import os
import signal
import socket
from contextlib import contextmanager

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from tests.factories import start_worker, use_broker, wait_for

PAGES = ["/", "/platforms/", "/search/?q=malware", "/clause-types/", "/regulations/"]
API = ["/api/v1/platforms/", "/api/v1/provisions/", "/api/v1/search/?q=malware"]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


@contextmanager
def unreachable_database():
    """The real connection pointed at a port where no server listens, then restored."""
    saved = {key: connection.settings_dict[key] for key in ("HOST", "PORT")}
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


@pytest.fixture
def database_down(transactional_db):
    with unreachable_database():
        yield


def test_pages_and_the_api_answer_503_with_retry_after_when_the_database_is_down(database_down):
    client = Client(raise_request_exception=False)
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 503, url
        assert response["Retry-After"] == "30"
        assert "database is unavailable" in response.content.decode()
    for url in API:
        response = client.get(url)
        assert response.status_code == 503, url
        assert response["Retry-After"] == "30"
        assert response.json() == {
            "status": 503,
            "detail": "The database is unavailable; please try again shortly.",
        }


def test_a_signed_in_page_is_also_503_when_the_database_goes_down(transactional_db):
    from django.contrib.auth.models import User

    client = Client(raise_request_exception=False)
    client.force_login(User.objects.create_user("reader"))  # the session is read from the db
    with unreachable_database():
        for url in ["/", "/api/v1/platforms/", "/admin/"]:
            response = client.get(url)
            assert response.status_code == 503, url
            assert response["Retry-After"] == "30"


def test_health_reports_each_part_and_503_without_a_worker(db, redis_broker):
    response = Client().get("/health/")
    assert response.status_code == 503 and response["Retry-After"] == "30"
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "up" and body["broker"] == "up"
    assert body["worker"].startswith("down: no worker answered")


@pytest.mark.slow  # waits for both connection attempts to fail
def test_health_reports_the_database_and_broker_down(database_down, settings):
    default = settings.CELERY_BROKER_URL
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    use_broker(settings.CELERY_BROKER_URL)
    try:
        response = Client().get("/health/")
    finally:
        use_broker(default)
    assert response.status_code == 503
    body = response.json()
    assert body["database"].startswith("down:")
    assert body["broker"].startswith("down:") and body["worker"].startswith("down:")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_health_is_200_when_database_broker_and_a_worker_are_up(tmp_path, redis_broker):
    worker = start_worker(redis_broker, tmp_path / "worker.log")
    try:
        client = Client()
        assert wait_for(lambda: client.get("/health/").status_code == 200, timeout=90), (
            client.get("/health/").json(),
            (tmp_path / "worker.log").read_text()[-2000:],
        )
        assert client.get("/health/").json() == {
            "status": "ok",
            "database": "up",
            "broker": "up",
            "worker": "up",
        }
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)


# -- throttle across processes --------------------------------------------------------------


def request_in_a_child(url: str, count: int, go, results) -> None:
    """Another web process, forked before the parent's requests (so nothing it holds in
    memory counts them), with its own database connection."""
    connection.close()  # the parent's socket must not be shared
    try:
        go.wait(60)
        client = Client()
        results.put([client.get(url).status_code for _ in range(count)])
    except BaseException as error:  # reported to the parent, which fails the test with it
        results.put(repr(error))
        raise


@pytest.mark.django_db(transaction=True)
def test_the_anonymous_rate_holds_across_two_processes(settings):
    settings.API_THROTTLE_ANON = "4/min"
    cache.clear()
    url = "/api/v1/regulations/"
    connection.close()  # reconnects after the fork; never shared with the child
    context = multiprocessing.get_context("fork")
    go, results = context.Event(), context.Queue()
    child = context.Process(target=request_in_a_child, args=(url, 3, go, results))
    child.start()
    try:
        parent = [Client().get(url).status_code for _ in range(3)]
        go.set()
        statuses = results.get(timeout=60)
    finally:
        child.join(30)
    assert parent == [200, 200, 200]
    assert statuses == [200, 429, 429], "each process counted on its own"
    cache.clear()


def test_the_cache_is_shared_by_default(settings):
    # Not process memory: LocMemCache is what let each gunicorn worker count alone.
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
