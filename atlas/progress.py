"""How far the pipeline (``atlas.pipeline``) has got, for pages, the API and ``make run``.

Each stage (embed, assign, link, and any step added to the chain) is recorded when its task
starts and finishes in the worker (Celery's ``task_prerun``/``task_postrun`` signals, keyed by
the task's name, so no app's task has to know about this module), in the cache that every
process shares (the database cache unless CACHE_URL names Redis). The numbers themselves are
counted from the database, what the pages show:

- embed: distinct clause wordings with an embedding for the configured model, of all;
- assign: provisions in force with a clause type, of all provisions in force;
- link: regulations' suggested links are recomputed as a whole: done 1 of 1 when it finished.

``snapshot()`` caches its counts: a busy page does not count 500,000 rows on every request
(~1.2 s at that size). They are counted again when the newest row of a table they read has
changed (``atlas.fingerprint``), so a new import or assignment shows at once, but not more
often than every few seconds while the worker writes, and at least every minute.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from celery.signals import task_failure, task_postrun, task_prerun
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError

from atlas import fingerprint

logger = logging.getLogger(__name__)

# Task name -> stage, in the pipeline's order (atlas.pipeline names the same tasks).
STAGES = {
    "provisions.embed_documents": "embed",
    "provisions.embed_pending": "embed",
    "comparisons.assign_provisions": "assign",
    "regulations.suggest_links": "link",
}
ORDER = ["embed", "assign", "link"]
KEY = "pipeline-progress:"
# v2: kept by atlas.fingerprint, with its fingerprint and time beside the counts
SNAPSHOT_KEY = "pipeline-progress-snapshot:v2"
SNAPSHOT_SECONDS = 3
# Tables whose newest row changes when the counts can: new wordings, provisions, versions
# (which remove provisions), embeddings and assignments (each run writes its rows anew).
FINGERPRINT_TABLES = [
    "provisions_revision",
    "provisions_provision",
    "provisions_version",
    "provisions_textembedding",
    "comparisons_assignment",
]
RECORD_SECONDS = 7 * 24 * 3600


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def record(stage: str, **fields) -> None:
    """Merge ``fields`` into the stage's record (started, finished, state, error)."""
    try:
        current = cache.get(KEY + stage) or {}
        current.update(fields)
        cache.set(KEY + stage, current, RECORD_SECONDS)
        cache.delete(SNAPSHOT_KEY)
    except DatabaseError:  # progress is never worth failing the work it reports on
        logger.warning("could not record the progress of %s", stage, exc_info=True)


def started(stage: str) -> None:
    record(stage, state="running", started=_now(), finished=None, error=None)


def finished(stage: str, *, error: str | None = None) -> None:
    record(stage, state="failed" if error else "done", finished=_now(), error=error)


@task_prerun.connect
def _on_prerun(sender=None, **_):
    stage = STAGES.get(getattr(sender, "name", ""))
    if stage:
        started(stage)


@task_postrun.connect
def _on_postrun(sender=None, state=None, **_):
    stage = STAGES.get(getattr(sender, "name", ""))
    if stage and state == "SUCCESS":
        finished(stage)


@task_failure.connect
def _on_failure(sender=None, exception=None, **_):
    stage = STAGES.get(getattr(sender, "name", ""))
    if stage:
        finished(stage, error=f"{type(exception).__name__}: {exception}")


def counts() -> dict[str, tuple[int, int]]:
    """(done, total) per stage, counted from the database."""
    # Looked up, not imported: the worker loads this module through provisions' tasks, and
    # provisions never imports the apps above it (the import-linter contracts).
    from django.apps import apps

    from provisions.embeddings import embedding_progress

    Assignment = apps.get_model("comparisons", "Assignment")
    Provision = apps.get_model("provisions", "Provision")
    embedded, wordings = embedding_progress(settings.EMBEDDING_MODEL)
    in_force = Provision.objects.filter(removed_in__isnull=True)
    typed = Assignment.objects.filter(provision__removed_in__isnull=True)
    link = cache.get(KEY + "link") or {}
    return {
        "embed": (embedded, wordings),
        "assign": (typed.values("provision_id").distinct().count(), in_force.count()),
        "link": (1 if link.get("state") == "done" else 0, 1),
    }


UNITS = {
    "embed": "distinct clause wordings embedded",
    "assign": "provisions in force with a clause type",
    "link": "regulation link suggestions computed",
}


def snapshot() -> dict:
    """Every stage with its counts and times, and whether work is under way: ``working`` is
    true while a stage runs or wordings wait for their embedding."""
    return fingerprint.cached(
        SNAPSHOT_KEY,
        FINGERPRINT_TABLES,
        _count_snapshot,
        recent=SNAPSHOT_SECONDS,  # while work runs, counted every few seconds at most
        also=(settings.EMBEDDING_MODEL,),  # the embeddings counted are this model's
    )


def _count_snapshot() -> dict:
    numbers = counts()
    stages = []
    for name in ORDER:
        done, total = numbers[name]
        record_ = cache.get(KEY + name) or {}
        stages.append(
            {
                "stage": name,
                "state": record_.get("state") or ("done" if total and done >= total else "idle"),
                "done": done,
                "total": total,
                "unit": UNITS[name],
                "started": record_.get("started"),
                "finished": record_.get("finished"),
                "error": record_.get("error"),
            }
        )
    embed = stages[0]
    working = any(s["state"] == "running" for s in stages) or embed["done"] < embed["total"]
    return {"working": working, "stages": stages, "summary": summary(stages, working)}


def summary(stages: list[dict], working: bool) -> str:
    """One line for people: what is being done, with the numbers."""
    embed, assign = stages[0], stages[1]
    if not working:
        return (
            f"Up to date: {assign['done']:,} of {assign['total']:,} provisions in force have a "
            f"clause type; {embed['done']:,} of {embed['total']:,} wordings embedded."
        )
    if embed["done"] < embed["total"]:
        return (
            f"Clause types: {embed['done']:,} of {embed['total']:,} wordings embedded; "
            f"{assign['done']:,} of {assign['total']:,} provisions in force typed so far. "
            "Comparisons fill in as they finish."
        )
    running = next((s["stage"] for s in stages if s["state"] == "running"), "assign")
    return (
        f"Clause types: every wording embedded; {running} under way "
        f"({assign['done']:,} of {assign['total']:,} provisions in force typed). "
        "Comparisons fill in as they finish."
    )


def watch(every: float = 10.0, *, once: bool = False) -> None:
    """Print the summary whenever it changes (``make run`` runs this beside the server)."""
    last = None
    while True:
        try:
            cache.delete(SNAPSHOT_KEY)
            line = snapshot()["summary"]
        except DatabaseError as error:  # the database restarting: try again
            line = f"progress unavailable: {error}"
        if line != last:
            print(f"[{datetime.now().strftime('%H:%M:%S')}] {line}", flush=True)
            last = line
        if once:
            return
        time.sleep(every)


if __name__ == "__main__":
    import os
    import sys

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atlas.settings")
    django.setup()
    numbers = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    watch(float(numbers[0]) if numbers else 10.0, once="--once" in sys.argv)
