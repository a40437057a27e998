"""The API tests' world (``tests.factories.build_api_world``: two platforms, two versions
each, clause types assigned with the fake encoder, the regulation catalog), built once per
module, and a staff token. ``build_world`` stays importable here for tests/api/test_schema.py."""

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings

from tests.factories import FakeEncoder, check_deferred_constraints
from tests.factories import build_api_world as build_world


@pytest.fixture(autouse=True)
def _api_settings(request, settings, fake_encoder):
    # The throttle is tested on its own; everywhere else it must not get in the way.
    settings.API_THROTTLE_ANON = settings.API_THROTTLE_USER = "100000/min"
    # Classification and semantic search embed with the deterministic fake encoder (the
    # fixture swaps it in for the sentence model).
    # The cache is a database table: tests without the database (pure functions) leave it be.
    uses_db = request.node.get_closest_marker("django_db") or "db" in request.fixturenames
    if uses_db:
        cache.clear()
    yield
    if uses_db:
        cache.clear()


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once per test module inside a transaction that is rolled back at its end; each
    test runs in a savepoint within it (pytest-django's ``db``), so nothing is committed."""
    with (
        django_db_blocker.unblock(),
        override_settings(ATLAS_EMBED_AFTER_IMPORT=False),
        transaction.atomic(),
    ):
        world = build_world(tmp_path_factory.mktemp("world"), FakeEncoder())
        check_deferred_constraints()
        yield world
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
