"""Classify one clause text on demand (the API's ``POST /api/v1/classify/``).

The classifier is the worker's (``comparisons.clustering``), trained on the same prototypes and
labelled provisions, once per process and encoder, on the first call: the web process loads the
sentence model then, never at import or start-up. A submitted text is encoded in memory and
never stored (it may come from someone's unpublished draft).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from comparisons.clustering import (
    ClauseClassifier,
    confidence_band,
    embed_taxonomy,
    read_labels,
    read_taxonomy,
    train_classifier,
)

CANDIDATES = 3  # next-best types shown after the chosen one

_classifiers: dict[str, tuple[ClauseClassifier, dict[str, dict]]] = {}
_lock = threading.Lock()


def get_encoder():
    """The sentence model, loaded lazily once per process (tests swap in the fake encoder)."""
    from provisions.embeddings import get_encoder as load_encoder

    return load_encoder()


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


def trained_classifier(encoder) -> tuple[ClauseClassifier, dict[str, dict]]:
    """The classifier for this encoder, trained on first use (prototype and label vectors come
    through the embedding store, so a process after the worker's first run encodes nothing)."""
    from provisions.embeddings import encode_cached

    with _lock:
        if encoder.name not in _classifiers:
            taxonomy = read_taxonomy()
            labels = read_labels()

            class Cached:
                name = encoder.name

                @staticmethod
                def encode(texts):
                    return encode_cached(texts, encoder=encoder)

            classifier = train_classifier(
                slugs=[t["slug"] for t in taxonomy],
                prototype_vectors=embed_taxonomy(Cached, taxonomy),
                label_vectors=np.asarray(
                    Cached.encode([label["text"] for label in labels]), dtype=np.float32
                ),
                label_slugs=[label["clause_type"] for label in labels],
            )
            _classifiers[encoder.name] = (classifier, {t["slug"]: t for t in taxonomy})
        return _classifiers[encoder.name]


def classify_text(text: str, *, encoder=None) -> Classification:
    from provisions.parse import normalize_text

    encoder = encoder or get_encoder()
    classifier, taxonomy = trained_classifier(encoder)
    vector = np.asarray(encoder.encode([normalize_text(text)]), dtype=np.float32)
    row = classifier.probabilities(vector)[0]
    order = np.argsort(row)[::-1][: CANDIDATES + 1]
    ranked = [
        Candidate(
            slug=classifier.slugs[i],
            name=taxonomy[classifier.slugs[i]]["name"],
            category=taxonomy[classifier.slugs[i]]["category"],
            default_severity=taxonomy[classifier.slugs[i]]["default_severity"],
            score=round(float(row[i]), 4),
        )
        for i in order
    ]
    return Classification(
        best=ranked[0],
        confidence=confidence_band(ranked[0].score),
        candidates=ranked[1:],
        model_name=encoder.name,
    )


def curate_clause_type(*, provision, clause_type, curator: str):
    """A curator's decision that ``provision`` is of ``clause_type``; every re-run keeps it.

    The classifier's previous choice, if different, stays visible as the runner-up. Matches on
    other platforms and coverage are recomputed by the worker's next assignment run.
    """
    from comparisons.models import Assignment, Basis, Confidence

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
            "severity_rule": f"default severity of the clause type “{clause_type.name}”, "
            f"chosen by curator {curator}",
            "model_name": "curator",
            "text_hash": provision.text_hash,
        },
    )
    return assignment
