from celery import shared_task

from comparisons import classifier, clustering
from provisions.tasks import TASK_OPTIONS


@shared_task(
    name="comparisons.assign_provisions", soft_time_limit=1500, time_limit=1800, **TASK_OPTIONS
)
def assign_provisions(provision_ids: list[int] | None = None) -> dict:
    """Assign clause types to every embedded provision, or to these only (a new document's:
    ``atlas.pipeline``), and store cross-platform matches (idempotent); the pipeline's step
    after embedding."""
    return clustering.assign_provisions(provision_ids=provision_ids)


@shared_task(
    name="comparisons.train_classifier", soft_time_limit=1500, time_limit=1800, **TASK_OPTIONS
)
def train_classifier() -> bool:
    """Train and store the classifier the web process loads, unless it is stored already for
    this model and taxonomy (idempotent); queued when a worker starts."""
    return classifier.train_stored_classifier()
