"""Hostile input where it enters: the subscribe form, the signed links, the webhook API. Each
is refused with a 4xx, and nothing is stored or sent."""

import pytest
from django.core import signing
from rest_framework.test import APIClient

from alerts import mail
from alerts.models import EmailSubscription, WebhookSubscription

pytestmark = pytest.mark.django_db

GOOD = {
    "email": "reader@example.org",
    "scope": "platform:acme",
    "frequency": "daily",
    "minimum": "substantive",
}


@pytest.fixture(autouse=True)
def _no_throttle(settings):
    settings.ALERTS_SUBSCRIBE_RATE = "1000/min"


@pytest.mark.parametrize(
    "field,value",
    [
        ("email", "not-an-address"),
        ("email", "a@b@example.org"),
        ("email", "reader@example.org\r\nBcc: victim@example.org"),
        ("email", "x" * 250 + "@example.org"),
        ("email", ""),
        ("scope", "platform:nobody"),
        ("scope", "galaxy:acme"),
        ("scope", "document:acme/../../etc"),
        ("scope", "provision:P-999999999"),
        ("scope", "platform:acme\x00"),
        ("frequency", "hourly"),
        ("minimum", "cosmetic"),
        ("minimum", "glitch"),
    ],
)
def test_bad_subscribe_posts_are_form_errors_and_send_nothing(client, smtp, acme, field, value):
    response = client.post("/alerts/", {**GOOD, field: value})
    assert response.status_code == 400
    assert b"errorlist" in response.content
    assert smtp.messages == [] and not EmailSubscription.objects.exists()


@pytest.mark.parametrize(
    "scope", ["platform:nobody", "nothing", "clause-type:none", "regulation:none"]
)
def test_the_form_for_an_unknown_scope_is_404(client, acme, scope):
    assert client.get("/alerts/", {"scope": scope}).status_code == 404


def test_the_subscribe_form_is_rate_limited_per_address(client, smtp, acme, settings):
    settings.ALERTS_SUBSCRIBE_RATE = "2/hour"
    assert client.post("/alerts/", GOOD).status_code == 200
    assert client.post("/alerts/", {**GOOD, "email": "b@example.org"}).status_code == 200
    response = client.post("/alerts/", {**GOOD, "email": "c@example.org"})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert len(smtp.messages) == 2


def test_the_pages_carry_no_inline_script_or_style(client, acme):
    page = client.get("/alerts/?scope=platform:acme")
    html = page.content.decode()
    assert "<script>" not in html and "style=" not in html and "<style" not in html
    assert "script-src 'self'" in page["Content-Security-Policy"]


def tampered(token: str) -> str:
    value, _, signature = token.rpartition(":")
    return f"{value}:{signature[:-2]}{'AA' if not signature.endswith('AA') else 'BB'}"


def test_tampered_expired_or_foreign_tokens_are_400(client, acme, subscribe, settings):
    subscription = subscribe()
    choices = mail.Choices("x@example.org", "platform", "acme", "daily", "substantive")
    good_confirm, good_unsubscribe = (
        mail.confirm_token(choices),
        mail.unsubscribe_token(subscription),
    )
    forged = signing.dumps(subscription.pk, salt="another.salt")
    bad = [
        ("confirm", tampered(good_confirm)),
        ("confirm", good_unsubscribe),  # the other salt
        ("confirm", ""),
        ("confirm", "\x00"),
        ("confirm", "a" * 5000),
        ("unsubscribe", tampered(good_unsubscribe)),
        ("unsubscribe", good_confirm),
        ("unsubscribe", forged),
        ("unsubscribe", signing.dumps("1", salt=mail.UNSUBSCRIBE_SALT)),  # not a number
        ("unsubscribe", ""),
    ]
    for view, token in bad:
        for method in (client.get, client.post):
            response = method(f"/alerts/{view}/", {"token": token} if method == client.get else {})
            assert response.status_code == 400, (view, token)
        assert client.post(f"/alerts/{view}/?token={token}").status_code == 400
    settings.ALERTS_CONFIRM_DAYS = -1  # every link has expired
    response = client.get("/alerts/confirm/", {"token": good_confirm})
    assert response.status_code == 400 and b"expired" in response.content
    assert EmailSubscription.objects.get() == subscription


def test_a_confirmation_for_a_scope_gone_since_is_400(client, acme):
    choices = mail.Choices("x@example.org", "platform", "gone", "daily", "substantive")
    response = client.post(f"/alerts/confirm/?token={mail.confirm_token(choices)}")
    assert response.status_code == 400 and not EmailSubscription.objects.exists()


def test_only_the_unsubscribe_route_skips_the_csrf_check(acme):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    assert client.post("/alerts/", GOOD).status_code == 403
    choices = mail.Choices("x@example.org", "platform", "acme", "daily", "substantive")
    assert client.post(f"/alerts/confirm/?token={mail.confirm_token(choices)}").status_code == 403


@pytest.fixture
def api(api_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_user[1]}")
    return client


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",  # not https
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.0.0.5/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://user:pass@example.com/hook",
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "https://",
        "not a url",
        "https://example.com/" + "a" * 2100,
    ],
)
def test_unsafe_webhook_urls_are_refused(api, acme, url):
    response = api.post("/api/v1/webhooks/", {"url": url, "scope": "platform:acme"}, format="json")
    assert response.status_code == 400
    assert "url" in response.json()["parameters"]
    assert not WebhookSubscription.objects.exists()


# A public address written as such: checking it resolves nothing (the tests have no network).
PUBLIC = "https://93.184.215.14/hook"


@pytest.mark.parametrize(
    "body,wrong",
    [
        ({"url": PUBLIC, "scope": "platform:nobody"}, "scope"),
        ({"url": PUBLIC, "scope": "galaxy"}, "scope"),
        ({"url": PUBLIC, "scope": "platform:acme", "minimum": "cosmetic"}, "minimum"),
        ({"url": PUBLIC, "scope": ["platform:acme"]}, "scope"),
        ({"url": PUBLIC, "scope": "platform:acme\u0000"}, "scope"),
        ({"url": 12, "scope": "platform:acme"}, "url"),
        ({"scope": "platform:acme"}, "url"),
        ({"url": PUBLIC}, "scope"),
    ],
)
def test_bad_webhook_bodies_are_400_and_write_nothing(api, acme, body, wrong):
    response = api.post("/api/v1/webhooks/", body, format="json")
    assert response.status_code == 400, response.json()
    assert list(response.json()["parameters"]) == [wrong]
    assert not WebhookSubscription.objects.exists()


def test_a_public_https_url_is_accepted(api, acme):
    response = api.post("/api/v1/webhooks/", {"url": PUBLIC, "scope": "all"}, format="json")
    assert response.status_code == 201
    assert WebhookSubscription.objects.get().url == PUBLIC
