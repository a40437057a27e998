import os
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = ROOT.parent / "shared"


def shared_path(variable: str, default: Path) -> Path:
    """A path to real data; tests that need it fail (never skip) when it is missing."""
    path = Path(os.environ.get(variable) or default)
    if not path.exists():
        pytest.fail(f"{variable} points to {path}, which does not exist: real-data tests need it")
    return path


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return shared_path("ATLAS_CORPUS_DIR", DEFAULT_SHARED / "corpus")


@pytest.fixture(scope="session")
def ota_bundle() -> Path:
    return shared_path("ATLAS_OTA_BUNDLE", DEFAULT_SHARED / "ota" / "genai-contrib-versions.bundle")


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path_factory):
    settings.ATLAS_SOURCES_CACHE = tmp_path_factory.getbasetemp() / "sources-cache"
    # Unit tests call the embedding functions directly, with the fake encoder below.
    settings.ATLAS_EMBED_AFTER_IMPORT = False


class FakeEncoder:
    """Deterministic stand-in for the sentence model: a hashed bag of words, L2-normalized."""

    name = "fake-bag-of-words"

    def __init__(self):
        self.calls: list[list[str]] = []

    def encode(self, texts):
        import hashlib
        import math

        self.calls.append(list(texts))
        vectors = []
        for text in texts:
            vector = [0.0] * 384
            for word in text.lower().split():
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                vector[int.from_bytes(digest, "big") % 384] += 1.0
            norm = math.sqrt(sum(v * v for v in vector)) or 1.0
            vectors.append([v / norm for v in vector])
        return vectors


@pytest.fixture
def fake_encoder(monkeypatch):
    """The fake encoder, also swapped in for the sentence model: every caller (search, classify,
    assignment, suggested links) loads the model through ``provisions.embeddings.get_encoder``."""
    from provisions import embeddings

    encoder = FakeEncoder()
    monkeypatch.setattr(embeddings, "get_encoder", lambda: encoder)
    return encoder


@pytest.fixture(scope="session")
def real_data(django_db_setup, django_db_blocker, corpus_dir, ota_bundle, tmp_path_factory):
    """The whole corpus and OTA bundle, imported once for the session (committed)."""
    from django.conf import settings

    settings.ATLAS_SOURCES_CACHE = tmp_path_factory.getbasetemp() / "sources-cache"
    settings.ATLAS_EMBED_AFTER_IMPORT = False
    with django_db_blocker.unblock():
        call_command("import_sources", str(corpus_dir), str(ota_bundle), verbosity=0)
    return {"corpus": corpus_dir, "bundle": ota_bundle}
