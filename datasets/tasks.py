from celery import shared_task
from django.db import OperationalError

from datasets.build import build_dataset as build


@shared_task(
    name="datasets.build_dataset",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=3000,
    time_limit=3600,
)
def build_dataset() -> dict:
    """Rebuild the dataset download (idempotent: the same data gives the same zip); the last
    step of the pipeline (``atlas.pipeline``)."""
    manifest = build()
    return {"file": manifest["file"], "sha256": manifest["sha256"], "counts": manifest["counts"]}
