"""Suggested ("possibly related") regulations for provisions, computed in the worker.

A provision's embedding is compared with the embedding of each catalog topic's definition; the
regulations tagged with a close topic are suggested, with the cosine as score. Suggestions are
never applicable links: regulations already linked to the provision (curated) are left out,
and pages show them apart. Re-running replaces every suggestion in one transaction.
"""

from __future__ import annotations

import numpy as np
from django.db import connection, transaction

from provisions import embeddings
from provisions.models import Provision, TextEmbedding
from regulations.models import Regulation, SuggestedLink, Topic
from regulations.queries import applicable_by_provision

# Cosine between a clause and a one-sentence topic definition. Measured with the default model
# on the labelled clauses: the closest topic reaches 0.5 for 70% of 125 clauses of harm-related
# types (CSAM, NCII, weapons, ...; median 0.60) and for 7% of 142 boilerplate clauses (governing
# law, warranties, ...; median 0.37).
MIN_SCORE = 0.5
PER_PROVISION = 5
CHUNK = 2000
LOCK = 0x5E661E57  # advisory lock: two workers replacing suggestions at once would collide


def topic_regulations() -> dict[int, list[tuple[int, bool]]]:
    """Topic id -> [(regulation id, binds now or soon)] from the catalog."""
    live = set(Regulation.objects.live().values_list("pk", flat=True))
    found: dict[int, list[tuple[int, bool]]] = {}
    for regulation_id, topic_id in Regulation.topics.through.objects.values_list(
        "regulation_id", "topic_id"
    ):
        found.setdefault(topic_id, []).append((regulation_id, regulation_id in live))
    return found


def rank_suggestions(
    scores: np.ndarray,
    topic_ids: list[int],
    regulations_of: dict[int, list[tuple[int, bool]]],
    exclude: set[int],
) -> list[tuple[int, int, float]]:
    """For one provision: up to PER_PROVISION (regulation, topic, score), best first.

    A regulation takes the score of its closest topic; live law comes before pending or repealed
    law at equal score. Pure, so it is tested without a database.
    """
    best: dict[int, tuple[float, bool, int]] = {}
    for index in np.argsort(scores)[::-1]:
        score = float(scores[index])
        if score < MIN_SCORE:
            break
        for regulation_id, live in regulations_of.get(topic_ids[index], []):
            if regulation_id not in exclude and regulation_id not in best:
                best[regulation_id] = (score, live, topic_ids[index])
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], not item[1][1], item[0]))
    return [
        (regulation_id, topic_id, score)
        for regulation_id, (score, _live, topic_id) in ranked[:PER_PROVISION]
    ]


def suggest_links(*, encoder=None) -> dict[str, int]:
    """Replace every suggested link, for every live provision embedded with this model."""
    encoder = encoder or embeddings.get_encoder()
    topics = list(Topic.objects.values_list("pk", "definition"))
    if not topics:
        return {"provisions": 0, "suggested": 0}
    topic_ids = [pk for pk, _ in topics]
    topic_matrix = np.asarray(
        embeddings.encode_cached([definition for _, definition in topics], encoder=encoder),
        dtype=np.float32,
    )
    regulations_of = topic_regulations()
    provisions = list(Provision.objects.live().order_by("pk").values_list("pk", "text_hash"))
    rows: list[SuggestedLink] = []
    seen = 0
    for start in range(0, len(provisions), CHUNK):
        chunk = provisions[start : start + CHUNK]
        vectors = TextEmbedding.objects.vectors((h for _, h in chunk), model_name=encoder.name)
        chunk = [(pk, h) for pk, h in chunk if h in vectors]
        if not chunk:
            continue
        seen += len(chunk)
        matrix = np.asarray([vectors[h] for _, h in chunk], dtype=np.float32)
        scores = matrix @ topic_matrix.T  # both sides are L2-normalized: cosine
        applicable = applicable_by_provision([pk for pk, _ in chunk])
        for (provision_id, _hash), row in zip(chunk, scores, strict=True):
            exclude = {link.regulation.pk for link in applicable[provision_id]}
            for regulation_id, topic_id, score in rank_suggestions(
                row, topic_ids, regulations_of, exclude
            ):
                rows.append(
                    SuggestedLink(
                        provision_id=provision_id,
                        regulation_id=regulation_id,
                        topic_id=topic_id,
                        score=round(score, 4),
                        model_name=encoder.name,
                    )
                )
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])
        SuggestedLink.objects.all().delete()
        SuggestedLink.objects.bulk_create(rows, batch_size=5000)
    return {"provisions": seen, "suggested": len(rows)}
