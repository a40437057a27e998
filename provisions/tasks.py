from celery import shared_task
from django.db import OperationalError

from provisions import embeddings
from provisions.models import Document

TASK_OPTIONS = {
    "acks_late": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(
    name="provisions.embed_document", soft_time_limit=1500, time_limit=1800, **TASK_OPTIONS
)
def embed_document(document_id: int) -> int:
    """Embed the new wordings of one document's provisions (idempotent; a gone id is a no-op)."""
    if not Document.objects.filter(pk=document_id).exists():
        return 0
    return embeddings.embed_pending(document_id=document_id)


@shared_task(
    name="provisions.embed_pending",
    soft_time_limit=3000,
    time_limit=3600,
    **TASK_OPTIONS,
)
def embed_pending() -> int:
    """Embed every clause wording not yet embedded with the configured model (idempotent)."""
    return embeddings.embed_pending()
