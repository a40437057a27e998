from celery import shared_task
from django.db import OperationalError

from alerts import mail, outbox, webhooks
from alerts.models import Frequency


@shared_task(
    name="alerts.enqueue_alerts",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=600,
    time_limit=900,
)
def enqueue_alerts(document_ids: list[int] | None = None) -> int:
    """The pipeline's step after changes are judged: outbox rows (idempotent)."""
    return outbox.enqueue_alerts(document_ids=document_ids)


# Safe to run twice or side by side: rows are claimed before sending (alerts.outbox). A sender
# killed mid-send leaves claimed rows that a later run claims again once their lease lapses.
@shared_task(
    name="alerts.send_alerts",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=1500,
    time_limit=1800,
)
def send_alerts(frequency: str = Frequency.IMMEDIATELY) -> int:
    """Mail what is due for subscriptions of this frequency (beat: immediately every minute,
    daily and weekly digests at 06:00 UTC)."""
    return mail.send_alerts(frequency=Frequency(frequency))


@shared_task(
    name="alerts.deliver_webhooks",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=1500,
    time_limit=1800,
)
def deliver_webhooks() -> int:
    """POST every due webhook delivery once (beat, every minute; failures wait and retry)."""
    return webhooks.deliver_webhooks()
