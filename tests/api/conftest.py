"""A small world for the API tests: two platforms, two versions each, assigned clause types
(fake encoder), the regulation catalog, and a staff token."""

import hashlib
import json

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings

from comparisons.clustering import assign_provisions
from provisions.embeddings import embed_pending
from provisions.ingest import import_sources
from provisions.models import Document, Provision

POLICIES = {
    ("alpha", "2025-01-01"): "# Rules\n\n## Safety\n\n"
    "- Do not generate child sexual abuse material.\n"
    "- You must be at least 18 years old to use the services.\n"
    "- Do not harass {people} & 100% of bots_ online.\n",
    ("alpha", "2025-03-01"): "# Rules\n\n## Safety\n\n"
    "- Do not generate child sexual abuse material.\n"
    "- You must be at least 18 years old to use the services.\n"
    "- These terms are governed by the laws of the State of California.\n",
    ("beta", "2025-02-01"): "# Policy\n\n"
    "- Never create sexual content involving minors or child abuse material.\n"
    "- The laws of California govern these terms and any dispute.\n"
    "- Users must be 18 or older.\n",
    ("beta", "2025-04-01"): "# Policy\n\n"
    "- Never create sexual content involving minors or child abuse material.\n"
    "- The laws of the State of California govern these terms and any dispute.\n"
    "- Users must be 18 or older.\n",
}


def write_policies(folder, policies) -> None:
    entries = []
    for (slug, day), text in policies.items():
        path = folder / slug / "policy" / f"{day}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        entries.append(
            {
                "platform": slug,
                "platform_name": f"{slug.title()} AI",
                "document": "policy",
                "document_name": "Usage Policy",
                "version_date": day,
                "path": f"{slug}/policy/{day}.md",
                "source_url": f"https://{slug}.example/policy",
                "sha256": hashlib.sha256(text.encode()).hexdigest(),
            }
        )
    (folder / "manifest.json").write_text(json.dumps(entries))


@pytest.fixture(autouse=True)
def _api_settings(settings, fake_encoder, monkeypatch):
    # The throttle is tested on its own; everywhere else it must not get in the way.
    settings.API_THROTTLE_ANON = settings.API_THROTTLE_USER = "100000/min"
    cache.clear()
    # Classification and semantic search embed with the deterministic fake encoder (requested
    # above: the fixture swaps it in for the sentence model).
    yield
    cache.clear()


def build_world(folder, encoder) -> dict:
    from regulations.catalog import load_catalog

    write_policies(folder, POLICIES)
    import_sources([str(folder)])
    documents = Document.objects.filter(platform__slug__in=["alpha", "beta"])
    embed_pending(encoder=encoder, document_ids=list(documents.values_list("pk", flat=True)))
    assign_provisions(encoder=encoder)
    load_catalog()
    provisions = Provision.objects.filter(document__platform__slug__in=["alpha", "beta"])
    return {
        "alpha": Document.objects.get(platform__slug="alpha"),
        "beta": Document.objects.get(platform__slug="beta"),
        "provisions": provisions,
        "csam": provisions.get(text__startswith="Do not generate child"),
    }


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once per test module inside a transaction that is rolled back at its end; each
    test runs in a savepoint within it (pytest-django's ``db``), so nothing is committed."""
    from tests.conftest import FakeEncoder

    with (
        django_db_blocker.unblock(),
        override_settings(ATLAS_EMBED_AFTER_IMPORT=False),
        transaction.atomic(),
    ):
        yield build_world(tmp_path_factory.mktemp("world"), FakeEncoder())
        transaction.set_rollback(True)


@pytest.fixture
def world(module_world, db):
    return module_world


@pytest.fixture
def staff_token(db):
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    user = User.objects.create_user("curator", is_staff=True)
    return Token.objects.create(user=user).key
