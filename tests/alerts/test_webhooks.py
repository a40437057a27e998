"""Webhooks over the API, delivered to a real HTTP receiver on loopback and verified with the
`standardwebhooks` library as a receiver would; retries after a 500; the delivery log."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from alerts import outbox, webhooks
from alerts.models import Delivery, DeliveryStatus, WebhookSubscription
from changes.models import ProvisionChange
from tests.alerts.conftest import V1, V2, V3, import_acme

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_user[1]}")
    return client


def create(api, url, scope="platform:acme", **fields):
    return api.post("/api/v1/webhooks/", {"url": url, "scope": scope, **fields}, format="json")


def due_now():
    Delivery.objects.update(next_attempt_at=timezone.now())


def test_a_change_is_posted_signed_as_standard_webhooks(api, receiver, acme, tmp_path):
    response = create(api, receiver.url)
    assert response.status_code == 201, response.json()
    secret = response.json()["secret"]
    assert secret.startswith("whsec_")
    assert api.get("/api/v1/webhooks/").json()["results"][0]["secret"] is None  # shown once
    import_acme(tmp_path / "v2", V1, V2)
    assert outbox.enqueue_alerts() == 1
    assert webhooks.deliver_webhooks() == 1
    [request] = receiver.requests
    payload = Webhook(secret).verify(request["body"], request["headers"])
    change = ProvisionChange.objects.get(action="added")
    assert payload["data"]["id"] == change.pk
    assert payload["data"]["after"].endswith("impersonate <real> people & pets.")
    assert payload["data"]["significance"] == "substantive"
    assert payload["data"]["direction"] == "more_restrictive"
    with pytest.raises(WebhookVerificationError):  # another secret does not verify
        Webhook(WebhookSubscription.objects.get().secret[:-4] + "AAA=").verify(
            request["body"], request["headers"]
        )
    assert webhooks.deliver_webhooks() == 0  # delivered once
    [entry] = api.get("/api/v1/webhook-deliveries/").json()["results"]
    assert entry["status"] == "delivered" and entry["attempts"] == 1
    assert entry["last_status_code"] == 204 and entry["change"] == change.pk


def test_a_failed_delivery_is_retried_with_backoff_under_the_same_webhook_id(
    api, receiver, acme, tmp_path, settings
):
    settings.ALERTS_WEBHOOK_ATTEMPTS = 3
    secret = create(api, receiver.url).json()["secret"]
    import_acme(tmp_path / "v2", V1, V2)
    outbox.enqueue_alerts()
    receiver.statuses = [500, 302]
    assert webhooks.deliver_webhooks() == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at > timezone.now()  # waits: the backoff
    assert webhooks.deliver_webhooks() == 0
    due_now()
    assert webhooks.deliver_webhooks() == 1  # a redirect is not followed: a failure
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code) == (2, 302)
    assert "302" in delivery.last_error
    wait = delivery.next_attempt_at - delivery.updated_at
    assert wait.total_seconds() == pytest.approx(2 * settings.ALERTS_WEBHOOK_BACKOFF, abs=0.5)
    due_now()
    assert webhooks.deliver_webhooks() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 3, 204)
    assert len(receiver.requests) == 3
    ids = {r["headers"]["webhook-id"] for r in receiver.requests}
    assert ids == {delivery.webhook_id}  # one id for every attempt: receivers dedupe on it
    for request in receiver.requests:
        Webhook(secret).verify(request["body"], request["headers"])
    entries = api.get("/api/v1/webhook-deliveries/").json()["results"]
    assert [(e["status"], e["attempts"]) for e in entries] == [("delivered", 3)]


def test_a_delivery_gives_up_after_the_last_attempt(api, receiver, acme, tmp_path, settings):
    settings.ALERTS_WEBHOOK_ATTEMPTS = 2
    create(api, receiver.url)
    import_acme(tmp_path / "v2", V1, V2)
    outbox.enqueue_alerts()
    receiver.statuses = [500, 503, 500]
    webhooks.deliver_webhooks()
    due_now()
    webhooks.deliver_webhooks()
    due_now()
    assert webhooks.deliver_webhooks() == 0
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 2)
    assert len(receiver.requests) == 2


def test_private_receivers_are_refused_at_delivery_when_not_allowed(
    api, receiver, acme, tmp_path, settings
):
    create(api, receiver.url)
    settings.ATLAS_WEBHOOK_ALLOW_PRIVATE = False
    import_acme(tmp_path / "v2", V1, V2)
    outbox.enqueue_alerts()
    webhooks.deliver_webhooks()
    delivery = Delivery.objects.get()
    assert receiver.requests == []
    assert delivery.last_status_code is None and "UnsafeURL" in delivery.last_error


def test_clients_see_and_delete_only_their_own_webhooks(api, receiver, acme, django_user_model):
    other = django_user_model.objects.create_user("other")
    theirs = WebhookSubscription.objects.create(
        user=other, url=receiver.url, scope_kind="platform", scope_key="acme"
    )
    mine = create(api, receiver.url, scope="document:acme/aup", minimum="wording").json()
    assert mine["scope"] == "document:acme/aup" and mine["minimum"] == "wording"
    assert [w["id"] for w in api.get("/api/v1/webhooks/").json()["results"]] == [mine["id"]]
    assert api.get(f"/api/v1/webhooks/{theirs.pk}/").status_code == 404
    assert api.delete(f"/api/v1/webhooks/{theirs.pk}/").status_code == 404
    assert api.delete(f"/api/v1/webhooks/{mine['id']}/").status_code == 204
    assert list(WebhookSubscription.objects.all()) == [theirs]
    anonymous = APIClient()
    assert anonymous.get("/api/v1/webhooks/").status_code == 401
    assert anonymous.get("/api/v1/webhook-deliveries/").status_code == 401
    assert anonymous.post("/api/v1/webhooks/", {}, format="json").status_code == 401


def test_the_same_change_is_one_delivery_per_webhook_whatever_runs_twice(
    api, receiver, acme, tmp_path
):
    create(api, receiver.url)
    create(api, receiver.url, scope="all")
    import_acme(tmp_path / "v3", V1, V2, V3)
    assert outbox.enqueue_alerts() == 4  # two substantive changes, two webhooks
    assert outbox.enqueue_alerts() == 0
    assert webhooks.deliver_webhooks() == 4
    assert webhooks.deliver_webhooks() == 0
    ids = [r["headers"]["webhook-id"] for r in receiver.requests]
    assert len(ids) == len(set(ids)) == 4
