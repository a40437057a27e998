"""Evaluation of clause types: on the labelled set, and on the blind set as stored.

Labelled set, leave-one-platform-out: a platform's provisions are always classified by a model
that never saw that platform's labels, as a new platform's documents would be.

Blind set (``score_blind``): provisions of platforms in no training label, grouped by rule by
reading, scored on what the worker stored after a real import (``comparisons.blind``).
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from comparisons.classifier import (
    classifier_slugs,
    context_vectors,
    embed_taxonomy,
    read_row,
    train_classifier,
)
from comparisons.taxonomy import NO_RULE, read_labels, read_taxonomy
from provisions.parse import normalize_text


@dataclass
class Evaluation:
    precision: float
    recall: float
    f1: float
    adjusted_rand: float
    accuracy: float
    per_type: dict[str, tuple[float, float, int]]  # slug -> (precision, recall, support)
    labels: int
    platforms: int
    # Clauses labelled as stating no rule, read as such: (precision, recall, support).
    no_rule: tuple[float, float, int] = (0.0, 0.0, 0)


def pairwise_scores(gold: list[str], predicted: list[str | None], platforms: list[str]):
    """Precision/recall/F1 over pairs of provisions from different platforms.

    A pair is positive in the gold standard when both have the same label, and predicted
    positive when both were assigned the same type.
    """
    score = _pairs(gold, predicted, platforms, lambda a, b: a != b)
    return score.precision, score.recall, score.f1


def evaluate(encoder, *, taxonomy=None, labels=None) -> Evaluation:
    """Leave-one-platform-out evaluation of the classifier on the labelled set."""
    # scikit-learn only when evaluating (see classifier.train_classifier).
    from sklearn.metrics import adjusted_rand_score

    taxonomy = taxonomy or read_taxonomy()
    labels = labels or read_labels()
    slugs = classifier_slugs(taxonomy)
    categories = {t["slug"]: t["category"] for t in taxonomy}
    prototypes = embed_taxonomy(encoder, taxonomy)
    vectors = np.asarray(
        encoder.encode([normalize_text(label["text"]) for label in labels]), dtype=np.float32
    )
    contexts, present = context_vectors(
        [label.get("context", "") for label in labels], encoder, dimensions=vectors.shape[1]
    )
    gold = [label["clause_type"] for label in labels]
    platforms = [label["path"].split("/")[0] for label in labels]
    predicted: list[str | None] = [None] * len(labels)
    for platform in sorted(set(platforms)):
        train = [i for i, p in enumerate(platforms) if p != platform]
        test = [i for i, p in enumerate(platforms) if p == platform]
        classifier = train_classifier(
            slugs=slugs,
            prototype_vectors=prototypes,
            label_vectors=vectors[train],
            label_slugs=[gold[i] for i in train],
            label_contexts=(contexts[train], [present[i] for i in train]),
        )
        probabilities = classifier.probabilities_in_context(
            vectors[test], contexts[test], [present[i] for i in test]
        )
        for row, i in zip(probabilities, test, strict=True):
            reading = read_row(row, slugs, categories)
            predicted[i] = NO_RULE if not reading.states_rule else reading.clause_type
    no_rule = _no_rule_score(gold, predicted)
    # Types are scored on the clauses that state a rule; "no rule" is scored apart.
    rules = [i for i, g in enumerate(gold) if g != NO_RULE]
    gold = [gold[i] for i in rules]
    predicted = [None if predicted[i] == NO_RULE else predicted[i] for i in rules]
    platforms = [platforms[i] for i in rules]
    precision, recall, f1 = pairwise_scores(gold, predicted, platforms)
    per_type = {}
    for slug in sorted(set(gold) | {p for p in predicted if p}):
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == slug and p == slug)
        assigned = sum(1 for p in predicted if p == slug)
        support = sum(1 for g in gold if g == slug)
        per_type[slug] = (
            tp / assigned if assigned else 0.0,
            tp / support if support else 0.0,
            support,
        )
    return Evaluation(
        precision=precision,
        recall=recall,
        f1=f1,
        adjusted_rand=adjusted_rand_score(gold, [p or "(none)" for p in predicted]),
        accuracy=sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold),
        per_type=per_type,
        labels=len(labels),
        platforms=len(set(platforms)),
        no_rule=no_rule,
    )


def _no_rule_score(gold: list[str], predicted: list[str | None]) -> tuple[float, float, int]:
    said = sum(p == NO_RULE for p in predicted)
    right = sum(g == p == NO_RULE for g, p in zip(gold, predicted, strict=True))
    support = sum(g == NO_RULE for g in gold)
    return (right / said if said else 0.0, right / support if support else 0.0, support)


# -- the blind set, scored on what is stored ------------------------------------------------
#
# comparisons/data/blind_set.json: provisions of platforms in no training label, grouped by rule
# by reading (see its header). ``comparisons.blind`` imports its documents through the real path,
# waits for the worker and reads what was stored; the arithmetic below is pure, so that it can be
# checked on a hand-made example.

BLIND_SET = Path(__file__).resolve().parent / "data" / "blind_set.json"
# A gold span matches the stored provision it overlaps most when their overlap is at least this
# share of the two spans' union (1.0: the same span).
SPAN_MATCH = 0.5


def read_blind_set(path: Path = BLIND_SET) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class GoldItem:
    id: str
    platform: str
    group: str | None  # None: states no rule
    regulations: dict[str, bool] = field(default_factory=dict)  # slug -> clearly engaged?
    binds: str = ""  # users | provider | user right (read with the rule)


@dataclass(frozen=True)
class StoredItem:
    """What Atlas stored for one gold span (``provision`` None: no stored span matched)."""

    provision: int | None = None
    overlap: float = 0.0
    clause_type: str | None = None
    category: str | None = None
    discovered: bool = False
    binds: str = ""  # whom the stored type's rule binds
    links: frozenset[str] = frozenset()  # applicable regulations (inherited or curated)
    suggested: frozenset[str] = frozenset()  # the worker's "possibly related" ones


def _share(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


@dataclass(frozen=True)
class PairScore:
    """Counts of true positives, false positives and false negatives (pairs, or links)."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return _share(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return _share(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float:
        return _share(2 * self.precision * self.recall, self.precision + self.recall)

    def as_dict(self) -> dict:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass
class BlindScore:
    items: int
    rule_items: int
    platforms: int
    groups: int
    cross_platform_groups: int
    matched: int  # gold spans matched to a stored provision
    exact: int  # ... to a stored provision with exactly the same span
    pairs: dict[str, PairScore]  # all | cross_platform | blind
    adjusted_rand: float
    unassigned: list[str]  # ids of rule items stored with neither a type nor a category
    category_only: list[str]  # ids of rule items stored with a category but no type
    discovered_only: list[str]  # ids of rule items whose type is a discovered (unnamed) one
    no_rule_typed: list[str]  # ids of no-rule items that were given a clause type
    per_type: dict[str, dict]  # slug -> {"assigned", "group", "correct", "precision"}
    links: dict[str, PairScore | None]  # applicable | with_suggested (tp/fp/fn on labelled pairs)
    unmatched: list[str] = field(default_factory=list)
    # Rule items with a written type: how many, and how many whose type binds whom the gold
    # reading says (a type binding "both" parties never agrees).
    binds: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "items": self.items,
            "rule_items": self.rule_items,
            "no_rule_items": self.items - self.rule_items,
            "platforms": self.platforms,
            "groups": self.groups,
            "cross_platform_groups": self.cross_platform_groups,
            "span_coverage": {
                "matched": self.matched,
                "exact": self.exact,
                "of": self.items,
                "share": round(self.matched / self.items, 4) if self.items else 0.0,
            },
            "pairs": {name: score.as_dict() for name, score in self.pairs.items()},
            "adjusted_rand": round(self.adjusted_rand, 4),
            "unassigned": self.unassigned,
            "category_only": self.category_only,
            "binds": self.binds,
            "discovered_only": self.discovered_only,
            "no_rule_typed": self.no_rule_typed,
            "per_type": self.per_type,
            "links": {name: s.as_dict() if s else None for name, s in self.links.items()},
            "unmatched": self.unmatched,
        }


def gold_items(blind: dict, platforms: set[str] | None = None) -> list[GoldItem]:
    """The blind set's items (of these platforms, if given), each with the regulation labels of
    its group."""
    regulations = {
        group["key"]: {r["regulation"]: r["expected"] for r in group.get("regulations", [])}
        for group in blind["groups"]
    }
    return [
        GoldItem(
            id=item["id"],
            platform=item["platform"],
            group=item["group"],
            regulations=regulations.get(item["group"], {}) if item["group"] else {},
            binds=item.get("binds", "") if item["group"] else "",
        )
        for item in blind["items"]
        if platforms is None or item["platform"] in platforms
    ]


def span_overlap(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Characters the two spans share, as a share of their union (1.0: the same span)."""
    shared = min(a[1], b[1]) - max(a[0], b[0])
    if shared <= 0:
        return 0.0
    return shared / (max(a[1], b[1]) - min(a[0], b[0]))


def best_span(gold: tuple[int, int], spans: dict[tuple[int, int], int]) -> tuple[int | None, float]:
    """The stored provision whose span overlaps the gold span most, if it overlaps enough."""
    best, best_overlap = None, 0.0
    for span, provision in spans.items():
        overlap = span_overlap(gold, span)
        if overlap > best_overlap:
            best, best_overlap = provision, overlap
    return (best, best_overlap) if best_overlap >= SPAN_MATCH else (None, best_overlap)


def _pairs(gold, predicted, platforms, keep) -> PairScore:
    tp = fp = fn = 0
    for i, j in itertools.combinations(range(len(gold)), 2):
        if not keep(platforms[i], platforms[j]):
            continue
        same_gold = gold[i] == gold[j]
        same_predicted = predicted[i] is not None and predicted[i] == predicted[j]
        tp += same_gold and same_predicted
        fp += same_predicted and not same_gold
        fn += same_gold and not same_predicted
    return PairScore(tp, fp, fn)


def _link_score(items: list[GoldItem], stored: list[StoredItem], *, suggested: bool):
    tp = fp = fn = 0
    labelled = False
    for item, found in zip(items, stored, strict=True):
        linked = found.links | (found.suggested if suggested else frozenset())
        for regulation, expected in item.regulations.items():
            labelled = True
            tp += expected and regulation in linked
            fn += expected and regulation not in linked
            fp += (not expected) and regulation in linked
    return PairScore(tp, fp, fn) if labelled else None


def score_blind(
    items: list[GoldItem], stored: list[StoredItem], *, blind_platforms: set[str]
) -> BlindScore:
    """Score what was stored for each gold item against the rule groups read by hand.

    Pairs are counted over the items that state a rule (no-rule items are scored apart: they
    should get no rule type). A rule item whose span matched nothing, or that got no type,
    predicts "no group", so every pair it belongs to is missed. In the adjusted Rand index each
    such item is a cluster of its own (not one big "unassigned" cluster).
    """
    from sklearn.metrics import adjusted_rand_score

    rule = [(item, found) for item, found in zip(items, stored, strict=True) if item.group]
    gold = [item.group for item, _ in rule]
    predicted = [found.clause_type for _, found in rule]
    platforms = [item.platform for item, _ in rule]
    pairs = {
        "all": _pairs(gold, predicted, platforms, lambda a, b: True),
        "cross_platform": _pairs(gold, predicted, platforms, lambda a, b: a != b),
        "blind": _pairs(
            gold,
            predicted,
            platforms,
            lambda a, b: a != b and (a in blind_platforms or b in blind_platforms),
        ),
    }
    clusters = [p if p is not None else f"(none {i})" for i, p in enumerate(predicted)]
    adjusted_rand = adjusted_rand_score(gold, clusters) if len(gold) > 1 else 0.0
    group_platforms: dict[str, set[str]] = {}
    for item, _ in rule:
        group_platforms.setdefault(item.group, set()).add(item.platform)
    per_type: dict[str, dict] = {}
    for item, found in zip(items, stored, strict=True):
        if found.clause_type:
            per_type.setdefault(found.clause_type, {"members": []})["members"].append(item.group)
    for row in per_type.values():
        members = row.pop("members")
        counts = Counter(m for m in members if m)
        group, correct = counts.most_common(1)[0] if counts else (None, 0)
        row.update(
            assigned=len(members), group=group, correct=correct, precision=correct / len(members)
        )
    return BlindScore(
        items=len(items),
        rule_items=len(rule),
        platforms=len({item.platform for item in items}),
        groups=len(group_platforms),
        cross_platform_groups=sum(len(p) > 1 for p in group_platforms.values()),
        matched=sum(found.provision is not None for found in stored),
        exact=sum(found.provision is not None and found.overlap == 1.0 for found in stored),
        pairs=pairs,
        adjusted_rand=float(adjusted_rand),
        unassigned=[
            item.id for item, found in rule if not found.clause_type and not found.category
        ],
        category_only=[item.id for item, found in rule if found.category and not found.clause_type],
        binds={
            "typed": sum(1 for _, found in rule if found.binds),
            "agree": sum(1 for item, found in rule if found.binds and found.binds == item.binds),
        },
        discovered_only=[item.id for item, found in rule if found.discovered],
        no_rule_typed=[
            item.id
            for item, found in zip(items, stored, strict=True)
            if not item.group and found.clause_type and not found.discovered
        ],
        per_type=dict(sorted(per_type.items())),
        links={
            "applicable": _link_score(items, stored, suggested=False),
            "with_suggested": _link_score(items, stored, suggested=True),
        },
        unmatched=[
            item.id for item, found in zip(items, stored, strict=True) if not found.provision
        ],
    )
