"""Capture glitches: versions that are artefacts of a capture, not of the policy.

Two kinds, read on the document's capture timeline (versions in the order they were seen,
a run of one version counted once):

- a **flip**: every time version B was seen, the same version A was seen just before and just
  after it (A → B → A: a page that alternated between two renderings);
- a **near-empty capture**: a version with under a quarter of the provisions of the versions
  seen just before and after it (a broken page, a bot wall); the latest version seen only
  when it holds at most 3 provisions and under 5 % of those of the version before it.

A glitch version's changes are shown as one glitch, and the version after it is compared with
the version before it, so the glitch's removals and re-additions never count as changes.
"""

from __future__ import annotations

from collections import defaultdict

NEAR_EMPTY_SHARE = 0.25
NEAR_EMPTY_LATEST, NEAR_EMPTY_LATEST_SHARE = 3, 0.05


def find_glitches(timeline: list[int], provision_counts: dict[int, int]) -> dict[int, str]:
    """Version id -> the glitch rule (``capture-flip`` or ``near-empty-capture``).

    ``timeline`` lists version ids in capture order, consecutive repeats already collapsed."""
    seen = defaultdict(list)
    for index, version in enumerate(timeline):
        seen[version].append(index)
    glitches = {}
    last = len(timeline) - 1
    for version, indexes in seen.items():
        inner = all(0 < i < last for i in indexes)
        if inner and all(timeline[i - 1] == timeline[i + 1] for i in indexes):
            glitches[version] = "capture-flip"
    for version, indexes in seen.items():
        if version in glitches:
            continue
        if indexes[-1] == last:
            # The latest capture: a broken page only when almost nothing is left of the one
            # before (a real policy replaced by a short notice would keep a few clauses).
            before = provision_counts.get(timeline[indexes[-1] - 1], 0) if indexes[-1] else 0
            count = provision_counts.get(version, 0)
            if count <= NEAR_EMPTY_LATEST and count < NEAR_EMPTY_LATEST_SHARE * before:
                glitches[version] = "near-empty-capture"
            continue
        around = [
            provision_counts.get(timeline[j], 0)
            for i in indexes
            for j in (i - 1, i + 1)
            if 0 <= j <= last and timeline[j] not in glitches
        ]
        if around and provision_counts.get(version, 0) < NEAR_EMPTY_SHARE * min(around):
            glitches[version] = "near-empty-capture"
    return glitches
