from celery import shared_task
from django.db import OperationalError

from regulations import mapping


@shared_task(
    name="regulations.suggest_links",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=1500,
    time_limit=1800,
)
def suggest_links() -> dict:
    """Recompute every "possibly related" regulation from the stored embeddings (idempotent)."""
    return mapping.suggest_links()
