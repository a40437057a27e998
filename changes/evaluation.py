"""How well the stored significance matches provision changes labelled by reading.

``data/significance_labels.json`` lists provision changes from the real history (the OTA
GenAI bundle), each labelled by reading its before and after text, before the classifier's
output was looked at; ``significance_labels_second.json`` a second sample, and
``significance_heldout.json`` a third, held out: the rules were written from the first two
sets' errors, never from the third's (``SETS``). A label names its change independently of
database ids: the document (platform and document slugs), the sha256 of the version it
appeared in, the action, and the sha256 of its before and after text. Scoring reads what the
product stores (``ProvisionChange``, curations ignored), so it scores what pages and feeds
show.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from changes.models import ProvisionChange, Significance

DATA = Path(__file__).resolve().parent / "data"
LABELS = DATA / "significance_labels.json"
# The sets labelled by reading: two whose errors were read to write the rules, and one held
# out (its errors never looked at), whose figure is the honest one.
HELD_OUT = "held-out"
SETS = {
    "development": [LABELS, DATA / "significance_labels_second.json"],
    HELD_OUT: [DATA / "significance_heldout.json"],
}


def text_sha(text: str | None) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest() if text is not None else ""


def change_key(change: ProvisionChange) -> tuple:
    document = change.document
    return (
        document.platform.slug,
        document.slug,
        change.version.sha256,
        change.action,
        text_sha(change.evidence.get("before")),
        text_sha(change.evidence.get("after")),
    )


def label_key(label: dict) -> tuple:
    return (
        label["platform"],
        label["document"],
        label["version_sha256"],
        label["action"],
        label["before_sha256"],
        label["after_sha256"],
    )


@dataclass
class Evaluation:
    total: int = 0
    correct: int = 0
    missing: list[dict] = field(default_factory=list)
    confusion: Counter = field(default_factory=Counter)  # (labelled, predicted) -> count
    errors: list[tuple[dict, ProvisionChange]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def substantive_called_cosmetic(self) -> int:
        return self.confusion[(Significance.SUBSTANTIVE.value, Significance.COSMETIC.value)]


def load_labels(path: Path = LABELS) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["changes"]


def load_sets() -> dict[str, list[dict]]:
    """Set name -> its labelled changes (``SETS``)."""
    return {
        name: [label for path in paths for label in load_labels(path)]
        for name, paths in SETS.items()
    }


def evaluate(labels: list[dict]) -> Evaluation:
    wanted = {label_key(label): label for label in labels}
    platforms = {label["platform"] for label in labels}
    found = {}
    for change in (
        ProvisionChange.objects.filter(document__platform__slug__in=platforms)
        .select_related("document__platform", "version")
        .defer("version__text")
    ):
        key = change_key(change)
        if key in wanted:
            found[key] = change
    result = Evaluation()
    for key, label in wanted.items():
        change = found.get(key)
        if change is None:
            result.missing.append(label)
            continue
        result.total += 1
        result.confusion[(label["significance"], change.significance)] += 1
        if label["significance"] == change.significance:
            result.correct += 1
        else:
            result.errors.append((label, change))
    return result
