"""The written clause-type taxonomy and the labelled examples, read from ``data/``.

The public way to read or load the clause types: the classifier trains on them, and the
regulation catalog (``regulations.catalog``) checks its links against them and loads them.

A type that stated several rules is *retired* when it is split into one type per rule (or
renamed): ``clause_types.json`` lists it under ``retired`` with the types that replace it.
Its address keeps working (``comparisons.views``), and a curator's assignment to it moves to
the replacing type the classifier prefers (``comparisons.clustering``).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from django.db import transaction

from comparisons.models import Assignment, ClauseType

DATA = Path(__file__).resolve().parent / "data"
TAXONOMY = DATA / "clause_types.json"
LABELS = DATA / "clause_labels.json"
# The label of clauses that state no rule (headings, definitions, cross-references, legal-basis
# items): a class of the classifier, never a clause type.
NO_RULE = "no-rule"


def read_taxonomy(path: Path = TAXONOMY) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["clause_types"]


def read_labels(path: Path = LABELS) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["labels"]


def read_retired(path: Path = TAXONOMY) -> dict[str, dict]:
    """Retired slug -> {"name", "replaced_by": [slugs], "retired": date, "reason"}."""
    rows = json.loads(path.read_text(encoding="utf-8")).get("retired", [])
    return {row["slug"]: row for row in rows}


@cache
def retired_types() -> dict[str, dict]:
    """The shipped taxonomy's retired types (read once per process, for the web)."""
    return read_retired()


def load_clause_types(taxonomy: list[dict] | None = None, retired=None) -> dict[str, ClauseType]:
    """Create or refresh the written clause types; curator notes and merges are kept.

    Retired types are deleted, with their classifier assignments, coverage and links, unless a
    curator assigned a provision to one: the next full assignment run moves those assignments
    to a replacing type first (``comparisons.clustering.move_retired``).
    """
    types = {}
    with transaction.atomic():
        for row in taxonomy or read_taxonomy():
            types[row["slug"]], _ = ClauseType.objects.update_or_create(
                slug=row["slug"],
                defaults={
                    "name": row["name"],
                    "category": row["category"],
                    "binds": row["binds"],
                    "description": row["description"],
                    "default_severity": row["default_severity"],
                    "prototypes": row["prototypes"],
                    "discovered": False,
                },
            )
        retired = read_retired() if retired is None else retired
        kept = Assignment.objects.filter(basis="curated", clause_type__slug__in=retired)
        ClauseType.objects.filter(slug__in=retired, discovered=False).exclude(
            pk__in=kept.values("clause_type_id")
        ).delete()
    return types
