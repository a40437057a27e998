"""What runs after new versions arrive, written down once, as one Celery chain.

    embed the wordings in force  provisions.embed_documents (current_only)
    → assign clause types        comparisons.assign_provisions   (matches and coverage too)
    → embed the other wordings   provisions.embed_documents      (removed and earlier ones)
    (→ assign again              only if a removed provision's wording was waiting)
    → suggest regulation links   regulations.suggest_links
    → judge provision changes    changes.refresh_changes       (significance, direction)
    → queue alerts               alerts.enqueue_alerts          (outbox rows; beat sends them)
    → rebuild the dataset         datasets.build_dataset          (the download at /data/)

Current text first: on a first import of the whole corpus, the wordings of provisions in
force (about 60% of them) are embedded and assigned before the backlog of older ones, so
every page that shows clause types fills in minutes earlier. ``atlas.progress`` records each
step as the worker runs it.

Each step is a thin task in the app that owns it, and none enqueues the next: the chain does.
The importer (``provisions.ingest``), the tracker and curator actions start it once their
transaction commits. A curator's decision changes no wording, so it starts the chain at
assignment.

The steps are named by their (stable) task names instead of being imported: the importer and
the tracker sit below comparisons and regulations, and start the pipeline without importing
upward (see the import-linter contracts in pyproject.toml).
"""

from __future__ import annotations

from collections.abc import Iterable

from celery import chain
from django.db import connection, transaction
from django.db.models import Q

from atlas.celery import app

EMBED = "provisions.embed_documents"
ASSIGN = "comparisons.assign_provisions"
LINK = "regulations.suggest_links"
DATASET = "datasets.build_dataset"
CHANGES = "changes.refresh_changes"
ALERTS = "alerts.enqueue_alerts"

# Incremental assignment: each assignment step gets the ids of the provisions it has to
# (re)assign, ``assign_provisions(provision_ids=[...])``, instead of re-assigning the corpus
# (README.md, "Pipeline"); comparisons runs the full assignment itself when a change of
# model, taxonomy or labels needs it. A curator's decision still re-assigns the corpus.
INCREMENTAL = True


def affected_provisions(document_ids: list[int], *, in_force: bool) -> list[int]:
    """The provisions of these documents an assignment step must (re)assign: those in force
    and those this import removed (the first step, after the wordings in force: a provision
    removed now still counts in its type's matches and coverage until its type is refreshed),
    or every removed one (the second)."""
    from provisions.models import Provision

    provisions = Provision.objects.filter(document_id__in=document_ids)
    if not in_force:
        return sorted(provisions.filter(removed_in__isnull=False).values_list("pk", flat=True))
    # The import's versions were created in this transaction: PostgreSQL's now() is its start.
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        [started] = cursor.fetchone()
    provisions = provisions.filter(
        Q(removed_in__isnull=True) | Q(removed_in__created_at__gte=started)
    )
    return sorted(provisions.values_list("pk", flat=True))


def _assign(document_ids: list[int], *, in_force: bool):
    if not INCREMENTAL:
        return app.signature(ASSIGN, immutable=True)
    ids = affected_provisions(document_ids, in_force=in_force)
    return app.signature(ASSIGN, kwargs={"provision_ids": ids}, immutable=True)


def after_new_versions(document_ids: Iterable[int]) -> chain:
    """The chain for new versions of these documents: embed (current) → assign → embed (the
    rest) → [assign] → link → changes → alerts → dataset."""
    # Imported here: provisions' importer imports this module.
    from provisions.embeddings import pending_affects_assignment

    ids = sorted(document_ids)
    steps = [
        app.signature(EMBED, args=(ids,), kwargs={"current_only": True}, immutable=True),
        _assign(ids, in_force=True),
        app.signature(EMBED, args=(ids,), immutable=True),
    ]
    if pending_affects_assignment(ids):
        steps.append(_assign(ids, in_force=False))
    return chain(
        *steps,
        app.signature(LINK, immutable=True),
        app.signature(CHANGES, args=(ids,), immutable=True),
        app.signature(ALERTS, args=(ids,), immutable=True),
        app.signature(DATASET, immutable=True),
    )


def after_curation() -> chain:
    """The chain after a curator's decision: assign (which keeps it) → link → dataset."""
    return chain(*_after_embed(), app.signature(DATASET, immutable=True))


def _after_embed():
    # Immutable: each step reads the database, not the previous step's result.
    return [
        app.signature(ASSIGN, immutable=True),
        app.signature(LINK, immutable=True),
    ]


def enqueue_after_new_versions(document_ids: Iterable[int]) -> None:
    """Start the pipeline for these documents once the current transaction commits."""
    transaction.on_commit(after_new_versions(document_ids).delay)


def enqueue_after_curation() -> None:
    """Start assignment and links once the curator's transaction commits."""
    transaction.on_commit(after_curation().delay)
