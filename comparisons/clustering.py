"""Assignment of stored provisions to clause types (runs in the worker): the classifier's
choice, or a discovered cluster's, then each provision's cross-platform matches and the
coverage per clause type and platform.

The classifier is in ``comparisons.classifier``, its evaluation in ``comparisons.evaluation``
and the discovered types in ``comparisons.discovery``.
"""

from __future__ import annotations

import numpy as np
from django.db import transaction
from django.db.models import Count

# The module, not its names: fit_classifier is looked up there, by this module and by
# train_stored_classifier alike (tests replace it once for both).
from comparisons import classifier as clause_classifier
from comparisons.classifier import confidence_band, store_classifier, training_digest
from comparisons.discovery import discover_clusters
from comparisons.models import Assignment, Coverage, SimilarProvision
from comparisons.taxonomy import load_clause_types, read_labels, read_taxonomy
from provisions import embeddings
from provisions.models import Provision, TextEmbedding

SIMILAR_PER_PROVISION = 5


def assign_provisions(*, encoder=None) -> dict[str, int]:
    """Assign every embedded provision a clause type and find its cross-platform matches.

    Idempotent: non-curated assignments and similarity rows are replaced as a whole, in one
    transaction; curated assignments are left as the curator set them.
    """
    encoder = encoder or embeddings.get_encoder()
    taxonomy = read_taxonomy()
    labels = read_labels()
    slugs = [t["slug"] for t in taxonomy]
    classifier = clause_classifier.fit_classifier(encoder, taxonomy, labels)
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
    probabilities = classifier.probabilities(matrix)
    with transaction.atomic():
        types = load_clause_types(taxonomy)
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
        chosen: dict[int, str] = dict(curated)
        rows = []
        for (provision_id, text_hash, _platform, _removed), row in zip(
            provisions, probabilities, strict=True
        ):
            order = np.argsort(row)[::-1]
            best, second = int(order[0]), int(order[1])
            band = confidence_band(float(row[best]))
            if provision_id in curated or band is None:
                continue
            clause_type = types[slugs[best]]
            chosen[provision_id] = clause_type.slug
            rows.append(
                Assignment(
                    provision_id=provision_id,
                    clause_type=clause_type,
                    score=round(float(row[best]), 4),
                    confidence=band,
                    basis="classifier",
                    runner_up=types[slugs[second]],
                    runner_up_score=round(float(row[second]), 4),
                    severity=clause_type.default_severity,
                    severity_rule=f"default severity of the clause type “{clause_type.name}”",
                    model_name=encoder.name,
                    text_hash=text_hash,
                )
            )
        unassigned = [i for i, p in enumerate(provisions) if p[0] not in chosen and p[3] is None]
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
            rows.append(
                Assignment(
                    provision_id=provision_id,
                    clause_type=clause_type,
                    score=round(score, 4),
                    confidence=confidence_band(score) or "low",
                    basis="cluster",
                    severity=clause_type.default_severity,
                    severity_rule="discovered clusters are rated low until a curator reviews them"
                    if clause_type.discovered
                    else f"default severity of the clause type “{clause_type.name}”",
                    model_name=encoder.name,
                    text_hash=text_hash,
                )
            )
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


def similar_provisions(provisions, matrix: np.ndarray, chosen: dict[int, str]) -> list:
    """For each live provision: the closest live provisions of the same type, other platforms."""
    by_type: dict[str, list[int]] = {}
    for index, (provision_id, _hash, _platform, removed) in enumerate(provisions):
        if removed is None and provision_id in chosen:
            by_type.setdefault(chosen[provision_id], []).append(index)
    rows = []
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
                rows.append(
                    SimilarProvision(
                        provision_id=provisions[index][0],
                        other_id=provisions[indexes[other]][0],
                        similarity=round(float(row[other]), 4),
                        rank=len(seen),
                    )
                )
    return rows


def store_coverage() -> int:
    """Per clause type and platform, the number of live provisions (from the assignments)."""
    Coverage.objects.all().delete()
    rows = (
        Assignment.objects.filter(provision__removed_in__isnull=True)
        .values("clause_type_id", "provision__document__platform_id")
        .annotate(count=Count("id"))
    )
    created = Coverage.objects.bulk_create(
        Coverage(
            clause_type_id=row["clause_type_id"],
            platform_id=row["provision__document__platform_id"],
            provision_count=row["count"],
        )
        for row in rows
    )
    return len(created)
