"""Evaluation of the clause classifier on the labelled set.

Leave-one-platform-out: a platform's provisions are always classified by a model that never
saw that platform's labels, as a new platform's documents would be.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from comparisons.classifier import confidence_band, embed_taxonomy, train_classifier
from comparisons.taxonomy import read_labels, read_taxonomy
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


def pairwise_scores(gold: list[str], predicted: list[str | None], platforms: list[str]):
    """Precision/recall/F1 over pairs of provisions from different platforms.

    A pair is positive in the gold standard when both have the same label, and predicted
    positive when both were assigned the same type.
    """
    tp = fp = fn = 0
    for i, j in itertools.combinations(range(len(gold)), 2):
        if platforms[i] == platforms[j]:
            continue
        same_gold = gold[i] == gold[j]
        same_predicted = predicted[i] is not None and predicted[i] == predicted[j]
        tp += same_gold and same_predicted
        fp += same_predicted and not same_gold
        fn += same_gold and not same_predicted
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def evaluate(encoder, *, taxonomy=None, labels=None) -> Evaluation:
    """Leave-one-platform-out evaluation of the classifier on the labelled set."""
    # scikit-learn only when evaluating (see classifier.train_classifier).
    from sklearn.metrics import adjusted_rand_score

    taxonomy = taxonomy or read_taxonomy()
    labels = labels or read_labels()
    slugs = [t["slug"] for t in taxonomy]
    prototypes = embed_taxonomy(encoder, taxonomy)
    vectors = np.asarray(
        encoder.encode([normalize_text(label["text"]) for label in labels]), dtype=np.float32
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
        )
        probabilities = classifier.probabilities(vectors[test])
        for row, i in zip(probabilities, test, strict=True):
            best = int(row.argmax())
            predicted[i] = slugs[best] if confidence_band(row[best]) else None
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
    )
