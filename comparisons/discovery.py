"""Discovered clause types: provisions no written type fits, grouped by similarity and
named from their most frequent words, for a curator to review."""

from __future__ import annotations

import hashlib
from collections import Counter

import numpy as np
from django.utils.text import slugify

from comparisons.models import ClauseType
from provisions.parse import normalize_text, words

CLUSTER_DISTANCE = 0.3  # cosine distance, average linkage
CLUSTER_MIN_SIZE = 3
CLUSTER_MIN_PLATFORMS = 2
# Agglomerative clustering holds a distance matrix quadratic in its points: it runs on batches
# of at most this many, and the points after a batch first join the clusters formed so far.
CLUSTER_MAX_POINTS = 12_000
JOIN_ROWS = 8_192  # rows of a join's score matrix computed at once (memory: rows x clusters)


def discover_clusters(
    provisions, matrix: np.ndarray, texts: dict[int, str], previous: dict[int, set[int]]
):
    """Group provisions no written type fits into discovered types, for a curator to review.

    Yields (index into ``provisions``, ClauseType, cosine to the cluster centre). A cluster
    must span at least two platforms. A cluster that shares most members with an existing
    discovered type reuses it, so a curator's name, notes or merge survive re-clustering.

    Every provision is considered, however many (no cap): they are clustered in batches of
    ``CLUSTER_MAX_POINTS`` with average linkage. Before each later batch is clustered, each of
    its provisions joins the cluster formed so far whose members it is closest to on average,
    when that mean cosine reaches the linkage threshold (where average linkage would have
    merged it; incremental assignment joins by the same rule); what joins none is clustered in
    the batch. At the end, a batch's provisions that formed no cluster there join one formed
    in a later batch by the same rule. Time and memory grow linearly with the provisions.
    """
    if len(provisions) < CLUSTER_MIN_SIZE:
        return
    for members in _batched_clusters(provisions, matrix):
        ids = {provisions[i][0] for i in members}
        clause_type = _discovered_type(ids, previous, [texts[i] for i in ids])
        target = clause_type.merged_into or clause_type
        centre = matrix[members].mean(axis=0)
        centre /= np.linalg.norm(centre) or 1.0
        for i in members:
            yield i, target, float(matrix[i] @ centre)


def _batched_clusters(provisions, matrix: np.ndarray) -> list[list[int]]:
    # scikit-learn only when clustering in the worker (see classifier.train_classifier).
    from sklearn.cluster import AgglomerativeClustering

    clusters: list[list[int]] = []
    pending = np.arange(len(provisions))
    left_out = []  # in a batch, but in none of its clusters (too small, or one platform)
    while len(pending) >= CLUSTER_MIN_SIZE:
        if clusters:
            pending = _join(clusters, pending, matrix)
        batch, pending = pending[:CLUSTER_MAX_POINTS], pending[CLUSTER_MAX_POINTS:]
        if len(batch) < CLUSTER_MIN_SIZE:
            break
        labels = AgglomerativeClustering(
            n_clusters=None,
            metric="cosine",
            linkage="average",
            distance_threshold=CLUSTER_DISTANCE,
        ).fit_predict(matrix[batch])
        for label in sorted(set(labels)):
            members = [int(i) for i in batch[labels == label]]
            platforms = {provisions[i][2] for i in members}
            if len(members) >= CLUSTER_MIN_SIZE and len(platforms) >= CLUSTER_MIN_PLATFORMS:
                clusters.append(members)
            else:
                left_out.extend(members)
    if clusters and left_out and len(provisions) > CLUSTER_MAX_POINTS:
        # A batch's few members of a group that formed in a later batch join it now.
        _join(clusters, np.asarray(left_out), matrix)
    return clusters


def _join(clusters: list[list[int]], pending: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Add each pending provision to the cluster it is closest to on average when that mean
    cosine reaches the linkage threshold; return those that joined none.

    The mean cosine to a cluster's members is the dot product with their mean vector (the
    vectors are unit length), so this is one matrix product per block of rows."""
    means = np.stack([matrix[members].mean(axis=0) for members in clusters])
    left = []
    for start in range(0, len(pending), JOIN_ROWS):
        rows = pending[start : start + JOIN_ROWS]
        scores = matrix[rows] @ means.T
        best = scores.argmax(axis=1)
        joins = scores[np.arange(len(rows)), best] >= 1 - CLUSTER_DISTANCE
        for index, cluster in zip(rows[joins], best[joins], strict=True):
            clusters[cluster].append(int(index))
        left.append(rows[~joins])
    return np.concatenate(left)


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
