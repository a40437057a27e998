"""Following provisions along a variant's capture timeline (each variant of a document has its
own; a clause is never followed from one variant's text to another's) while an import stores
it: each new version is linked to the one before it, and versions that arrive out of date order are
re-linked, in date order, once all are stored. Mixed into ``provisions.ingest.Store``, whose
state (timelines, rows waiting for COPY, the report) these methods share.
"""

from __future__ import annotations

from django.db.models import Max

from provisions.bulk import reserve_ids
from provisions.lineage import Known, match_segments
from provisions.models import Provision, Revision, Span, Variant, Version
from provisions.parse import normalize_text, split_provisions


class Linking:
    """Linking provisions version to version, for ``provisions.ingest.Store``."""

    def __init__(self):
        self.known_spans: dict[int, list[Known]] = {}  # version id -> its provisions
        # variant id -> old wordings: text hash -> (provision id, revision id, is a part)
        self.earlier: dict[int, dict[str, tuple[int, int, bool]]] = {}
        self.revision_counts: dict[int, int] = {}  # provision id -> revisions so far
        # Variants that got a version before one already stored: (captured_at, id) of the
        # first version whose provisions are followed again, in date order, at the end.
        self.relink_from: dict[int, tuple] = {}
        # While re-following: the records those versions had, to give back to the same clauses
        # ((version id, position) -> provision id, and text hash -> provision id).
        self.reusable: dict[str, dict] = {}
        self.claimed: set[int] = set()  # provision ids already in the re-followed lineage
        self.kinds: list[tuple[int, str]] = []  # (provision id, kind) of records given back

    # -- versions arriving out of date order ----------------------------------------------

    def relink_later(self, variant: Variant, version: Version) -> None:
        """Versions from this one on are linked again, in date order, once all are stored:
        each must be compared with the version before it on the timeline, whatever order
        they arrived in (a version that lands between two others changes what follows it)."""
        start = (version.captured_at, version.pk)
        self.relink_from[variant.pk] = min(self.relink_from.get(variant.pk, start), start)

    def relink(self, variant: Variant, start: tuple) -> None:
        """Follow provisions again from ``start`` on, as if the versions had come in date order.

        Provisions and revisions only those versions used are dropped and made again, but a
        clause gets back its old record where it can (same place in the same version, or the
        same wording), so records, and what refers to them, survive the relinking.
        """
        timeline = self.timelines[variant.pk]
        index = next(i for i, v in enumerate(timeline) if (v.captured_at, v.pk) >= start)
        redo = timeline[index:]
        old = Span.objects.filter(version__in=redo)
        self.reusable = {
            "at": {
                (v, at): p for v, at, p in old.values_list("version_id", "position", "provision")
            },
            "hash": dict(old.values_list("revision__text_hash", "provision_id")),
        }
        old.delete()
        Revision.objects.filter(provision__variant=variant, spans__isnull=True).delete()
        self.claimed = set(
            Span.objects.filter(version__variant=variant).values_list("provision_id", flat=True)
        )
        for provision_id in variant.provisions.values_list("id", flat=True):
            self.revision_counts.pop(provision_id, None)
        self.earlier.pop(variant.pk, None)
        previous = timeline[index - 1] if index else None
        for version in redo:
            self.known_spans.pop(version.pk, None)
            self.follow_provisions(variant, version, previous)
            previous = version
        self.flush()
        self.reusable = {}
        variant.provisions.filter(spans__isnull=True).delete()

    def give_back(self, version: Version, new: list) -> dict[int, int]:
        """Old records (while relinking) for the clauses that would get new ones."""
        given = {}
        for m in new if self.reusable else ():
            for candidate in (
                self.reusable["at"].get((version.pk, m.segment.position)),
                self.reusable["hash"].get(m.segment.text_hash),
            ):
                if candidate is not None and candidate not in self.claimed:
                    self.claimed.add(candidate)
                    given[id(m)] = candidate
                    self.kinds.append((candidate, m.segment.kind))
                    break
        return given

    def known(self, version: Version) -> list[Known]:
        if version.pk not in self.known_spans:
            self.known_spans[version.pk] = [
                Known(
                    provision_id=s.provision_id,
                    revision_id=s.revision_id,
                    text_hash=s.revision.text_hash,
                    normalized=normalize_text(version.text[s.start : s.end]),
                    heading_path=tuple(s.heading_path),
                    part=s.parent_position is not None,
                )
                for s in Span.objects.filter(version=version).select_related("revision")
            ]
        return self.known_spans[version.pk]

    def earlier_wordings(self, variant: Variant) -> dict[str, tuple[int, int]]:
        if variant.pk not in self.earlier:
            provision_ids = list(variant.provisions.values_list("id", flat=True))
            self.revision_counts.update(
                Revision.objects.filter(provision_id__in=provision_ids)
                .values("provision_id")
                .annotate(count=Max("number"))
                .values_list("provision_id", "count")
            )
            self.earlier[variant.pk] = {
                text_hash: (provision_id, revision_id, kind == "part")
                for text_hash, provision_id, revision_id, kind in Revision.objects.filter(
                    provision_id__in=provision_ids
                ).values_list("text_hash", "provision_id", "id", "provision__kind")
            }
        return self.earlier[variant.pk]

    def follow_provisions(self, variant: Variant, version: Version, previous) -> None:
        segments = split_provisions(version.text)
        earlier = self.earlier_wordings(variant)
        matches = match_segments(
            self.known(previous) if previous else [], segments, earlier=earlier
        )
        self.claimed.update(m.provision_id for m in matches if m.provision_id)
        given = self.give_back(version, [m for m in matches if m.provision_id is None])
        new = [m for m in matches if m.provision_id is None and id(m) not in given]
        provision_ids = dict(zip(map(id, new), reserve_ids(Provision, len(new)), strict=True))
        provision_ids.update(given)
        for m in new:
            self.rows["provision"].append(
                (
                    provision_ids[id(m)],
                    variant.document_id,
                    variant.pk,
                    m.segment.text,
                    m.segment.text_hash,
                    list(m.segment.heading_path),
                    m.segment.kind,
                    version.pk,
                    version.pk,
                    1,
                    self.now,
                    self.now,
                )
            )
        needs_revision = [m for m in matches if m.revision_id is None]
        revision_ids = dict(
            zip(map(id, needs_revision), reserve_ids(Revision, len(needs_revision)), strict=True)
        )
        for m in needs_revision:
            provision_id = m.provision_id or provision_ids[id(m)]
            number = self.revision_counts.get(provision_id, 0) + 1
            self.revision_counts[provision_id] = number
            self.rows["revision"].append(
                (
                    revision_ids[id(m)],
                    provision_id,
                    number,
                    m.segment.text,
                    m.segment.text_hash,
                    version.pk,
                    m.similarity,
                    self.now,
                    self.now,
                )
            )
        known = []
        for m in matches:
            provision_id = m.provision_id or provision_ids[id(m)]
            revision_id = m.revision_id or revision_ids[id(m)]
            earlier.setdefault(
                m.segment.text_hash, (provision_id, revision_id, m.segment.parent is not None)
            )
            self.rows["span"].append(
                (
                    version.pk,
                    provision_id,
                    revision_id,
                    m.segment.position,
                    m.segment.start,
                    m.segment.end,
                    list(m.segment.heading_path),
                    m.segment.lead_in,
                    m.segment.parent,
                )
            )
            known.append(
                Known(
                    provision_id,
                    revision_id,
                    m.segment.text_hash,
                    m.segment.normalized,
                    m.segment.heading_path,
                    m.segment.parent is not None,
                )
            )
        self.known_spans[version.pk] = known
        self.report.provisions += len(new)
