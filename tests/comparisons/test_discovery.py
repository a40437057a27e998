"""Discovery clustering without a cap (issue 16): provisions are clustered in batches, and those
after a batch first join the clusters formed so far, by average linkage's own threshold."""

import numpy as np
import pytest

from comparisons import discovery


def groups(sizes: list[int], *, dimensions: int = 24, seed: int = 7):
    """Unit vectors in tight groups (cosine to their own group's centre about 0.98, about 0 to
    other groups'), each member on a platform of its own; returns (provisions, matrix, group
    of each row), the rows shuffled so that groups are spread over the batches."""
    rng = np.random.default_rng(seed)
    centres = np.linalg.qr(rng.normal(size=(dimensions, dimensions)))[0][: len(sizes)]
    rows, labels = [], []
    for group, size in enumerate(sizes):
        for _ in range(size):
            vector = centres[group] + rng.normal(scale=0.03, size=dimensions)
            rows.append(vector / np.linalg.norm(vector))
            labels.append(group)
    order = rng.permutation(len(rows))
    matrix = np.asarray(rows, dtype=np.float32)[order]
    labels = [labels[i] for i in order]
    provisions = [(i + 1, f"hash-{i}", f"platform-{i}", False) for i in range(len(rows))]
    return provisions, matrix, labels


def as_groups(clusters: list[list[int]], labels: list[int]) -> set[frozenset[int]]:
    """Clusters as sets of row indexes, checked to hold one group each."""
    for members in clusters:
        assert len({labels[i] for i in members}) == 1, "a cluster mixes two groups"
    return {frozenset(members) for members in clusters}


def test_under_the_batch_size_the_clusters_are_plain_average_linkage():
    provisions, matrix, labels = groups([6, 5, 4, 2])
    clusters = discovery._batched_clusters(provisions, matrix)
    # The group of two is under the minimum size; every other group is one cluster, whole.
    expected = {
        frozenset(i for i, label in enumerate(labels) if label == group) for group in (0, 1, 2)
    }
    assert as_groups(clusters, labels) == expected


def test_past_the_batch_size_every_provision_is_still_clustered(monkeypatch):
    """With batches of 10 rows out of 63, rows of later batches join the groups found in
    earlier ones, and a group first seen in a later batch forms there: the result is the one
    a single batch gives."""
    provisions, matrix, labels = groups([20, 15, 12, 9, 7])
    whole = as_groups(discovery._batched_clusters(provisions, matrix), labels)
    assert len(whole) == 5 and sum(map(len, whole)) == 63

    monkeypatch.setattr(discovery, "CLUSTER_MAX_POINTS", 10)
    monkeypatch.setattr(discovery, "JOIN_ROWS", 4)  # several blocks per join
    batched = as_groups(discovery._batched_clusters(provisions, matrix), labels)
    assert batched == whole


def test_a_provision_close_to_no_cluster_joins_none(monkeypatch):
    provisions, matrix, labels = groups([8, 1, 1, 1], seed=3)
    monkeypatch.setattr(discovery, "CLUSTER_MAX_POINTS", 4)
    clusters = as_groups(discovery._batched_clusters(provisions, matrix), labels)
    loners = {i for i, label in enumerate(labels) if label != 0}
    assert clusters == {frozenset(set(range(11)) - loners)}


@pytest.mark.parametrize("points", [0, 2])
def test_too_few_provisions_form_no_cluster(points):
    provisions, matrix, _labels = groups([points] if points else [])
    matrix = matrix.reshape(points, 24)
    assert list(discovery.discover_clusters(provisions, matrix, {}, {})) == []
