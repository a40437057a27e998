"""Exactly once with a real `celery worker`: killed (SIGKILL) mid-digest while the SMTP server
holds a mail unanswered, then restarted; every alert is sent once, none twice, none lost."""

import signal
import time

import pytest

from alerts import outbox, tasks
from alerts.models import Alert, Frequency
from tests.alerts.conftest import V1, V2, V3, import_acme
from tests.factories import start_worker, stop_worker, wait_for

pytestmark = pytest.mark.worker

QUEUE = "alerts-test"  # the worker takes only this queue: not its warm-up's classifier training
READERS = [f"reader{n}@example.org" for n in range(6)]


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_digest_neither_loses_nor_duplicates_an_alert(
    tmp_path, smtp, subscribe, default_broker, monkeypatch
):
    monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", "5")
    monkeypatch.setenv("ALERTS_CLAIM_LEASE", "4")
    for address in READERS:
        subscribe(address, frequency=Frequency.DAILY)
    import_acme(tmp_path / "v3", V1, V2, V3)
    assert outbox.enqueue_alerts() == 12  # two substantive changes for each of six readers
    environment = {
        **default_broker,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_USE_TLS": "false",
        "ATLAS_SITE_URL": "https://atlas.example",
    }
    smtp.stall_after = 2  # the third digest is held unanswered

    def send_digests():
        tasks.send_alerts.apply_async(kwargs={"frequency": "daily"}, queue=QUEUE)

    log = tmp_path / "worker.log"
    worker = start_worker(environment, log, "-Q", QUEUE)
    try:
        send_digests()
        assert wait_for(smtp.stalled.is_set, timeout=120, every=0.1), log.read_text()[-3000:]
        stop_worker(worker, signal.SIGKILL)  # mid-digest: two mails out, the third in flight
        assert len(smtp.messages) == 2
        sent = Alert.objects.filter(sent_at__isnull=False)
        assert sent.count() == 4
        in_flight = Alert.objects.filter(sent_at__isnull=True, claimed_at__isnull=False)
        assert in_flight.count() == 2  # claimed by the killed worker: left for the lease
        smtp.stall_after = None
        smtp.release.set()
        worker = start_worker(environment, tmp_path / "worker2.log", "-Q", QUEUE)
        deadline = time.monotonic() + 120
        while Alert.objects.filter(sent_at__isnull=True).exists():
            assert time.monotonic() < deadline, (tmp_path / "worker2.log").read_text()[-3000:]
            send_digests()  # as beat would, at the next digest time
            time.sleep(2)
        time.sleep(3)  # anything still queued has run
    finally:
        stop_worker(worker)
    assert Alert.objects.filter(sent_at__isnull=False, skipped=False).count() == 12
    assert sorted(m["To"] for m in smtp.messages) == READERS  # one digest each, none twice
    for message in smtp.messages:
        text = message.get_body(("plain",)).get_content()
        assert text.count("impersonate") == 1 and text.count("automated agents") == 1
