"""Domain words on the provisions QuerySets: tracked platforms, stored vectors."""

import pytest

from provisions.embeddings import store_embeddings
from provisions.ingest import import_sources
from provisions.models import Platform, TextEmbedding
from tests.factories import GOOD, write_acme

pytestmark = pytest.mark.django_db


def test_a_platform_is_tracked_once_it_has_a_stored_version(tmp_path):
    Platform.objects.create(slug="announced", name="Announced AI")
    import_sources([str(write_acme(tmp_path, GOOD))])
    tracked = Platform.objects.tracked()
    assert list(tracked.values_list("slug", flat=True)) == ["acme"]
    assert tracked.count() == 1  # one row per platform, however many versions


def test_vectors_are_looked_up_by_text_hash_and_model():
    store_embeddings("this-model", ["a", "b"], [[1.0] + [0.0] * 383, [0.0, 1.0] + [0.0] * 382])
    store_embeddings("other-model", ["a"], [[0.0, 0.0, 1.0] + [0.0] * 381])
    vectors = TextEmbedding.objects.vectors(["a", "c"], model_name="this-model")
    assert list(vectors) == ["a"] and list(vectors["a"][:3]) == [1.0, 0.0, 0.0]
