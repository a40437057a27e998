from celery import shared_task
from django.db import OperationalError

from provisions import embeddings


@shared_task(
    name="provisions.embed_pending",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=3000,
    time_limit=3600,
)
def embed_pending() -> int:
    """Embed every clause wording not yet embedded with the configured model (idempotent)."""
    return embeddings.embed_pending()
