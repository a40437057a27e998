"""The written clause-type taxonomy and the labelled examples, read from ``data/``.

The public way to read or load the clause types: the classifier trains on them, and the
regulation catalog (``regulations.catalog``) checks its links against them and loads them.
"""

from __future__ import annotations

import json
from pathlib import Path

from comparisons.models import ClauseType

DATA = Path(__file__).resolve().parent / "data"
TAXONOMY = DATA / "clause_types.json"
LABELS = DATA / "clause_labels.json"


def read_taxonomy(path: Path = TAXONOMY) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["clause_types"]


def read_labels(path: Path = LABELS) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["labels"]


def load_clause_types(taxonomy: list[dict] | None = None) -> dict[str, ClauseType]:
    """Create or refresh the written clause types; curator notes and merges are kept."""
    types = {}
    for row in taxonomy or read_taxonomy():
        types[row["slug"]], _ = ClauseType.objects.update_or_create(
            slug=row["slug"],
            defaults={
                "name": row["name"],
                "category": row["category"],
                "description": row["description"],
                "default_severity": row["default_severity"],
                "prototypes": row["prototypes"],
                "discovered": False,
            },
        )
    return types
