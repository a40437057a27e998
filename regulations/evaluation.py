"""Precision and recall of the applicable regulations against labelled provision pairs.

The pairs (``regulations/data/regulation_labels.json``) were labelled by reading each clause and the
catalog's summary of each law: ``expected`` is whether the law addresses the conduct or duty
the clause governs. A provision is located by the corpus file it was read in and its exact
text; its predicted regulations are what its page shows as applicable (curated links of its
stored clause type, with curator overrides), so the figures measure the links end to end.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from comparisons.models import Assignment
from provisions.models import Capture, Span, Version
from regulations.models import Regulation
from regulations.queries import applicable_by_provision

LABELS = Path(__file__).resolve().parent / "data" / "regulation_labels.json"


class EvaluationError(Exception):
    pass


def read_pairs(path: Path = LABELS) -> list[dict]:
    return json.loads(Path(path).read_text(encoding="utf-8"))["pairs"]


def locate_provisions(pairs: list[dict]) -> dict[tuple[str, str], int]:
    """(corpus path, exact text) -> provision id, for the pairs whose clause is stored."""
    versions = dict(
        Capture.objects.filter(
            kind="corpus", path__in={pair["path"] for pair in pairs}
        ).values_list("path", "version_id")
    )
    texts = dict(Version.objects.filter(pk__in=set(versions.values())).values_list("pk", "text"))
    spans = {
        (version_id, start, end): provision_id
        for version_id, start, end, provision_id in Span.objects.filter(
            version_id__in=set(versions.values())
        ).values_list("version_id", "start", "end", "provision_id")
    }
    found = {}
    for pair in pairs:
        version_id = versions.get(pair["path"])
        if version_id is None:
            continue
        start = texts[version_id].find(pair["text"])
        provision_id = spans.get((version_id, start, start + len(pair["text"])))
        if start >= 0 and provision_id is not None:
            found[(pair["path"], pair["text"])] = provision_id
    return found


@dataclass
class Evaluation:
    pairs: int
    provisions: int
    assigned: int  # labelled provisions with a stored clause type
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    errors: list[tuple[str, dict]] = field(default_factory=list)  # ("false positive", pair)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0


def evaluate_links(pairs: list[dict] | None = None) -> Evaluation:
    """Compare each pair's label with whether the regulation is applicable to the provision.

    Raises EvaluationError when a labelled clause or regulation is not in the database (the
    corpus or the catalog was not loaded): figures over part of the set would mislead.
    """
    pairs = pairs if pairs is not None else read_pairs()
    located = locate_provisions(pairs)
    missing = {(p["path"], p["text"]) for p in pairs} - set(located)
    if missing:
        path, text = sorted(missing)[0]
        raise EvaluationError(
            f"{len(missing)} labelled provisions are not stored (first: {path}: {text[:60]!r}); "
            "import the corpus first"
        )
    unknown = {p["regulation"] for p in pairs} - set(
        Regulation.objects.values_list("slug", flat=True)
    )
    if unknown:
        raise EvaluationError(f"unknown regulations {sorted(unknown)}; run load_regulations")
    ids = set(located.values())
    applicable = applicable_by_provision(ids)
    result = Evaluation(
        pairs=len(pairs),
        provisions=len(ids),
        assigned=Assignment.objects.filter(provision_id__in=ids).count(),
    )
    for pair in pairs:
        links = applicable[located[(pair["path"], pair["text"])]]
        predicted = pair["regulation"] in {link.regulation.slug for link in links}
        if predicted and pair["expected"]:
            result.tp += 1
        elif predicted:
            result.fp += 1
            result.errors.append(("false positive", pair))
        elif pair["expected"]:
            result.fn += 1
            result.errors.append(("false negative", pair))
        else:
            result.tn += 1
    return result
