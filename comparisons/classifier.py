"""The clause classifier: training, storage and confidence bands.

The classifier is a logistic regression over sentence embeddings, trained on two things we
wrote by hand: each clause type's example phrasings (``prototypes`` in
``comparisons/data/clause_types.json``) and a labelled set of real provisions
(``comparisons/data/clause_labels.json``, labelled by reading the clauses). The worker trains
and stores it; the web process loads the stored one (``comparisons.classify``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np

from comparisons.models import TrainedClassifier
from comparisons.taxonomy import NO_RULE, read_labels, read_taxonomy
from provisions import embeddings

# Confidence bands on the classifier's probability for the chosen type (documented in README).
BANDS = (("high", 0.6), ("medium", 0.4), ("low", 0.3))
REGULARIZATION_C = 32.0
# A clause is also read with its context (``provisions.parse.clause_context``): its vector plus
# this share of the context's, normalised. Chosen on the labelled set, leave one platform out
# (F1 at the lowest band: 0.771 without context; 0.780 at 0.3; 0.764 at 0.5; 0.734 at 1.0).
CONTEXT_WEIGHT = 0.3


def in_context(vectors: np.ndarray, context_vectors: np.ndarray, has_context) -> np.ndarray:
    """Each clause vector moved towards its context's (unchanged where it has none)."""
    weight = CONTEXT_WEIGHT * np.asarray(has_context, dtype=np.float32)[:, None]
    mixed = np.asarray(vectors, dtype=np.float32) + weight * np.asarray(
        context_vectors, dtype=np.float32
    )
    return mixed / np.linalg.norm(mixed, axis=1, keepdims=True)


def confidence_band(probability: float) -> str | None:
    for name, floor in BANDS:
        if probability >= floor:
            return name
    return None


# When no type reaches the lowest band, a category whose types' probabilities add up to this is
# still recorded: an uncertain choice between sibling types is not "no type".
CATEGORY_FLOOR = 0.5
# "States no rule" is the reading when it is likelier than every type and at least this likely.
# Chosen on the labelled set, leave one platform out, so that a rule is rarely taken for none:
# floor 0.0: no-rule precision 0.71, recall 0.84, types' F1 0.744; 0.5: 0.78, 0.68, 0.746;
# 0.7: 0.87, 0.51, 0.753 (0.764 with no "no rule" class at all).
NO_RULE_FLOOR = 0.7


@dataclass(frozen=True)
class Reading:
    """What the classifier reads in one clause: a type, a category alone, or no rule at all.

    ``ranked`` holds the likeliest types (never the no-rule class), best first, with their
    probabilities. ``clause_type`` is the first of them when it reaches the lowest band;
    ``category`` is its category, or, without a type, a category whose types reach
    ``CATEGORY_FLOOR`` together; ``states_rule`` is False when "states no rule" (headings,
    definitions, cross-references, legal-basis items...) is likelier than every type.
    """

    ranked: list[tuple[str, float]]
    clause_type: str | None
    band: str | None
    category: str | None
    category_score: float
    states_rule: bool


def read_row(row: np.ndarray, slugs: list[str], categories: dict[str, str], *, keep: int = 4):
    """The ``Reading`` of one row of probabilities (columns: ``slugs``)."""
    order = [int(i) for i in np.argsort(row)[::-1]]
    if slugs[order[0]] == NO_RULE and row[order[0]] >= NO_RULE_FLOOR:
        return Reading(
            ranked=[(slugs[i], float(row[i])) for i in order[1 : keep + 1]],
            clause_type=None,
            band=None,
            category=None,
            category_score=0.0,
            states_rule=False,
        )
    ranked = [(slugs[i], float(row[i])) for i in order if slugs[i] != NO_RULE][:keep]
    sums: dict[str, float] = {}
    for slug, probability in zip(slugs, row, strict=True):
        if slug in categories:
            sums[categories[slug]] = sums.get(categories[slug], 0.0) + float(probability)
    best, probability = ranked[0]
    band = confidence_band(probability)
    if band:
        category = categories[best]
    else:
        category = max(sums, key=sums.get)
        if sums[category] < CATEGORY_FLOOR:
            category = None
    return Reading(
        ranked=ranked,
        clause_type=best if band else None,
        band=band,
        category=category,
        category_score=round(sums.get(category, 0.0), 4) if category else 0.0,
        states_rule=True,
    )


@dataclass
class ClauseClassifier:
    """A multinomial logistic regression, as plain arrays: the web process loads a stored one
    (``TrainedClassifier``) and scores with numpy alone, never importing scikit-learn."""

    slugs: list[str]
    classes: np.ndarray  # the slug index of each row of coefficients (types seen in training)
    coefficients: np.ndarray  # classes × dimensions
    intercepts: np.ndarray  # classes

    def probabilities_in_context(
        self, vectors: np.ndarray, context_vectors: np.ndarray, has_context
    ) -> np.ndarray:
        """The mean of the probabilities of the clause alone and of the clause in its context
        (the classifier is trained on both forms of each labelled clause)."""
        mixed = in_context(vectors, context_vectors, has_context)
        return (self.probabilities(vectors) + self.probabilities(mixed)) / 2

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """One row per vector, one column per slug (types the model never saw get 0)."""
        logits = np.asarray(vectors, dtype=np.float64) @ self.coefficients.T + self.intercepts
        logits -= logits.max(axis=1, keepdims=True)
        raw = np.exp(logits)
        raw /= raw.sum(axis=1, keepdims=True)
        full = np.zeros((len(vectors), len(self.slugs)))
        full[:, self.classes] = raw
        return full


def train_classifier(
    *,
    slugs: list[str],
    prototype_vectors: dict[str, np.ndarray],
    label_vectors: np.ndarray,
    label_slugs: list[str],
    label_contexts: tuple[np.ndarray, list[bool]] | None = None,
) -> ClauseClassifier:
    """``label_contexts``: the labelled clauses' context vectors and which have a context; each
    such clause is then learnt both alone and in its context."""
    # scikit-learn is imported only to train (in the worker): the web process loads this
    # module to classify with a stored classifier and never needs it.
    from sklearn.linear_model import LogisticRegression

    index = {slug: i for i, slug in enumerate(slugs)}
    xs = [label_vectors] if len(label_vectors) else []
    ys = [index[s] for s in label_slugs]
    if label_contexts is not None and len(label_vectors):
        xs.append(in_context(label_vectors, *label_contexts))
        ys.extend(index[s] for s in label_slugs)
    for slug, vectors in prototype_vectors.items():
        xs.append(vectors)
        ys.extend([index[slug]] * len(vectors))
    model = LogisticRegression(C=REGULARIZATION_C, max_iter=3000)
    model.fit(np.concatenate(xs), np.array(ys))
    # With two classes scikit-learn keeps one row (a sigmoid); as a softmax that is [-w, w].
    coefficients, intercepts = model.coef_, model.intercept_
    if len(model.classes_) == 2:
        coefficients = np.vstack([-coefficients / 2, coefficients / 2])
        intercepts = np.array([-intercepts[0] / 2, intercepts[0] / 2])
    return ClauseClassifier(slugs, model.classes_, coefficients, intercepts)


def classifier_slugs(taxonomy: list[dict]) -> list[str]:
    """The classifier's classes: every type, then "states no rule" (learnt from labelled
    headings, definitions, cross-references and the like; never a clause type)."""
    return [*(t["slug"] for t in taxonomy), NO_RULE]


def prototype_texts(clause_type: dict) -> list[str]:
    return [*clause_type["prototypes"], f"{clause_type['name']}. {clause_type['description']}"]


def embed_taxonomy(encoder, taxonomy: list[dict]) -> dict[str, np.ndarray]:
    return {
        t["slug"]: np.asarray(encoder.encode(prototype_texts(t)), dtype=np.float32)
        for t in taxonomy
    }


def training_texts(taxonomy: list[dict], labels: list[dict]) -> list[str]:
    """Every text the classifier is trained on: the prototypes, then the labelled clauses and
    their contexts."""
    return [
        *(text for t in taxonomy for text in prototype_texts(t)),
        *(x["text"] for x in labels),
        *sorted({x["context"] for x in labels if x.get("context")}),
    ]


def training_digest(taxonomy: list[dict], labels: list[dict]) -> str:
    """What a trained classifier depends on besides the model: its texts and their types."""
    payload = [
        [[t["slug"], prototype_texts(t)] for t in taxonomy],
        [[label["text"], label["clause_type"], label.get("context", "")] for label in labels],
        CONTEXT_WEIGHT,
    ]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


class StoredEncoder:
    """An encoder that reads and fills the embedding store: a text seen before (a labelled
    clause, a heading shared by many clauses) is encoded once."""

    def __init__(self, encoder):
        self.encoder = encoder
        self.name = encoder.name

    def encode(self, texts):
        return embeddings.encode_cached(texts, encoder=self.encoder)


def fit_classifier(encoder, taxonomy: list[dict], labels: list[dict]) -> ClauseClassifier:
    """Train on the taxonomy and labels, their vectors through the embedding store (a re-run
    encodes nothing it has seen)."""

    stored = StoredEncoder(encoder)
    vectors = np.asarray(stored.encode([label["text"] for label in labels]), dtype=np.float32)
    contexts = [label.get("context", "") for label in labels]
    return train_classifier(
        slugs=classifier_slugs(taxonomy),
        prototype_vectors=embed_taxonomy(stored, taxonomy),
        label_vectors=vectors,
        label_slugs=[label["clause_type"] for label in labels],
        label_contexts=context_vectors(contexts, stored, dimensions=vectors.shape[1]),
    )


def context_vectors(
    contexts: list[str], encoder, *, dimensions: int
) -> tuple[np.ndarray, list[bool]]:
    """The vectors of these contexts (zeros for none) and which are not empty."""
    present = [bool(c) for c in contexts]
    vectors = np.zeros((len(contexts), dimensions), dtype=np.float32)
    wanted = sorted({c for c in contexts if c})
    if wanted:
        encoded = dict(
            zip(wanted, np.asarray(encoder.encode(wanted), dtype=np.float32), strict=True)
        )
        for i, context in enumerate(contexts):
            if context:
                vectors[i] = encoded[context]
    return vectors, present


def store_classifier(model_name: str, digest: str, classifier: ClauseClassifier):
    """Keep the trained classifier for the web process (``comparisons.classify``)."""
    return TrainedClassifier.objects.update_or_create(
        model_name=model_name,
        digest=digest,
        defaults={
            "slugs": classifier.slugs,
            "classes": [int(c) for c in classifier.classes],
            "coefficients": classifier.coefficients.tolist(),
            "intercepts": classifier.intercepts.tolist(),
        },
    )[0]


def load_classifier(model_name: str, digest: str) -> ClauseClassifier | None:
    """The classifier the worker stored for this model and training data, if any."""
    row = TrainedClassifier.objects.filter(model_name=model_name, digest=digest).first()
    if row is None:
        return None
    return ClauseClassifier(
        row.slugs,
        np.asarray(row.classes, dtype=np.intp),
        np.asarray(row.coefficients, dtype=np.float64),
        np.asarray(row.intercepts, dtype=np.float64),
    )


def train_stored_classifier(*, encoder=None) -> bool:
    """Train and store the classifier unless one is stored for this model and training data
    (the worker's warm-up); returns whether it trained."""
    encoder = encoder or embeddings.get_encoder()
    taxonomy, labels = read_taxonomy(), read_labels()
    digest = training_digest(taxonomy, labels)
    if load_classifier(encoder.name, digest) is not None:
        return False
    store_classifier(encoder.name, digest, fit_classifier(encoder, taxonomy, labels))
    return True
