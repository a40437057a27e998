"""The ONNX Runtime encoder (provisions.onnx_encoder) and the order wordings are embedded in."""

import numpy as np
import pytest

from provisions import embeddings
from provisions.embeddings import ModelUnavailable, get_encoder, pending_wordings
from provisions.ingest import import_sources
from provisions.models import Document, Provision, Revision
from tests.factories import GOOD, write_acme

CLAUSES = [
    "Do not generate malware.",
    "You must be at least 18 years old to use the services.",
    "These terms are governed by the laws of the State of California, without regard to its "
    "conflict of law provisions, and any dispute will be resolved in San Francisco courts.",
    "Do not use the outputs to develop models that compete with ours.",
    "We may suspend or terminate your access if you breach these terms.",
]


@pytest.fixture
def fresh_encoders():
    """Encoders loaded by this test only (``get_encoder`` keeps them per process)."""
    embeddings._load_encoder.cache_clear()
    yield
    embeddings._load_encoder.cache_clear()


@pytest.mark.slow  # loads the real model twice (and exports it when the data folder lacks it)
def test_the_onnx_encoder_gives_the_torch_vectors_within_int8_rounding(settings, fresh_encoders):
    settings.ATLAS_ENCODER = "onnx"
    onnx = get_encoder()
    settings.ATLAS_ENCODER = "torch"
    torch = get_encoder()
    assert type(onnx).__name__ == "OnnxEncoder" and type(torch).__name__ != "OnnxEncoder"
    # One model, two runtimes: both store under the model's name.
    assert onnx.name == torch.name == settings.EMBEDDING_MODEL
    ours, theirs = np.asarray(onnx.encode(CLAUSES)), np.asarray(torch.encode(CLAUSES))
    assert ours.shape == theirs.shape == (len(CLAUSES), 384)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() > 0.97 and cosines.mean() > 0.985, cosines
    # Similarities between clauses: what assignment and matching read, close too.
    assert np.abs(ours @ ours.T - theirs @ theirs.T).max() < 0.05


@pytest.mark.slow  # loads the real model
def test_duplicates_are_encoded_once_and_rows_keep_the_callers_order(settings, fresh_encoders):
    settings.ATLAS_ENCODER = "onnx"
    encoder = get_encoder()
    texts = [CLAUSES[2], CLAUSES[0], CLAUSES[2], CLAUSES[1]]
    calls = []
    run = encoder.session.run
    encoder.session.run = lambda names, feed: (
        calls.append(len(feed["input_ids"])) or run(names, feed)
    )
    try:
        vectors = encoder.encode(texts)
    finally:
        del encoder.session.run
    assert sum(calls) == 3  # three distinct texts
    assert np.array_equal(vectors[0], vectors[2])
    # Each row is its own text's vector: encoded alone, the same up to int8 rounding (dynamic
    # quantization scales activations per batch, so a batch's other texts move it slightly).
    alone = np.asarray([encoder.encode([text])[0] for text in texts])
    assert (vectors * alone).sum(axis=1).min() > 0.98
    assert encoder.encode([]).shape == (0, 384)


def test_an_unknown_runtime_is_reported(settings, fresh_encoders):
    settings.ATLAS_ENCODER = "tensorflow"
    with pytest.raises(ModelUnavailable, match="ATLAS_ENCODER is 'tensorflow'"):
        get_encoder()


def test_a_missing_model_directory_is_reported_without_exporting(
    settings, fresh_encoders, tmp_path
):
    settings.ATLAS_ENCODER = "onnx"
    settings.ATLAS_DATA_DIR = tmp_path / "data"
    settings.EMBEDDING_MODEL = str(tmp_path / "no-such-model")
    with pytest.raises(ModelUnavailable, match="could not be loaded"):
        get_encoder()
    assert not (tmp_path / "data" / "models").exists()


@pytest.mark.django_db
def test_wordings_in_force_come_first_and_alone_when_asked(tmp_path):
    # Version 2 rewords one clause and drops the other: the earlier wording and the removed
    # provision's wording are both "not in force".
    later = "# Policy\n\n- Do not generate malicious software.\n"
    import_sources([str(write_acme(tmp_path, GOOD, "# Policy\n\n- Do not generate malware.\n"))])
    import_sources(
        [str(write_acme(tmp_path, GOOD, "# Policy\n\n- Do not generate malware.\n", later))]
    )
    document = Document.objects.get(platform__slug="acme")
    in_force = set(
        Provision.objects.filter(document=document, removed_in__isnull=True).values_list(
            "text_hash", flat=True
        )
    )
    ids = pending_wordings("any-model", document_ids=[document.pk])
    hashes = [Revision.objects.get(pk=pk).text_hash for pk in ids]
    assert len(hashes) == len(set(hashes)) == 3 and len(in_force) == 1
    assert hashes[0] in in_force and not in_force & set(hashes[1:])
    current = pending_wordings("any-model", document_ids=[document.pk], current_only=True)
    assert [Revision.objects.get(pk=pk).text_hash for pk in current] == hashes[:1]
