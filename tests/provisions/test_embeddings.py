import subprocess
import sys

import pytest

from provisions.embeddings import embed_pending
from provisions.ingest import import_sources
from provisions.models import Document, Revision, TextEmbedding
from tests.provisions.test_sources import GOOD, write_corpus


@pytest.mark.django_db
def test_each_wording_is_embedded_once_and_a_rerun_embeds_nothing(tmp_path, fake_encoder):
    second = GOOD.replace("harass people", "harass or bully people")
    corpus = write_corpus(
        tmp_path, {"2025-01-01.md": GOOD.encode(), "2025-01-02.md": second.encode()}
    )
    import_sources([str(corpus)])
    document = Document.objects.get(platform__slug="acme")
    wordings = set(
        Revision.objects.filter(provision__document=document).values_list("text_hash", flat=True)
    )
    assert len(wordings) == 3  # two clauses, one of them in two wordings
    stored = embed_pending(encoder=fake_encoder, document_id=document.pk)
    embedded = TextEmbedding.objects.filter(model_name=fake_encoder.name)
    assert stored == embedded.count() == 3
    assert set(embedded.values_list("text_hash", flat=True)) == wordings
    calls = len(fake_encoder.calls)
    assert embed_pending(encoder=fake_encoder, document_id=document.pk) == 0
    assert len(fake_encoder.calls) == calls  # nothing left to encode


@pytest.mark.django_db
def test_an_unchanged_reimport_needs_no_new_embeddings(tmp_path, fake_encoder):
    corpus = write_corpus(tmp_path, {"2025-01-01.md": GOOD.encode()})
    import_sources([str(corpus)])
    document = Document.objects.get(platform__slug="acme")
    assert embed_pending(encoder=fake_encoder, document_id=document.pk) == 2
    import_sources([str(corpus)])
    assert embed_pending(encoder=fake_encoder, document_id=document.pk) == 0


def test_the_web_process_never_imports_torch():
    code = (
        "import os, sys; os.environ.setdefault('SECRET_KEY', 'x');"
        "import atlas.wsgi, provisions.views, provisions.embeddings, provisions.tasks;"
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]
