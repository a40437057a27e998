"""Assignment of stored provisions to clause types (runs in the worker): the classifier's
choice, or a discovered cluster's, then each provision's cross-platform matches and the
coverage per clause type and platform.

The classifier is in ``comparisons.classifier``, its evaluation in ``comparisons.evaluation``
and the discovered types in ``comparisons.discovery``.
"""

from __future__ import annotations

import logging
import time

import numpy as np
from django.db import transaction
from django.db.models import Count, Min, Q

# The module, not its names: fit_classifier is looked up there, by this module and by
# train_stored_classifier alike (tests replace it once for both).
from comparisons import classifier as clause_classifier
from comparisons.classifier import (
    confidence_band,
    read_row,
    store_classifier,
    training_digest,
)
from comparisons.discovery import CLUSTER_DISTANCE, discover_clusters
from comparisons.models import (
    DEFAULT_SEVERITY_RULE,
    Assignment,
    CategoryAssignment,
    ClauseType,
    Coverage,
    SimilarProvision,
)
from comparisons.taxonomy import load_clause_types, read_labels, read_retired, read_taxonomy
from provisions import embeddings
from provisions.models import Provision, TextEmbedding

SIMILAR_PER_PROVISION = 5
logger = logging.getLogger(__name__)


def assign_provisions(*, encoder=None, provision_ids=None) -> dict[str, int]:
    """Assign every embedded provision a clause type and find its cross-platform matches.

    Idempotent: non-curated assignments and similarity rows are replaced as a whole, in one
    transaction; curated assignments are left as the curator set them.

    With ``provision_ids`` (a new or changed document's provisions: ``atlas.pipeline``), only
    those are assigned, by the classifier stored for this model and training data, and only
    the matches and coverage of the clause types they leave or join are recomputed
    (``assign_some``). Without a stored classifier (a change of model, taxonomy or labels) or
    before any discovered type exists (the first run), the whole corpus is assigned.
    """
    encoder = encoder or embeddings.get_encoder()
    taxonomy = read_taxonomy()
    labels = read_labels()
    # Incremental only once a full run has discovered types: their discovery needs the corpus.
    if provision_ids is not None and ClauseType.objects.filter(discovered=True).exists():
        stored = clause_classifier.load_classifier(encoder.name, training_digest(taxonomy, labels))
        if stored is not None:
            return assign_some(provision_ids, encoder=encoder, taxonomy=taxonomy, classifier=stored)
    classifier = clause_classifier.fit_classifier(encoder, taxonomy, labels)
    slugs = list(classifier.slugs)
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
    probabilities = classify_in_context(classifier, provisions, matrix, encoder)
    with transaction.atomic():
        types = load_clause_types(taxonomy)
        move_retired(provisions, probabilities, slugs, types)
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
        CategoryAssignment.objects.all().delete()
        chosen: dict[int, str] = dict(curated)
        rows, unassigned = _classified(
            provisions, probabilities, slugs, types, curated, chosen, encoder
        )
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
            rows.append(_in_cluster(provision_id, text_hash, clause_type, score, encoder))
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


def classify_in_context(classifier, provisions, matrix, encoder) -> np.ndarray:
    """The classifier's probabilities for these provisions (rows of ``matrix``), each read
    alone and under its context (``Provision.objects.contexts``); the contexts' vectors go
    through the embedding store like any wording."""
    contexts = Provision.objects.filter(pk__in=[p[0] for p in provisions]).contexts()
    context_vectors, present = clause_classifier.context_vectors(
        [contexts.get(p[0], "") for p in provisions],
        clause_classifier.StoredEncoder(encoder),
        dimensions=matrix.shape[1],
    )
    return classifier.probabilities_in_context(matrix, context_vectors, present)


def move_retired(provisions, probabilities, slugs, types, retired=None) -> int:
    """Move curated assignments off retired types, then delete those types.

    A curator put the provision in the old type; of the types that replaced it, the one the
    classifier scores highest for the provision keeps that decision (still curated). Returns
    how many assignments moved.
    """
    retired = read_retired() if retired is None else retired
    rows = {p[0]: row for p, row in zip(provisions, probabilities, strict=True)}
    column = {slug: i for i, slug in enumerate(slugs)}
    moved = []
    for assignment in Assignment.objects.filter(
        basis="curated", clause_type__slug__in=retired
    ).select_related("clause_type"):
        successors = [s for s in retired[assignment.clause_type.slug]["replaced_by"] if s in types]
        if not successors:
            continue
        row = rows.get(assignment.provision_id)
        if row is not None:
            successors.sort(key=lambda slug: -row[column[slug]])
        clause_type = types[successors[0]]
        assignment.clause_type = clause_type
        if assignment.severity_rule.startswith(DEFAULT_SEVERITY_RULE):  # not a curator's
            assignment.severity = clause_type.default_severity
            assignment.severity_rule = clause_type.default_severity_rule
        moved.append(assignment)
    Assignment.objects.bulk_update(moved, ["clause_type", "severity", "severity_rule"])
    ClauseType.objects.filter(slug__in=retired, discovered=False).delete()
    if moved:
        logger.info("moved %d curated assignments off retired clause types", len(moved))
    return len(moved)


def _classified(provisions, probabilities, slugs, types, curated, chosen, encoder):
    """The classifier's assignments of ``provisions`` (each a row of ``probabilities``): none
    for curated ones; a category alone (stored here, ``CategoryAssignment``) where no type
    reaches the lowest band but a category is clear. ``chosen`` gains the types. Returns the
    assignments to create and the indexes of the provisions left to clustering: live, untyped,
    and not read as stating no rule (headings and definitions would otherwise become
    "discovered types")."""
    categories = {slug: clause_type.category for slug, clause_type in types.items()}
    rows, category_rows, no_rule = [], [], set()
    for (provision_id, text_hash, _platform, _removed), row in zip(
        provisions, probabilities, strict=True
    ):
        if provision_id in curated:
            continue
        reading = read_row(row, slugs, categories)
        if not reading.states_rule:
            no_rule.add(provision_id)
            continue
        if reading.clause_type is None:
            if reading.category:
                category_rows.append(
                    CategoryAssignment(
                        provision_id=provision_id,
                        category=reading.category,
                        score=reading.category_score,
                        candidates=[
                            [slug, round(p, 4)]
                            for slug, p in reading.ranked
                            if categories[slug] == reading.category
                        ],
                        model_name=encoder.name,
                        text_hash=text_hash,
                    )
                )
            continue
        clause_type = types[reading.clause_type]
        runner_up, runner_up_score = reading.ranked[1]
        chosen[provision_id] = clause_type.slug
        rows.append(
            Assignment(
                provision_id=provision_id,
                clause_type=clause_type,
                score=round(reading.ranked[0][1], 4),
                confidence=reading.band,
                basis="classifier",
                runner_up=types[runner_up],
                runner_up_score=round(runner_up_score, 4),
                severity=clause_type.default_severity,
                severity_rule=clause_type.default_severity_rule,
                model_name=encoder.name,
                text_hash=text_hash,
            )
        )
    CategoryAssignment.objects.bulk_create(category_rows, batch_size=2000)
    left = [
        i
        for i, p in enumerate(provisions)
        if p[0] not in chosen and p[0] not in no_rule and p[3] is None
    ]
    return rows, left


def assign_some(provision_ids, *, encoder, taxonomy, classifier) -> dict[str, int]:
    """Assign these provisions only, with a stored classifier; then recompute the matches of
    every live provision of the clause types they left or joined (a new clause can enter any
    of their top five), and those types' coverage. The rest of the corpus is not read.

    What it cannot do without the whole corpus: discover new types. A provision no written
    type fits joins an existing discovered type when its mean cosine to the members reaches
    the discovery's own threshold (average linkage: what clustering would merge it into);
    otherwise it stays unassigned until the next full run (after a curator's decision,
    ``manage.py cluster``, or a change of model, taxonomy or labels). Existing members of a
    type it joins keep their scores, which a full run recomputes from the moved centre.
    """
    started = time.perf_counter()
    slugs = list(classifier.slugs)
    provisions = list(
        Provision.objects.filter(pk__in=list(provision_ids))
        .values_list("id", "text_hash", "document__platform_id", "removed_in_id")
        .order_by("id")
    )
    vectors = TextEmbedding.objects.vectors((p[1] for p in provisions), model_name=encoder.name)
    provisions = [p for p in provisions if p[1] in vectors]
    if not provisions:
        return {"assigned": 0, "unassigned": 0, "similar_written": 0, "discovered": 0}
    ids = [p[0] for p in provisions]
    matrix = np.asarray([vectors[p[1]] for p in provisions], dtype=np.float32)
    probabilities = classify_in_context(classifier, provisions, matrix, encoder)
    with transaction.atomic():
        types = load_clause_types(taxonomy)
        mine = Assignment.objects.filter(provision_id__in=ids)
        affected = set(mine.values_list("clause_type_id", flat=True))
        curated = dict(
            mine.filter(basis="curated").values_list("provision_id", "clause_type__slug")
        )
        mine.exclude(basis="curated").delete()
        CategoryAssignment.objects.filter(provision_id__in=ids).delete()
        chosen: dict[int, str] = dict(curated)
        rows, unassigned = _classified(
            provisions, probabilities, slugs, types, curated, chosen, encoder
        )
        joined = _join_discovered(
            [provisions[i] for i in unassigned], matrix[unassigned], encoder=encoder
        )
        rows += joined
        Assignment.objects.bulk_create(rows, batch_size=2000)
        # Curated assignments stay as they were: their types are among those read above.
        affected |= {row.clause_type_id for row in rows}
        assigned = time.perf_counter()
        written = refresh_similar(affected, encoder=encoder, also=ids)
        matched = time.perf_counter()
        store_coverage(clause_type_ids=affected)
    logger.info(
        "assigned %d provisions alone in %.2f s (assignments %.2f s, matches of %d clause types "
        "%.2f s, %d rows written; coverage %.2f s)",
        len(ids),
        time.perf_counter() - started,
        assigned - started,
        len(affected),
        matched - assigned,
        written,
        time.perf_counter() - matched,
    )
    return {
        "discovered": len(joined),
        "assigned": len(rows) + len(curated),
        "unassigned": len(provisions) - len(rows) - len(curated),
        "similar_written": written,  # match rows deleted or added
    }


def _members(clause_type_ids, *, encoder, **filters):
    """(provision tuple, clause type id, slug) of the live provisions with an embedding in
    these clause types, and their vectors in the same order."""
    found = list(
        Assignment.objects.filter(
            clause_type_id__in=clause_type_ids, provision__removed_in__isnull=True, **filters
        )
        .values_list(
            "provision_id",
            "provision__text_hash",
            "provision__document__platform_id",
            "clause_type_id",
            "clause_type__slug",
        )
        .order_by("provision_id")
    )
    vectors = TextEmbedding.objects.vectors((row[1] for row in found), model_name=encoder.name)
    found = [row for row in found if row[1] in vectors]
    matrix = np.asarray([vectors[row[1]] for row in found], dtype=np.float32).reshape(
        len(found), -1
    )
    return found, matrix


def _join_discovered(provisions, matrix: np.ndarray, *, encoder) -> list:
    """Assignments of these unassigned provisions to the discovered types they are close to."""
    if not provisions:
        return []
    discovered = set(
        Assignment.objects.filter(basis="cluster").values_list("clause_type_id", flat=True)
    )
    members, vectors = _members(discovered, encoder=encoder, basis="cluster")
    if not members:
        return []
    by_type: dict[int, list[int]] = {}
    for index, row in enumerate(members):
        by_type.setdefault(row[3], []).append(index)
    type_ids = sorted(by_type)
    means = np.stack([vectors[by_type[t]].mean(axis=0) for t in type_ids])
    # Average linkage: the mean cosine to a cluster's members is the cosine to their mean.
    closeness = matrix @ means.T
    clause_types = {t.pk: t for t in ClauseType.objects.filter(pk__in=type_ids)}
    rows = []
    for index, (provision_id, text_hash, _platform, _removed) in enumerate(provisions):
        best = int(np.argmax(closeness[index]))
        if closeness[index, best] < 1 - CLUSTER_DISTANCE:
            continue
        clause_type = clause_types[type_ids[best]]
        centre = means[best] / (np.linalg.norm(means[best]) or 1.0)
        score = float(matrix[index] @ centre)
        rows.append(_in_cluster(provision_id, text_hash, clause_type, score, encoder))
    return rows


def _in_cluster(provision_id, text_hash, clause_type, score: float, encoder) -> Assignment:
    """A provision's assignment to a discovered cluster's type (or the type it was merged
    into), scored by its cosine to the cluster's centre."""
    return Assignment(
        provision_id=provision_id,
        clause_type=clause_type,
        score=round(score, 4),
        confidence=confidence_band(score) or "low",
        basis="cluster",
        severity=clause_type.default_severity,
        severity_rule="discovered clusters are rated low until a curator reviews them"
        if clause_type.discovered
        else clause_type.default_severity_rule,
        model_name=encoder.name,
        text_hash=text_hash,
    )


def refresh_similar(clause_type_ids, *, encoder, also=()) -> int:
    """Recompute the matches of every live provision in these clause types (and drop those
    of the provisions in ``also``, whatever their type now); returns the rows that differ.

    Only the rows that differ are written: a new clause enters a few top fives, so most of
    the recomputed rows are already stored."""
    members, matrix = _members(clause_type_ids, encoder=encoder)
    ids = [row[0] for row in members]
    provisions = [(row[0], row[1], row[2], None) for row in members]
    chosen = {row[0]: row[4] for row in members}
    wanted = {
        (p, o, rank): similarity
        for p, o, similarity, rank in similar_pairs(provisions, matrix, chosen)
    }
    stored = SimilarProvision.objects.filter(
        Q(provision_id__in=ids) | Q(provision_id__in=list(also)) | Q(other_id__in=list(also))
    ).values_list("pk", "provision_id", "other_id", "rank", "similarity")
    stale, kept = [], set()
    for pk, provision_id, other_id, rank, similarity in stored.iterator(chunk_size=10_000):
        key = (provision_id, other_id, rank)
        if key in kept or wanted.get(key) != similarity:
            stale.append(pk)
        else:
            kept.add(key)
    SimilarProvision.objects.filter(pk__in=stale).delete()
    fresh = [
        SimilarProvision(provision_id=p, other_id=o, rank=r, similarity=similarity)
        for (p, o, r), similarity in wanted.items()
        if (p, o, r) not in kept
    ]
    SimilarProvision.objects.bulk_create(fresh, batch_size=5000)
    return len(stale) + len(fresh)


def similar_provisions(provisions, matrix: np.ndarray, chosen: dict[int, str]) -> list:
    """For each live provision: the closest live provisions of the same type, other platforms."""
    return [
        SimilarProvision(provision_id=p, other_id=o, similarity=similarity, rank=rank)
        for p, o, similarity, rank in similar_pairs(provisions, matrix, chosen)
    ]


def similar_pairs(provisions, matrix: np.ndarray, chosen: dict[int, str]):
    """(provision id, other id, similarity, rank) of ``similar_provisions``, as tuples."""
    by_type: dict[str, list[int]] = {}
    for index, (provision_id, _hash, _platform, removed) in enumerate(provisions):
        if removed is None and provision_id in chosen:
            by_type.setdefault(chosen[provision_id], []).append(index)
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
                yield (
                    provisions[index][0],
                    provisions[indexes[other]][0],
                    round(float(row[other]), 4),
                    len(seen),
                )


def store_coverage(*, clause_type_ids=None) -> int:
    """Per clause type and platform, the number of live provisions (from the assignments) and
    when the first of its provisions of the type appeared: of every clause type, or of these
    only."""
    stale = Coverage.objects.all()
    assignments = Assignment.objects.all()
    if clause_type_ids is not None:
        stale = stale.filter(clause_type_id__in=clause_type_ids)
        assignments = assignments.filter(clause_type_id__in=clause_type_ids)
    stale.delete()
    rows = assignments.values("clause_type_id", "provision__document__platform_id").annotate(
        count=Count("id", filter=Q(provision__removed_in__isnull=True)),
        first_seen=Min("provision__first_version__captured_at"),
    )
    created = Coverage.objects.bulk_create(
        Coverage(
            clause_type_id=row["clause_type_id"],
            platform_id=row["provision__document__platform_id"],
            provision_count=row["count"],
            first_seen=row["first_seen"],
        )
        for row in rows
        if row["count"]
    )
    return len(created)
