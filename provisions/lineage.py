"""Follow provisions from one version to the next (pure functions, no database).

A clause whose wording is unchanged keeps its provision; a lightly reworded one keeps its
provision and gains a revision; anything else is new. "Lightly reworded" means the word
sequences are at least ``REWORD_THRESHOLD`` similar (difflib ratio: 2 x matched words / total).
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from provisions.parse import Segment, words

REWORD_THRESHOLD = 0.8
# Cheap pre-filter: pairs sharing fewer distinct words than this are never compared in full.
JACCARD_FLOOR = 0.45


@dataclass(frozen=True)
class Known:
    """A provision as it stood in the previous version."""

    provision_id: int
    revision_id: int
    text_hash: str
    normalized: str
    heading_path: tuple[str, ...] = ()
    part: bool = False  # an enumerated part of a clause: follows only parts


@dataclass(frozen=True)
class Match:
    segment: Segment
    provision_id: int | None  # None: a new provision
    revision_id: int | None  # None: a new revision (or a new provision)
    similarity: float | None = None  # set for rewordings


def _is_part(segment: Segment) -> bool:
    # A clause and one of its enumerated parts are different records, never one lineage.
    return segment.parent is not None


def similarity(a: str, b: str) -> float:
    wa, wb = words(a), words(b)
    if not wa and not wb:
        return 1.0
    return SequenceMatcher(None, wa, wb, autojunk=False).ratio()


def match_segments(
    previous: list[Known],
    current: list[Segment],
    *,
    earlier: dict[str, tuple[int, int, bool]] | None = None,
) -> list[Match]:
    """Pair each segment of the new version with a provision of the previous one.

    ``earlier`` maps text hashes of any older wording of the document's provisions to
    (provision id, revision id, is a part): a clause that comes back word for word after an absence
    resumes its old record instead of getting a new one.
    """
    by_hash: dict[str, list[Known]] = {}
    for known in previous:
        by_hash.setdefault(known.text_hash, []).append(known)
    used: set[int] = set()
    matches: dict[int, Match] = {}

    for index, segment in enumerate(current):
        for known in by_hash.get(segment.text_hash, ()):
            if known.provision_id not in used and known.part == _is_part(segment):
                used.add(known.provision_id)
                matches[index] = Match(segment, known.provision_id, known.revision_id)
                break

    if earlier:
        for index, segment in enumerate(current):
            if index in matches:
                continue
            hit = earlier.get(segment.text_hash)
            if hit and hit[0] not in used and hit[2] == _is_part(segment):
                used.add(hit[0])
                matches[index] = Match(segment, hit[0], hit[1])

    leftovers = [k for k in previous if k.provision_id not in used]
    unmatched = [i for i in range(len(current)) if i not in matches]
    for index, known, score in _reworded_pairs(leftovers, current, unmatched):
        used.add(known.provision_id)
        matches[index] = Match(current[index], known.provision_id, None, score)

    return [matches.get(i) or Match(segment, None, None) for i, segment in enumerate(current)]


def _reworded_pairs(leftovers: list[Known], current: list[Segment], unmatched: list[int]):
    """Best-first greedy pairing of leftover old clauses with unmatched new ones."""
    if not leftovers or not unmatched:
        return []
    old_words = [set(words(k.normalized)) for k in leftovers]
    candidates = []
    for index in unmatched:
        segment = current[index]
        new_words = set(words(segment.normalized))
        for j, known in enumerate(leftovers):
            if known.part != _is_part(segment):
                continue
            union = len(new_words | old_words[j])
            if not union or len(new_words & old_words[j]) / union < JACCARD_FLOOR:
                continue
            score = similarity(known.normalized, segment.normalized)
            if score >= REWORD_THRESHOLD:
                same_heading = known.heading_path == segment.heading_path
                candidates.append((score, same_heading, index, j))
    candidates.sort(key=lambda c: (c[0], c[1], -c[2]), reverse=True)
    taken_new: set[int] = set()
    taken_old: set[int] = set()
    pairs = []
    for score, _same, index, j in candidates:
        if index in taken_new or j in taken_old:
            continue
        taken_new.add(index)
        taken_old.add(j)
        pairs.append((index, leftovers[j], round(score, 4)))
    return pairs
