from celery import shared_task
from django.db import OperationalError

# Imported for its signal handlers: the worker records each pipeline stage's start and end.
from atlas import progress  # noqa: F401
from provisions import embeddings, ingest
from provisions.models import Document

TASK_OPTIONS = {
    "acks_late": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(
    name="provisions.embed_documents", soft_time_limit=3000, time_limit=3600, **TASK_OPTIONS
)
def embed_documents(document_ids: list[int], current_only: bool = False) -> int:
    """Embed the new wordings of these documents (idempotent), those of provisions in force
    first (only those with ``current_only``); the first step of the pipeline
    (``atlas.pipeline``). Ids of documents that no longer exist are skipped."""
    # All documents at once: large, length-sorted chunks keep the encoder's batches full.
    existing = list(Document.objects.filter(pk__in=document_ids).values_list("pk", flat=True))
    if not existing:
        return 0
    return embeddings.embed_pending(document_ids=existing, current_only=current_only)


@shared_task(
    name="provisions.embed_pending",
    soft_time_limit=3000,
    time_limit=3600,
    **TASK_OPTIONS,
)
def embed_pending() -> int:
    """Embed every clause wording not yet embedded with the configured model (idempotent)."""
    return embeddings.embed_pending()


@shared_task(
    name="provisions.import_sources", soft_time_limit=3000, time_limit=3600, **TASK_OPTIONS
)
def import_sources(source_names: list[str], remote_only: bool = True) -> dict:
    """Import these sources (idempotent: a second run stores nothing new); queued by the API,
    so by default only public git URLs are read (checked again here: DNS may have changed)."""
    report = ingest.import_sources(
        source_names, remote=ingest.remote_policy() if remote_only else None
    )
    return {"captures": report.captures, "versions": report.versions, "errors": report.errors}
