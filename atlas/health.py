"""``/health/`` for load balancers and people: is each part that the site needs up?

Reports the database, the broker and the Celery worker separately, each with a short timeout,
so a stuck part makes the answer "down" rather than a hanging check; 200 when all are up, 503
(with ``Retry-After``) otherwise.
"""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from atlas.celery import app
from atlas.errors import RETRY_AFTER

TIMEOUT_SECONDS = 2


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return f"down: {error}".strip()
    return "up"


def check_broker() -> str:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=TIMEOUT_SECONDS)
    except Exception as error:  # kombu raises the transport's own errors: any is "down"
        return f"down: {error}"
    return "up"


def check_worker() -> str:
    try:
        # The first answer is enough: without a limit, ping waits out the whole timeout.
        replies = app.control.ping(timeout=TIMEOUT_SECONDS, limit=1)
    except Exception as error:  # the broker is down too: reported by check_broker
        return f"down: {error}"
    if not replies:
        return f"down: no worker answered within {TIMEOUT_SECONDS} s"
    return "up"


@never_cache
@require_safe
def health(request):
    parts = {"database": check_database(), "broker": check_broker(), "worker": check_worker()}
    healthy = all(state.startswith("up") for state in parts.values())
    response = JsonResponse(
        {"status": "ok" if healthy else "unavailable", **parts}, status=200 if healthy else 503
    )
    if not healthy:
        response["Retry-After"] = str(RETRY_AFTER)
    return response
