from celery import shared_task
from django.db import OperationalError

from comparisons import clustering


@shared_task(
    name="comparisons.assign_provisions",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=1500,
    time_limit=1800,
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
