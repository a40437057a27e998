"""Sentence embeddings of clause texts, computed in Celery workers.

The model loads lazily, once per process (``get_encoder``: the one seam through which every
caller gets the model, and the one tests swap), so importing this module never imports torch:
the web process stays light. Each normalized clause text is embedded once per
model (``TextEmbedding`` is unique on text hash and model name), which also makes embedding
safe to re-run or to interrupt: an unfinished batch is simply not stored, and is done again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Exists, OuterRef
from django.db.models.functions import Length

from provisions.models import Provision, Revision, TextEmbedding
from provisions.onnx_encoder import model_path
from provisions.parse import hash_text, normalize_text

logger = logging.getLogger(__name__)
QUERY_VECTOR_TTL = 24 * 3600


class Encoder(Protocol):
    name: str

    def encode(self, texts: list[str]) -> list[list[float]]: ...


@dataclass
class SentenceTransformerEncoder:
    name: str
    model: object
    batch_size: int = 32

    def encode(self, texts: list[str]):
        """A float32 array, one row per text (the fake encoder in tests returns lists)."""
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return vectors


class ModelUnavailable(RuntimeError):
    """The sentence model could not be loaded in this process (not installed, bad path)."""


class WarmingUp(ModelUnavailable):
    """Clause wordings are still waiting for their embeddings (the worker is embedding them):
    a search by meaning cannot tell yet that nothing is close. A ``ModelUnavailable``, so
    every caller that degrades without the model degrades here too."""

    def __init__(self, embedded: int, total: int):
        self.embedded, self.total = embedded, total
        super().__init__(f"warming up: {embedded} of {total} clause wordings embedded so far")


def embedding_progress(model_name: str) -> tuple[int, int]:
    """How many distinct clause wordings have an embedding for this model, of how many."""
    wordings = Revision.objects.values("text_hash")
    total = wordings.distinct().count()
    embedded = TextEmbedding.objects.filter(model_name=model_name, text_hash__in=wordings).count()
    return embedded, total


def get_encoder() -> Encoder:
    """The configured sentence model, loaded on first use and kept for the process.

    ``ATLAS_ENCODER`` picks the runtime: ``onnx`` (the default: the same model exported to ONNX
    Runtime, int8, about twice as fast; see ``provisions.onnx_encoder``) or ``torch``
    (sentence-transformers). Both store under the model's name: they are one model, and
    ``bench/embed.py`` measures how close their vectors are.

    Raises ``ModelUnavailable`` with the reason when it cannot be loaded; the next call tries
    again (a failure is not cached), so installing the model fixes a running process.
    """
    return _load_encoder(settings.EMBEDDING_MODEL, settings.ATLAS_ENCODER)


@lru_cache(maxsize=2)
def _load_encoder(name: str, runtime: str = "torch") -> Encoder:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if runtime == "onnx":
        return _load_onnx(name)
    if runtime != "torch":
        raise ModelUnavailable(f"ATLAS_ENCODER is {runtime!r}: it must be 'onnx' or 'torch'")
    try:
        # Imported here, on first use: it imports torch, which the web process never loads
        # until a query needs the model.
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(model_path(name), device="cpu")
    # What a missing package, path or weight file raises: OSError, ImportError, or
    # ValueError (the hub's validation of a name that is not a local directory).
    except (ImportError, OSError, ValueError) as error:
        raise ModelUnavailable(
            f"the sentence model {name!r} could not be loaded: {error}"
        ) from error
    return SentenceTransformerEncoder(name, model, settings.EMBEDDING_BATCH_SIZE)


def _load_onnx(name: str) -> Encoder:
    """The ONNX export of the model, made here first if it is missing (about a minute)."""
    from pathlib import Path

    from provisions import onnx_encoder

    try:
        model_dir = Path(model_path(name))
        if not (model_dir / "config.json").is_file():
            raise OSError(f"{model_dir} is not a model directory (no config.json)")
        quantize = settings.ATLAS_ENCODER_INT8
        out = onnx_encoder.export_dir(settings.ATLAS_DATA_DIR, name, model_dir, quantize=quantize)
        if not (out / "model.onnx").exists():
            logger.info("exporting %s to ONNX in %s (once)", name, out)
            onnx_encoder.export(model_dir, out, quantize=quantize)
        return onnx_encoder.OnnxEncoder(
            name,
            out,
            batch_size=settings.EMBEDDING_BATCH_SIZE,
            threads=settings.ATLAS_ENCODER_THREADS or onnx_encoder.default_threads(),
        )
    except (ImportError, OSError, ValueError, RuntimeError) as error:
        raise ModelUnavailable(
            f"the sentence model {name!r} could not be loaded: {error}"
        ) from error


def in_force(*, document_ids: list[int] | None = None):
    """Provisions in force (of these documents): their latest wordings are the ones clause
    types are assigned from, and so the ones embedded first."""
    provisions = Provision.objects.filter(removed_in__isnull=True)
    if document_ids is not None:
        provisions = provisions.filter(document_id__in=document_ids)
    return provisions


def pending_wordings(
    model_name: str, *, document_ids: list[int] | None = None, current_only: bool = False
) -> list[int]:
    """Revision ids, one per clause wording with no embedding for this model: the wordings of
    provisions in force first (``in_force``; only those with ``current_only``), then
    the others (removed provisions, earlier wordings), each group shortest first.

    One query for the whole set: the embedding loop then reads texts by primary key, chunk by
    chunk, instead of re-running this anti-join after every chunk.
    """
    embedded = TextEmbedding.objects.filter(model_name=model_name, text_hash=OuterRef("text_hash"))
    revisions = Revision.objects.filter(~Exists(embedded))
    if document_ids is not None:
        revisions = revisions.filter(provision__document_id__in=document_ids)
    provisions = in_force(document_ids=document_ids)
    if current_only:
        revisions = revisions.filter(text_hash__in=provisions.values("text_hash"))
    current = set(provisions.values_list("text_hash", flat=True))
    rows = (
        revisions.order_by("text_hash", "pk")
        .distinct("text_hash")
        .values_list("pk", "text_hash", Length("text"))
    )
    # Shortest first: a chunk holds texts of similar length, so batches waste little on padding.
    return [
        pk for pk, _, _ in sorted(rows, key=lambda row: (row[1] not in current, row[2], row[0]))
    ]


def pending_affects_assignment(document_ids: list[int]) -> bool:
    """Whether, once the wordings in force are embedded, these documents still have a
    provision (a removed one) whose wording is not: assignment then has to run again after
    the rest is embedded. Earlier wordings of a provision are never assigned themselves."""
    embedded = TextEmbedding.objects.filter(
        model_name=settings.EMBEDDING_MODEL, text_hash=OuterRef("text_hash")
    )
    return (
        Provision.objects.filter(document_id__in=document_ids, removed_in__isnull=False)
        .filter(~Exists(embedded))
        .exists()
    )


def pending_texts(
    model_name: str, *, limit: int | None = None, document_ids: list[int] | None = None
) -> dict[str, str]:
    """Clause wordings with no embedding for this model: text hash -> normalized text."""
    ids = pending_wordings(model_name, document_ids=document_ids)[:limit]
    return _texts(ids)


def _texts(revision_ids: list[int]) -> dict[str, str]:
    rows = {
        pk: (text_hash, text)
        for pk, text_hash, text in Revision.objects.filter(pk__in=revision_ids).values_list(
            "pk", "text_hash", "text"
        )
    }
    return {rows[pk][0]: normalize_text(rows[pk][1]) for pk in revision_ids if pk in rows}


def embed_pending(
    *,
    encoder: Encoder | None = None,
    document_ids: list[int] | None = None,
    chunk: int | None = None,
    current_only: bool = False,
) -> int:
    """Embed every clause wording (of these documents, or all) that lacks an embedding: those
    of provisions in force first, and only those with ``current_only`` (``pending_wordings``).

    Each chunk is stored as soon as it is encoded: a worker killed mid-run loses at most the
    chunks in hand, and the next run finds only what is still missing. Returns how many
    embeddings were stored.

    In autocommit (the worker), chunk k is stored by a second thread, on its own database
    connection, while chunk k+1 is encoded: the HNSW index insertions then run in the database
    server beside the encoder instead of between its chunks (they were ~9% of the worker's
    time on the whole corpus). Inside a transaction, chunks are stored in it, in this thread,
    so that they commit or roll back with the caller's work.
    """
    encoder = encoder or get_encoder()
    chunk = chunk or settings.EMBEDDING_CHUNK_SIZE
    started = time.perf_counter()
    ids = pending_wordings(encoder.name, document_ids=document_ids, current_only=current_only)
    stored, encoding = 0, 0.0
    with _Storer(encoder.name, overlap=not connection.in_atomic_block) as storer:
        for offset in range(0, len(ids), chunk):
            pending = _texts(ids[offset : offset + chunk])
            hashes = list(pending)
            encode_started = time.perf_counter()
            vectors = encoder.encode([pending[h] for h in hashes])
            encoding += time.perf_counter() - encode_started
            stored += storer.store(hashes, vectors)
        stored += storer.finish()
    if ids:
        elapsed = time.perf_counter() - started
        logger.info(
            "embedded %d wordings in %.1f s (%.1f texts/s; encoding %.1f s of it, "
            "waiting for storage %.1f s)",
            len(ids),
            elapsed,
            len(ids) / elapsed,
            encoding,
            storer.waited,
        )
    return stored


class _Storer:
    """Stores chunks with ``store_embeddings``, in a second thread when ``overlap`` is set.

    At most one chunk is being stored at a time: ``store`` first waits for the previous one
    (returning how many it stored, and re-raising its error), then hands over the new one.
    ``waited`` is the time the caller spent in ``store`` and ``finish``: storing itself when
    not overlapped, only the wait for the other thread when overlapped.
    """

    def __init__(self, model_name: str, *, overlap: bool):
        self.model_name = model_name
        self.executor = None
        self.future = None
        self.waited = 0.0
        if overlap:
            self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")

    def __enter__(self):
        return self

    def store(self, hashes: list[str], vectors) -> int:
        if self.executor is None:
            started = time.perf_counter()
            try:
                return store_embeddings(self.model_name, hashes, vectors)
            finally:
                self.waited += time.perf_counter() - started
        done = self.finish()
        self.future = self.executor.submit(store_embeddings, self.model_name, hashes, vectors)
        return done

    def finish(self) -> int:
        future, self.future = self.future, None
        if future is None:
            return 0
        started = time.perf_counter()
        try:
            return future.result()
        finally:
            self.waited += time.perf_counter() - started

    def __exit__(self, *exc):
        if self.executor is not None:
            # On an error in the encoder, the chunk already handed over is still stored: it is
            # complete, and storing it is what a rerun would do anyway.
            try:
                self.finish()
            finally:
                # The thread's own connection (Django keeps one per thread) goes with it; the
                # proxy must be read in that thread, hence the lambda.
                self.executor.submit(lambda: connection.close()).result()
                self.executor.shutdown()
        return False


def store_embeddings(model_name: str, hashes: list[str], vectors) -> int:
    """Store one vector per text hash in a single statement; returns how many were new.

    Vectors go as float32 text (the precision pgvector keeps), formatted by numpy rather than
    float by float in Python: at the encoder's pace, per-value formatting was a tenth of the
    worker's time. A hash embedded meanwhile by another worker is left as it is.
    """
    if not hashes:
        return 0
    literals = ["[" + ",".join(row) + "]" for row in np.asarray(vectors, np.float32).astype(str)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TextEmbedding._meta.db_table} "
            "(text_hash, model_name, vector, created_at, updated_at) "
            "SELECT h, %s, v::vector, now(), now() FROM unnest(%s::text[], %s::text[]) AS u(h, v) "
            "ON CONFLICT (text_hash, model_name) DO NOTHING",
            [model_name, list(hashes), literals],
        )
        return cursor.rowcount


def encode_cached(texts: list[str], *, encoder: Encoder | None = None) -> list[list[float]]:
    """Vectors for arbitrary texts (prototypes, labelled examples), through the same store.

    Texts are normalized and keyed by hash like clause wordings, so a re-run of clustering
    re-encodes nothing it has seen.
    """
    encoder = encoder or get_encoder()
    normalized = [normalize_text(text) for text in texts]
    hashes = [hash_text(text) for text in normalized]
    stored = TextEmbedding.objects.vectors(hashes, model_name=encoder.name)
    missing = list(dict.fromkeys(h for h in hashes if h not in stored))
    if missing:
        by_hash = dict(zip(hashes, normalized, strict=True))
        vectors = encoder.encode([by_hash[h] for h in missing])
        store_embeddings(encoder.name, missing, vectors)
        stored.update(zip(missing, vectors, strict=True))
    return [[float(v) for v in stored[h]] for h in hashes]


def embed_query(q: str, *, encoder: Encoder | None = None) -> list[float]:
    """A search query's vector, from the cache or the lazily loaded model.

    The web process embeds queries itself: loading the model takes about 6.4 s once per
    process (2 shared cores, CPU torch, all-MiniLM-L6-v2) and a query then embeds in 17-45 ms,
    so a round trip to the Celery worker (broker latency, plus a worker that may be busy
    embedding a whole import) would be slower per query and no lighter overall.
    """
    text = normalize_text(q)
    name = encoder.name if encoder else settings.EMBEDDING_MODEL
    key = "query-vector:" + hashlib.sha256(f"{name}\0{text}".encode()).hexdigest()
    vector = cache.get(key)
    if vector is None:
        encoder = encoder or get_encoder()
        vector = list(map(float, encoder.encode([text])[0]))
        cache.set(key, vector, QUERY_VECTOR_TTL)
    return vector


def semantic_search(
    q: str, *, provisions=None, limit: int = 50, encoder: Encoder | None = None
) -> list[Provision]:
    """Provisions whose wording is closest in meaning to ``q``, closest first, each with
    ``similarity`` (see ``ProvisionQuerySet.nearest``).

    ``provisions`` narrows the candidates (a filtered queryset: facets). Raises
    ``ModelUnavailable`` without the model, and ``WarmingUp`` instead of finding nothing
    while wordings are still waiting for their embeddings.
    """
    # The query first: a server without the model says so (ModelUnavailable), warm or not.
    vector = embed_query(q, encoder=encoder)
    name = encoder.name if encoder else settings.EMBEDDING_MODEL
    candidates = provisions if provisions is not None else Provision.objects.all()
    found = candidates.nearest(vector, model_name=name, limit=limit)
    if not found:
        embedded, total = embedding_progress(name)
        if embedded < total:
            raise WarmingUp(embedded, total)
    return found
