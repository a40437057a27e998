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
CLUSTER_MAX_POINTS = 12_000  # the distance matrix is quadratic in memory


def discover_clusters(
    provisions, matrix: np.ndarray, texts: dict[int, str], previous: dict[int, set[int]]
):
    """Group provisions no written type fits into discovered types, for a curator to review.

    Yields (index into ``provisions``, ClauseType, cosine to the cluster centre). A cluster
    must span at least two platforms. A cluster that shares most members with an existing
    discovered type reuses it, so a curator's name, notes or merge survive re-clustering.
    """
    # scikit-learn only when clustering in the worker (see classifier.train_classifier).
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
