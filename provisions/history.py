"""A document's history, one timeline per variant, recomputed from its stored spans after
every import.

Everything here is derived (version order, change kinds and counts, each provision's first and
last version and where it was removed), so it is always consistent with the spans, whatever
order sources arrived in.
"""

from __future__ import annotations

from collections import defaultdict

from provisions.bulk import update_rows
from provisions.diff import compare_clauses
from provisions.models import (
    Capture,
    ChangeKind,
    Document,
    Provision,
    Revision,
    Span,
    Variant,
    Version,
)
from provisions.parse import normalize_text

# A revision this similar to the wording before it is a wording change, not a new rule.
WORDING_SIMILARITY = 0.9
TECHNICAL_CAPTURES = {"technical", "maintenance"}


def refresh_history(document: Document) -> None:
    """Each variant's history on its own timeline; the document's ``latest_version`` is its
    primary (first) variant's latest."""
    variants = list(document.variants.order_by("id"))
    for variant in variants:
        refresh_variant_history(variant)
    latest = variants[0].latest_version_id if variants else None
    if document.latest_version_id != latest:
        Document.objects.filter(pk=document.pk).update(latest_version_id=latest)
        document.latest_version_id = latest


def refresh_variant_history(variant: Variant) -> None:
    versions = list(variant.versions.order_by("captured_at", "id").defer("text"))
    if not versions:
        return
    present: dict[int, dict[int, int]] = defaultdict(dict)  # version -> provision -> revision
    heading_of: dict[int, list] = {}
    version_ids = [v.pk for v in versions]
    by_id = {v.pk: v for v in versions}
    # Plain id lists rather than joins: cheap whatever the planner believes about table sizes.
    revisions = Revision.objects.filter(
        provision_id__in=list(variant.provisions.values_list("id", flat=True))
    )
    for version_id, provision_id, revision_id, heading_path in Span.objects.filter(
        version_id__in=version_ids
    ).values_list("version_id", "provision_id", "revision_id", "heading_path"):
        present[version_id][provision_id] = revision_id
        heading_of[(version_id, provision_id)] = heading_path
    capture_kinds: dict[int, set[str]] = defaultdict(set)
    sightings = {(v.captured_at, v.pk): v for v in versions}  # a version without captures too
    for captured_at, version_id, kind in Capture.objects.filter(
        version_id__in=version_ids
    ).values_list("captured_at", "version_id", "kind"):
        capture_kinds[version_id].add(kind)
        sightings[(captured_at, version_id)] = by_id[version_id]
    similarity = dict(revisions.values_list("id", "similarity"))
    wording = _changed_wordings(versions, present)

    changed_versions = []
    for index, version in enumerate(versions):
        old = present[versions[index - 1].pk] if index else {}
        new = present[version.pk]
        # The one count of added / removed / reworded (provisions.diff.compare_clauses), as
        # the diff page and the API show it: typographic edits are not rewordings.
        tally = compare_clauses(
            {p: (r, wording.get(r, "")) for p, r in old.items()},
            {p: (r, wording.get(r, "")) for p, r in new.items()},
        )
        added, removed = len(tally.added), len(tally.removed)
        revised = [new[p] for p in tally.reworded]
        kind = _change_kind(
            index, versions, capture_kinds[version.pk], added, removed, revised, similarity
        )
        if kind == ChangeKind.BOILERPLATE and tally.typographic:
            kind = ChangeKind.MARKUP
        values = (index + 1, kind, added if index else len(new), removed, len(revised))
        if values != (
            version.ordinal,
            version.change_kind,
            version.added_count,
            version.removed_count,
            version.revised_count,
        ):
            (
                version.ordinal,
                version.change_kind,
                version.added_count,
                version.removed_count,
                version.revised_count,
            ) = values
            changed_versions.append(version)
    update_rows(
        Version,
        ["ordinal", "change_kind", "added_count", "removed_count", "revised_count"],
        [
            (v.pk, v.ordinal, v.change_kind, v.added_count, v.removed_count, v.revised_count)
            for v in changed_versions
        ],
    )
    # The capture timeline: versions in the order they were seen, a run of one counted once.
    timeline = [sightings[key] for key in sorted(sightings)]
    timeline = [v for i, v in enumerate(timeline) if not i or timeline[i - 1] is not v]
    _refresh_provisions(variant, timeline, present, heading_of, revisions)
    latest = (
        Capture.objects.filter(version__variant=variant)
        .order_by("-captured_at", "-id")
        .values_list("version_id", flat=True)
        .first()
    )
    if variant.latest_version_id != latest:
        Variant.objects.filter(pk=variant.pk).update(latest_version_id=latest)
        variant.latest_version_id = latest


def _changed_wordings(versions, present) -> dict[int, str]:
    """Revision id -> wording, for the revisions that differ between consecutive versions
    (only those need their words compared)."""
    wanted = set()
    for index in range(1, len(versions)):
        old, new = present[versions[index - 1].pk], present[versions[index].pk]
        for provision in new.keys() & old.keys():
            if new[provision] != old[provision]:
                wanted.update((new[provision], old[provision]))
    return dict(Revision.objects.filter(pk__in=wanted).values_list("pk", "text"))


def _change_kind(index, versions, capture_kinds, added, removed, revised, similarity) -> str:
    if index == 0:
        return ChangeKind.FIRST
    if capture_kinds and capture_kinds <= TECHNICAL_CAPTURES:
        return ChangeKind.TECHNICAL
    if added or removed or revised:
        light = all((similarity.get(r) or 0) >= WORDING_SIMILARITY for r in revised)
        if not added and not removed and light:
            return ChangeKind.WORDING
        return ChangeKind.SUBSTANTIVE
    texts = dict(
        Version.objects.filter(pk__in=[versions[index - 1].pk, versions[index].pk]).values_list(
            "pk", "text"
        )
    )
    if normalize_text(texts[versions[index - 1].pk]) == normalize_text(texts[versions[index].pk]):
        return ChangeKind.MARKUP
    return ChangeKind.BOILERPLATE


def _refresh_provisions(variant, versions, present, heading_of, revisions) -> None:
    """Each provision's first and last version and where it was removed, on the capture
    timeline: a text captured again after another (A, B, A) is in force again, so a clause only
    B had was removed by the second A, and one B dropped is back."""
    seen: dict[int, list[int]] = defaultdict(list)  # provision -> indexes on the timeline
    for index, version in enumerate(versions):
        for provision_id in present[version.pk]:
            seen[provision_id].append(index)
    latest_revision = {}
    for provision_id, number, text, text_hash in revisions.order_by(
        "provision_id", "number"
    ).values_list("provision_id", "number", "text", "text_hash"):
        latest_revision[provision_id] = (number, text, text_hash)
    changed = []
    for provision in Provision.objects.filter(variant=variant).defer("text").iterator():
        indexes = seen.get(provision.pk)
        if not indexes:
            continue
        first, last = versions[indexes[0]], versions[indexes[-1]]
        removed_in = versions[indexes[-1] + 1] if indexes[-1] + 1 < len(versions) else None
        number, text, text_hash = latest_revision[provision.pk]
        heading = heading_of[(last.pk, provision.pk)]
        removed_id = removed_in.pk if removed_in else None
        state = (first.pk, last.pk, removed_id, number, heading, text_hash)
        if state != (
            provision.first_version_id,
            provision.last_version_id,
            provision.removed_in_id,
            provision.revision_count,
            provision.heading_path,
            provision.text_hash,
        ):
            changed.append(
                (provision.pk, first.pk, last.pk, removed_id, number, heading, text, text_hash)
            )
    update_rows(
        Provision,
        [
            "first_version_id",
            "last_version_id",
            "removed_in_id",
            "revision_count",
            "heading_path",
            "text",
            "text_hash",
        ],
        changed,
    )
