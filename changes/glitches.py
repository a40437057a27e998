"""Capture glitches: versions that are artefacts of a capture, not of the policy.

Two kinds, read on the document's capture timeline (versions in the order they were seen,
a run of one version counted once):

- a **flip**: every time version B was seen, the same version A was seen just before and just
  after it (A → B → A: a page that alternated between two renderings);
- a **near-empty capture**: a version with under a quarter of the provisions of the versions
  seen just before and after it (a broken page, a bot wall), never the latest version seen.

A glitch version's changes are shown as one glitch, and the version after it is compared with
the version before it, so the glitch's removals and re-additions never count as changes.
"""

from __future__ import annotations

from collections import defaultdict

NEAR_EMPTY_SHARE = 0.25


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
        if version in glitches or indexes[-1] == last:
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
