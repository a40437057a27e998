"""The API tests' small world (two platforms, assigned clause types, the regulation catalog, a
staff token), shared with the hostile-input suite so every route has real records to point at."""

import pytest
from django.test import Client

from comparisons import classify
from comparisons.models import ClauseType
from provisions.models import Version
from regulations.models import Regulation
from tests.api import conftest as api

_api_settings, module_world, world, staff_token = (
    api._api_settings,
    api.module_world,
    api.world,
    api.staff_token,
)


@pytest.fixture
def records(world, fake_encoder):
    """Real slugs and IDs to put in every route's path parameters."""
    # Trained up front: the first classify request would otherwise train it (issue 12, 11).
    classify.trained_classifier(fake_encoder)
    return {
        **world,
        "version": Version.objects.filter(document=world["alpha"]).latest("ordinal"),
        "clause_type": ClauseType.objects.filter(assignments__isnull=False).first(),
        "regulation": Regulation.objects.order_by("slug").first(),
    }


@pytest.fixture
def anonymous():
    """500s come back as responses (with ``exc_info``) so one run lists all of them."""
    return Client(raise_request_exception=False)


@pytest.fixture
def staff(staff_token):
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {staff_token}")


@pytest.fixture
def superuser(db):
    from django.contrib.auth.models import User

    client = Client(raise_request_exception=False)
    client.force_login(User.objects.create_superuser("root", "root@example.com", None))
    return client


@pytest.fixture(autouse=True)
def _quiet_client_errors(caplog):
    """Thousands of 4xx warnings would bury the report; 500s are still logged."""
    caplog.set_level("ERROR", logger="django.request")
