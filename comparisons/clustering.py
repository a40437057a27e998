"""Clause types: the taxonomy, the classifier that assigns provisions to them, and evaluation.

The classifier is a logistic regression over sentence embeddings, trained on two things we
wrote by hand: each clause type's example phrasings (``prototypes`` in
``comparisons/data/clause_types.json``) and a labelled set of real provisions
(``comparisons/data/clause_labels.json``, labelled by reading the clauses). It runs in the worker.
Evaluation is leave-one-platform-out: a platform's provisions are always classified by a
model that never saw that platform's labels, as a new platform's documents would be.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import Counter
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.db.models import Count
from django.utils.text import slugify

from comparisons.models import Assignment, ClauseType, Coverage, SimilarProvision, TrainedClassifier
from comparisons.taxonomy import load_clause_types, read_labels, read_taxonomy
from provisions import embeddings
from provisions.models import Provision, TextEmbedding
from provisions.parse import normalize_text, words

# Confidence bands on the classifier's probability for the chosen type (documented in README).
BANDS = (("high", 0.6), ("medium", 0.4), ("low", 0.3))
REGULARIZATION_C = 32.0


def confidence_band(probability: float) -> str | None:
    for name, floor in BANDS:
        if probability >= floor:
            return name
    return None


@dataclass
class ClauseClassifier:
    """A multinomial logistic regression, as plain arrays: the web process loads a stored one
    (``TrainedClassifier``) and scores with numpy alone, never importing scikit-learn."""

    slugs: list[str]
    classes: np.ndarray  # the slug index of each row of coefficients (types seen in training)
    coefficients: np.ndarray  # classes × dimensions
    intercepts: np.ndarray  # classes

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
) -> ClauseClassifier:
    # scikit-learn is imported only to train (in the worker): the web process loads this
    # module to classify with a stored classifier and never needs it.
    from sklearn.linear_model import LogisticRegression

    index = {slug: i for i, slug in enumerate(slugs)}
    xs = [label_vectors] if len(label_vectors) else []
    ys = [index[s] for s in label_slugs]
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


def prototype_texts(clause_type: dict) -> list[str]:
    return [*clause_type["prototypes"], f"{clause_type['name']}. {clause_type['description']}"]


def embed_taxonomy(encoder, taxonomy: list[dict]) -> dict[str, np.ndarray]:
    return {
        t["slug"]: np.asarray(encoder.encode(prototype_texts(t)), dtype=np.float32)
        for t in taxonomy
    }


def training_texts(taxonomy: list[dict], labels: list[dict]) -> list[str]:
    """Every text the classifier is trained on: the prototypes, then the labelled clauses."""
    return [*(text for t in taxonomy for text in prototype_texts(t)), *(x["text"] for x in labels)]


def training_digest(taxonomy: list[dict], labels: list[dict]) -> str:
    """What a trained classifier depends on besides the model: its texts and their types."""
    payload = [
        [[t["slug"], prototype_texts(t)] for t in taxonomy],
        [[label["text"], label["clause_type"]] for label in labels],
    ]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


def fit_classifier(encoder, taxonomy: list[dict], labels: list[dict]) -> ClauseClassifier:
    """Train on the taxonomy and labels, their vectors through the embedding store (a re-run
    encodes nothing it has seen)."""

    class Cached:
        name = encoder.name

        @staticmethod
        def encode(texts):
            return embeddings.encode_cached(texts, encoder=encoder)

    return train_classifier(
        slugs=[t["slug"] for t in taxonomy],
        prototype_vectors=embed_taxonomy(Cached, taxonomy),
        label_vectors=np.asarray(
            Cached.encode([label["text"] for label in labels]), dtype=np.float32
        ),
        label_slugs=[label["clause_type"] for label in labels],
    )


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


# -- Evaluation ---------------------------------------------------------------------------


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
    # scikit-learn only when evaluating (see train_classifier).
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


# -- Assignment of stored provisions (runs in the worker) ---------------------------------

SIMILAR_PER_PROVISION = 5


def assign_provisions(*, encoder=None) -> dict[str, int]:
    """Assign every embedded provision a clause type and find its cross-platform matches.

    Idempotent: non-curated assignments and similarity rows are replaced as a whole, in one
    transaction; curated assignments are left as the curator set them.
    """
    encoder = encoder or embeddings.get_encoder()
    taxonomy = read_taxonomy()
    labels = read_labels()
    slugs = [t["slug"] for t in taxonomy]
    classifier = fit_classifier(encoder, taxonomy, labels)
    # The web process classifies texts with the same classifier, loaded, never trained there.
    store_classifier(encoder.name, training_digest(taxonomy, labels), classifier)
    provisions = list(
        Provision.objects.values_list(
            "id", "text_hash", "document__platform_id", "removed_in_id"
        ).order_by("id")
    )
    vectors = TextEmbedding.objects.vectors((p[1] for p in provisions), model_name=encoder.name)
    provisions = [p for p in provisions if p[1] in vectors]
    if not provisions:
        return {"assigned": 0, "unassigned": 0, "similar": 0}
    matrix = np.asarray([vectors[p[1]] for p in provisions], dtype=np.float32)
    probabilities = classifier.probabilities(matrix)
    with transaction.atomic():
        types = load_clause_types(taxonomy)
        curated = dict(
            Assignment.objects.filter(basis="curated").values_list(
                "provision_id", "clause_type__slug"
            )
        )
        # Discovered types' members before this run, so that their identity carries over.
        previous: dict[int, set[int]] = {}
        for type_id, provision_id in Assignment.objects.filter(
            clause_type__discovered=True
        ).values_list("clause_type_id", "provision_id"):
            previous.setdefault(type_id, set()).add(provision_id)
        Assignment.objects.exclude(basis="curated").delete()
        chosen: dict[int, str] = dict(curated)
        rows = []
        for (provision_id, text_hash, _platform, _removed), row in zip(
            provisions, probabilities, strict=True
        ):
            order = np.argsort(row)[::-1]
            best, second = int(order[0]), int(order[1])
            band = confidence_band(float(row[best]))
            if provision_id in curated or band is None:
                continue
            clause_type = types[slugs[best]]
            chosen[provision_id] = clause_type.slug
            rows.append(
                Assignment(
                    provision_id=provision_id,
                    clause_type=clause_type,
                    score=round(float(row[best]), 4),
                    confidence=band,
                    basis="classifier",
                    runner_up=types[slugs[second]],
                    runner_up_score=round(float(row[second]), 4),
                    severity=clause_type.default_severity,
                    severity_rule=f"default severity of the clause type “{clause_type.name}”",
                    model_name=encoder.name,
                    text_hash=text_hash,
                )
            )
        unassigned = [i for i, p in enumerate(provisions) if p[0] not in chosen and p[3] is None]
        texts = dict(
            Provision.objects.filter(pk__in=[provisions[i][0] for i in unassigned]).values_list(
                "pk", "text"
            )
        )
        for index, clause_type, score in discover_clusters(
            [provisions[i] for i in unassigned], matrix[unassigned], texts, previous
        ):
            provision_id, text_hash = provisions[unassigned[index]][:2]
            chosen[provision_id] = clause_type.slug
            rows.append(
                Assignment(
                    provision_id=provision_id,
                    clause_type=clause_type,
                    score=round(score, 4),
                    confidence=confidence_band(score) or "low",
                    basis="cluster",
                    severity=clause_type.default_severity,
                    severity_rule="discovered clusters are rated low until a curator reviews them"
                    if clause_type.discovered
                    else f"default severity of the clause type “{clause_type.name}”",
                    model_name=encoder.name,
                    text_hash=text_hash,
                )
            )
        Assignment.objects.bulk_create(rows, batch_size=2000)
        SimilarProvision.objects.all().delete()
        similar = similar_provisions(provisions, matrix, chosen)
        SimilarProvision.objects.bulk_create(similar, batch_size=5000)
        store_coverage()
    return {
        "discovered": sum(1 for row in rows if row.basis == "cluster"),
        "assigned": len(rows) + len(curated),
        "unassigned": len(provisions) - len(rows) - len(curated),
        "similar": len(similar),
    }


def similar_provisions(provisions, matrix: np.ndarray, chosen: dict[int, str]) -> list:
    """For each live provision: the closest live provisions of the same type, other platforms."""
    by_type: dict[str, list[int]] = {}
    for index, (provision_id, _hash, _platform, removed) in enumerate(provisions):
        if removed is None and provision_id in chosen:
            by_type.setdefault(chosen[provision_id], []).append(index)
    rows = []
    for indexes in by_type.values():
        platforms = np.array([provisions[i][2] for i in indexes])
        scores = matrix[indexes] @ matrix[indexes].T
        for row_number, index in enumerate(indexes):
            row = np.where(platforms != platforms[row_number], scores[row_number], -np.inf)
            seen: set[str] = set()  # one entry per wording: a clause repeated under two headings
            for other in np.argsort(row)[::-1]:
                if len(seen) == SIMILAR_PER_PROVISION or not np.isfinite(row[other]):
                    break
                other_hash = provisions[indexes[other]][1]
                if other_hash in seen:
                    continue
                seen.add(other_hash)
                rows.append(
                    SimilarProvision(
                        provision_id=provisions[index][0],
                        other_id=provisions[indexes[other]][0],
                        similarity=round(float(row[other]), 4),
                        rank=len(seen),
                    )
                )
    return rows


def store_coverage() -> int:
    """Per clause type and platform, the number of live provisions (from the assignments)."""
    Coverage.objects.all().delete()
    rows = (
        Assignment.objects.filter(provision__removed_in__isnull=True)
        .values("clause_type_id", "provision__document__platform_id")
        .annotate(count=Count("id"))
    )
    created = Coverage.objects.bulk_create(
        Coverage(
            clause_type_id=row["clause_type_id"],
            platform_id=row["provision__document__platform_id"],
            provision_count=row["count"],
        )
        for row in rows
    )
    return len(created)


# -- Discovered clause types ----------------------------------------------------------------

CLUSTER_DISTANCE = 0.3  # cosine distance, average linkage
CLUSTER_MIN_SIZE = 3
CLUSTER_MIN_PLATFORMS = 2
CLUSTER_MAX_POINTS = 12_000  # the distance matrix is quadratic in memory


def discover_clusters(
    provisions, matrix: np.ndarray, texts: dict[int, str], previous: dict[int, set[int]]
):
    """Group provisions no written type fits into discovered types, for a curator to review.

    Yields (index into ``provisions``, ClauseType, cosine to the cluster centre). A cluster
    must span at least two platforms. A cluster that shares most members with an existing
    discovered type reuses it, so a curator's name, notes or merge survive re-clustering.
    """
    # scikit-learn only when clustering in the worker (see train_classifier).
    from sklearn.cluster import AgglomerativeClustering

    if len(provisions) < CLUSTER_MIN_SIZE:
        return
    provisions, matrix = provisions[:CLUSTER_MAX_POINTS], matrix[:CLUSTER_MAX_POINTS]
    labels = AgglomerativeClustering(
        n_clusters=None,
        metric="cosine",
        linkage="average",
        distance_threshold=CLUSTER_DISTANCE,
    ).fit_predict(matrix)
    for label in sorted(set(labels)):
        members = [i for i, value in enumerate(labels) if value == label]
        platforms = {provisions[i][2] for i in members}
        if len(members) < CLUSTER_MIN_SIZE or len(platforms) < CLUSTER_MIN_PLATFORMS:
            continue
        ids = {provisions[i][0] for i in members}
        clause_type = _discovered_type(ids, previous, [texts[i] for i in ids])
        target = clause_type.merged_into or clause_type
        centre = matrix[members].mean(axis=0)
        centre /= np.linalg.norm(centre) or 1.0
        for i in members:
            yield i, target, float(matrix[i] @ centre)


def _discovered_type(ids: set[int], previous: dict[int, set[int]], texts: list[str]):
    for type_id, members in previous.items():
        if len(ids & members) / len(ids | members) >= 0.5:
            return ClauseType.objects.get(pk=type_id)
    words = frequent_words(texts)
    joined = "-".join(words)
    ascii_words = slugify(" ".join(words))
    if ascii_words == joined:
        slug = "discovered-" + joined[:60]
    else:
        # ASCII, for URLs people cite: words of other scripts (a Chinese policy's) leave little
        # or nothing after slugify, so a digest of the words keeps such slugs distinct and
        # stable from one re-clustering to the next.
        digest = hashlib.sha256(joined.encode()).hexdigest()[:10]
        slug = "-".join(filter(None, ["discovered", ascii_words[:40].strip("-"), digest]))
    clause_type, _ = ClauseType.objects.get_or_create(
        slug=slug,
        defaults={
            "name": "Discovered: " + ", ".join(words),
            "category": "discovered",
            "description": "Provisions grouped by similarity that no written clause type fits. "
            "Named from their most frequent words; a curator should name or merge it.",
            "default_severity": "low",
            "discovered": True,
        },
    )
    return clause_type


STOPWORDS = {
    "the",
    "a",
    "an",
    "and",
    "or",
    "of",
    "to",
    "in",
    "for",
    "on",
    "by",
    "with",
    "as",
    "at",
    "from",
    "that",
    "this",
    "these",
    "those",
    "is",
    "are",
    "be",
    "will",
    "may",
    "not",
    "no",
    "any",
    "all",
    "our",
    "your",
    "you",
    "we",
    "us",
    "it",
    "its",
    "their",
    "they",
    "such",
    "other",
    "including",
    "use",
    "using",
    "services",
    "service",
    "terms",
}


def frequent_words(texts: list[str], *, count: int = 3) -> list[str]:
    frequency = Counter()
    for text in texts:
        frequency.update({w for w in words(normalize_text(text)) if w not in STOPWORDS})
    # Most frequent first; ties go to longer (usually more specific) words, then alphabetical.
    ranked = sorted(
        (w for w in frequency if len(w) > 2 and not w.isdigit()),
        key=lambda w: (-frequency[w], -len(w), w),
    )
    return ranked[:count] or ["unnamed"]
