from celery import shared_task

from comparisons import clustering
from provisions.tasks import TASK_OPTIONS


@shared_task(
    name="comparisons.assign_provisions", soft_time_limit=1500, time_limit=1800, **TASK_OPTIONS
)
def assign_provisions() -> dict:
    """Assign clause types to every embedded provision and store cross-platform matches.

    Then suggest regulations: suggestions leave out the regulations a provision's (new) clause
    type already links, so they follow each assignment run.
    """
    from regulations import tasks as regulation_tasks

    result = clustering.assign_provisions()
    regulation_tasks.suggest_links.delay()
    return result


@shared_task(
    name="comparisons.train_classifier", soft_time_limit=1500, time_limit=1800, **TASK_OPTIONS
)
def train_classifier() -> bool:
    """Train and store the classifier the web process loads, unless it is stored already for
    this model and taxonomy (idempotent); queued when a worker starts."""
    return clustering.train_stored_classifier()
