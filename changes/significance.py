"""Every provision change of a document, judged (``changes.rules``) and stored as
``ProvisionChange`` rows, recomputed from the stored spans after every import.

Each version is compared with the version before it on the document's timeline, capture
glitches set aside (``changes.glitches``): a glitch version's changes are stored as glitch,
compared with the last version before it that is not a glitch, and the version after the
glitch is compared with that same version, so a page that flipped between two renderings
shows one glitch, not removals and re-additions. Recomputing writes only the computed fields:
a curator's correction stays.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction

from changes.glitches import find_glitches
from changes.models import Action, ProvisionChange
from changes.rules import BANNER_REASON, Counterparts, is_furniture, judge_change
from comparisons.models import Assignment
from provisions.diff import compare_clauses
from provisions.models import Capture, Document, Span

TECHNICAL_CAPTURES = {"technical", "maintenance"}
COMPUTED_FIELDS = [
    "document",
    "previous_version",
    "action",
    "captured_at",
    "significance",
    "direction",
    "direction_reason",
    "rule",
    "rule_explanation",
    "evidence",
    "glitch",
]


def refresh_changes(document: Document) -> int:
    """Recompute this document's provision changes; returns how many are stored."""
    versions = list(document.versions.order_by("captured_at", "id").defer("text"))
    spans = defaultdict(dict)  # version -> provision -> (revision, start, end, heading path)
    lead_ins = {}  # provision -> the lead-in of its list, where it is a list item
    for version_id, provision_id, revision_id, start, end, path, lead_in in (
        Span.objects.filter(version__document=document)
        .order_by("version_id", "position")
        .values_list(
            "version_id", "provision_id", "revision_id", "start", "end", "heading_path", "lead_in"
        )
    ):
        spans[version_id][provision_id] = (revision_id, start, end, path)
        if lead_in:
            lead_ins[provision_id] = lead_in
    glitches = find_glitches(_timeline(versions), {v.pk: len(spans[v.pk]) for v in versions})
    technical = _technical_versions(versions)
    types = _clause_types(document)
    rows = []
    texts = {}
    baseline = versions[0] if versions else None
    for version in versions[1:]:
        texts = {pk: texts[pk] for pk in texts if pk == baseline.pk}
        for pk in (baseline.pk, version.pk):
            if pk not in texts:
                texts[pk] = type(version).objects.values_list("text", flat=True).get(pk=pk)
        rows += _judge_pair(
            document,
            baseline,
            version,
            spans,
            texts,
            (types, lead_ins),
            technical=version.pk in technical,
            glitch=glitches.get(version.pk, ""),
        )
        if version.pk not in glitches:
            baseline = version
    return _store(document, rows)


def _timeline(versions) -> list[int]:
    sightings = {(v.captured_at, v.pk): v.pk for v in versions}
    for captured_at, version_id in Capture.objects.filter(
        version__in=[v.pk for v in versions]
    ).values_list("captured_at", "version_id"):
        sightings[(captured_at, version_id)] = version_id
    timeline = [sightings[key] for key in sorted(sightings)]
    return [v for i, v in enumerate(timeline) if not i or timeline[i - 1] != v]


def _technical_versions(versions) -> set[int]:
    """Versions whose text was first recorded by a technical re-extraction (or maintenance):
    the difference from the version before comes from OTA's extraction, even when the same
    text was later recorded again as a change."""
    first = {}  # version -> (its first capture time, the kinds of its captures at that time)
    for version_id, captured_at, kind in (
        Capture.objects.filter(version__in=[v.pk for v in versions])
        .order_by("captured_at", "id")
        .values_list("version_id", "captured_at", "kind")
    ):
        when, kinds = first.setdefault(version_id, (captured_at, set()))
        if captured_at == when:
            kinds.add(kind)  # the corpus copy of an OTA commit shares its time
    return {pk for pk, (_when, kinds) in first.items() if kinds & TECHNICAL_CAPTURES}


def _clause_types(document) -> dict[int, dict]:
    return {
        provision_id: {"slug": slug, "name": name}
        for provision_id, slug, name in Assignment.objects.filter(
            provision__document=document
        ).values_list("provision_id", "clause_type__slug", "clause_type__name")
    }


def _judge_pair(document, old, new, spans, texts, context, *, technical, glitch) -> list:
    types, lead_ins = context

    def clauses(version):
        text = texts[version.pk]
        return {p: (r, text[s:e]) for p, (r, s, e, _path) in spans[version.pk].items()}

    before, after = clauses(old), clauses(new)
    tally = compare_clauses(before, after)
    banners = _banner_block(spans[old.pk], before) | _banner_block(spans[new.pk], after)
    # Texts of the clauses that stay as they were: an added or removed copy of one of them
    # is a page captured twice over, not a rule.
    unchanged = {text for p, (_r, text) in after.items() if p in before and before[p][1] == text}
    removed_texts = Counterparts(before[p][1] for p in tally.removed)
    added_texts = Counterparts(after[p][1] for p in tally.added)
    # (provision, action, old, new, the texts on the other side, those on its own side)
    changes = (
        [(p, Action.ADDED, None, after[p][1], removed_texts, added_texts) for p in tally.added]
        + [
            (p, Action.REMOVED, before[p][1], None, added_texts, removed_texts)
            for p in tally.removed
        ]
        + [(p, Action.REWORDED, before[p][1], after[p][1], None, None) for p in tally.reworded]
        + [
            (p, Action.TYPOGRAPHIC, before[p][1], after[p][1], None, None)
            for p in tally.typographic + tally.markup
        ]
    )
    rows = []
    for provision_id, action, old_text, new_text, counterparts, siblings in changes:
        verdict = judge_change(
            "reworded" if action == Action.TYPOGRAPHIC else action,
            old_text,
            new_text,
            counterparts=counterparts,
            siblings=siblings,
            unchanged=unchanged,
            banner_block=provision_id in banners,
            lead_in=lead_ins.get(provision_id, ""),
            technical=technical,
            glitch=glitch,
        )
        clause_type = types.get(provision_id)
        verdict.evidence["clause_type_before"] = clause_type if old_text is not None else None
        verdict.evidence["clause_type_after"] = clause_type if new_text is not None else None
        rows.append(
            ProvisionChange(
                document=document,
                version=new,
                previous_version=old,
                provision_id=provision_id,
                action=action,
                captured_at=new.captured_at,
                significance=verdict.significance,
                direction=verdict.direction,
                direction_reason=verdict.direction_reason[:300],
                rule=verdict.rule,
                rule_explanation=verdict.explanation[:300],
                evidence=verdict.evidence,
                glitch=f"G-{new.pk}" if glitch else "",
            )
        )
    return rows


def _banner_block(spans, clauses) -> set[int]:
    """Provisions before the first heading of a version that holds a cookie or consent banner:
    the banner's other paragraphs (consent purposes, vendor counts) say nothing banner-like on
    their own, but none of them is the policy."""
    leading = []
    for provision_id, (_r, _s, _e, path) in spans.items():  # in reading order
        if path:
            break
        leading.append(provision_id)
    if any(is_furniture(clauses[p][1]) == BANNER_REASON for p in leading):
        return set(leading)
    return set()


@transaction.atomic
def _store(document, rows) -> int:
    """Upsert on (version, provision), computed fields only; drop changes no longer found."""
    ProvisionChange.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["version", "provision"],
        update_fields=COMPUTED_FIELDS,
    )
    keep = {(row.version_id, row.provision_id) for row in rows}
    stale = [
        pk
        for pk, version_id, provision_id in ProvisionChange.objects.filter(
            document=document
        ).values_list("pk", "version_id", "provision_id")
        if (version_id, provision_id) not in keep
    ]
    ProvisionChange.objects.filter(pk__in=stale).delete()
    return len(rows)
