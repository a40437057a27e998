"""While the worker is still embedding, semantic search answers 503 "warming up" with its
progress and Retry-After, like the search page and like classify; the schema says so."""

import pytest

from provisions.models import Revision, TextEmbedding

pytestmark = pytest.mark.django_db


def test_semantic_search_while_warming_up_is_503_with_progress_and_retry_after(client, world):
    TextEmbedding.objects.all().delete()  # the worker has embedded nothing yet
    total = Revision.objects.values("text_hash").distinct().count()
    response = client.get("/api/v1/search/", {"q": "child abuse", "mode": "semantic"})
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.json()
    assert body["status"] == 503 and f"warming up: 0 of {total}" in body["detail"]
    assert body["progress"] == {"embedded": 0, "total": total}
    # Full-text search does not wait for the worker.
    response = client.get("/api/v1/search/", {"q": "child abuse"})
    assert response.status_code == 200 and response.json()["count"] >= 1


@pytest.mark.parametrize(
    ("path", "method"), [("/api/v1/search/", "get"), ("/api/v1/classify/", "post")]
)
def test_the_schema_documents_both_503s_with_progress_and_retry_after(client, path, method):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    unavailable = schema["paths"][path][method]["responses"]["503"]
    assert "could not be loaded" in unavailable["description"]
    assert "warming up" in unavailable["description"]
    assert "Retry-After" in unavailable["headers"]
    body = unavailable["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "progress" in schema["components"]["schemas"][body]["properties"]
