"""What runs after new versions arrive, written down once, as one Celery chain.

    embed the new wordings       provisions.embed_documents
    → assign clause types        comparisons.assign_provisions   (matches and coverage too)
    → suggest regulation links   regulations.suggest_links
    → judge provision changes    changes.refresh_changes       (significance, direction)
    → rebuild the dataset         datasets.build_dataset          (the download at /data/)
    (→ alerts, when they come: one more step here)

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
from django.db import transaction

from atlas.celery import app

EMBED = "provisions.embed_documents"
ASSIGN = "comparisons.assign_provisions"
LINK = "regulations.suggest_links"
DATASET = "datasets.build_dataset"
CHANGES = "changes.refresh_changes"


def after_new_versions(document_ids: Iterable[int]) -> chain:
    """The chain for new versions: embed → assign → link → changes → dataset."""
    ids = sorted(document_ids)
    return chain(
        app.signature(EMBED, args=(ids,), immutable=True),
        *_after_embed(),
        app.signature(CHANGES, args=(ids,), immutable=True),
        app.signature(DATASET, immutable=True),
    )


def after_curation() -> chain:
    """The chain after a curator's decision: assign (which keeps it) → link."""
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
