from celery import shared_task
from django.db import OperationalError

from changes.significance import refresh_changes
from provisions.models import Document


@shared_task(
    name="changes.refresh_changes",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=1500,
    time_limit=1800,
)
def refresh_documents(document_ids: list[int]) -> int:
    """Judge every provision change of these documents again (idempotent; curations kept)."""
    return sum(
        refresh_changes(document) for document in Document.objects.filter(pk__in=document_ids)
    )
