"""Classify one clause text on demand (the API's ``POST /api/v1/classify/``).

The classifier is the worker's (``comparisons.classifier``): the worker trains it and stores it
(``TrainedClassifier``), and this module loads it once per process, model and training data.
The web process never trains it nor encodes the taxonomy; until the worker has stored it,
``WarmingUp`` says how far the worker has got. The sentence model is still loaded lazily here to
encode the submitted text, which is encoded in memory and never stored (it may come from
someone's unpublished draft).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from comparisons.classifier import (
    ClauseClassifier,
    load_classifier,
    read_row,
    training_digest,
    training_texts,
)
from comparisons.clustering import store_coverage
from comparisons.models import Assignment, Basis, CategoryAssignment, Confidence
from comparisons.taxonomy import read_labels, read_taxonomy
from provisions import embeddings
from provisions.models import TextEmbedding
from provisions.parse import hash_text, normalize_text

CANDIDATES = 3  # next-best types shown after the chosen one

_classifiers: dict[tuple[str, str], tuple[ClauseClassifier, dict[str, dict]]] = {}
_lock = threading.Lock()


class WarmingUp(RuntimeError):
    """The worker has not stored the classifier for this model yet (it trains it after start)."""

    def __init__(self, embedded: int, total: int):
        self.embedded, self.total = embedded, total
        super().__init__(
            f"the worker is training the classifier ({embedded} of {total} training texts embedded)"
        )


@dataclass(frozen=True)
class Candidate:
    slug: str
    name: str
    category: str
    default_severity: str
    score: float


@dataclass(frozen=True)
class Classification:
    best: Candidate
    confidence: str | None  # high, medium, low; None below 0.30 (no type fits well)
    candidates: list[Candidate]  # the next CANDIDATES types, best first
    model_name: str
    category: str | None = None  # the type's, or one whose types together reach 0.5
    category_score: float = 0.0
    states_rule: bool = True  # False: read as a heading, definition, cross-reference...


@lru_cache(maxsize=1)
def _training() -> tuple[list[dict], str, list[str]]:
    """The taxonomy, the digest of the training data and its text hashes (read once)."""
    taxonomy, labels = read_taxonomy(), read_labels()
    hashes = sorted({hash_text(normalize_text(t)) for t in training_texts(taxonomy, labels)})
    return taxonomy, training_digest(taxonomy, labels), hashes


def training_progress(model_name: str) -> tuple[int, int]:
    """How many of the classifier's training texts the worker has embedded, of how many."""
    hashes = _training()[2]
    embedded = TextEmbedding.objects.filter(model_name=model_name, text_hash__in=hashes).count()
    return embedded, len(hashes)


def trained_classifier(encoder) -> tuple[ClauseClassifier, dict[str, dict]]:
    """The worker's classifier for this encoder, loaded once; ``WarmingUp`` until it is stored."""
    taxonomy, digest, _ = _training()
    key = (encoder.name, digest)
    with _lock:
        if key not in _classifiers:
            classifier = load_classifier(encoder.name, digest)
            if classifier is None:
                raise WarmingUp(*training_progress(encoder.name))
            _classifiers[key] = (classifier, {t["slug"]: t for t in taxonomy})
        return _classifiers[key]


def classify_text(text: str, *, context: str = "", encoder=None) -> Classification:
    """Read ``text`` as the worker reads a stored clause (``classifier.read_row``), under
    ``context`` (its heading or its list's lead-in) when given."""
    encoder = encoder or embeddings.get_encoder()
    classifier, taxonomy = trained_classifier(encoder)
    vector = np.asarray(encoder.encode([normalize_text(text)]), dtype=np.float32)
    context = normalize_text(context)
    if context:
        context_vector = np.asarray(encoder.encode([context]), dtype=np.float32)
        row = classifier.probabilities_in_context(vector, context_vector, [True])[0]
    else:
        row = classifier.probabilities(vector)[0]
    categories = {slug: t["category"] for slug, t in taxonomy.items()}
    reading = read_row(row, classifier.slugs, categories, keep=CANDIDATES + 1)
    ranked = [
        Candidate(
            slug=slug,
            name=taxonomy[slug]["name"],
            category=taxonomy[slug]["category"],
            default_severity=taxonomy[slug]["default_severity"],
            score=round(probability, 4),
        )
        for slug, probability in reading.ranked
    ]
    return Classification(
        best=ranked[0],
        confidence=reading.band,
        candidates=ranked[1:],
        model_name=encoder.name,
        category=reading.category,
        category_score=reading.category_score,
        states_rule=reading.states_rule,
    )


def curate_clause_type(*, provision, clause_type, curator: str):
    """A curator's decision that ``provision`` is of ``clause_type``; every re-run keeps it.

    The classifier's previous choice, if different, stays visible as the runner-up. The two
    types' stored coverage follows at once (the clause-type and regulation pages count from
    it); matches on other platforms are recomputed by the worker's next assignment run.
    """
    CategoryAssignment.objects.filter(provision=provision).delete()  # a type now, not a guess
    previous = Assignment.objects.filter(provision=provision).select_related("clause_type").first()
    replaced = previous if previous and previous.clause_type_id != clause_type.pk else None
    assignment, _ = Assignment.objects.update_or_create(
        provision=provision,
        defaults={
            "clause_type": clause_type,
            "basis": Basis.CURATED,
            "score": 1.0,  # a decision, not a probability: the basis says so
            "confidence": Confidence.HIGH,
            "runner_up": replaced.clause_type if replaced else None,
            "runner_up_score": replaced.score if replaced else None,
            "severity": clause_type.default_severity,
            "severity_rule": f"{clause_type.default_severity_rule}, chosen by curator {curator}",
            "model_name": "curator",
            "text_hash": provision.text_hash,
        },
    )
    store_coverage(
        clause_type_ids={clause_type.pk, *([previous.clause_type_id] if previous else [])}
    )
    return assignment
