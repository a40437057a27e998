"""Email alerts against a real SMTP server on loopback: double opt-in, immediate mails,
digests, one-click unsubscribe (RFC 8058), and what is stored."""

import re
from urllib.parse import urlsplit

import pytest

from alerts import mail, outbox
from alerts.models import Alert, EmailSubscription, Frequency
from changes.models import ProvisionChange, Significance
from tests.alerts.conftest import V1, V2, V3, import_acme

pytestmark = pytest.mark.django_db


def link(message, path: str) -> str:
    """The first link to ``path`` in the plain-text part, as a path with its query."""
    text = message.get_body(("plain",)).get_content()
    url = re.search(rf"https?://\S+{re.escape(path)}\S*", text).group(0)
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def post_subscribe(client, **fields):
    data = {
        "email": "Reader@Example.org",
        "scope": "platform:acme",
        "frequency": "immediately",
        "minimum": "substantive",
        **fields,
    }
    return client.post("/alerts/", data)


def test_double_opt_in_stores_nothing_until_the_link_is_confirmed(client, smtp, acme):
    page = client.get("/alerts/?scope=platform:acme")
    assert page.status_code == 200 and b"Acme" in page.content
    response = post_subscribe(client)
    assert response.status_code == 200 and b"Check your inbox" in response.content
    assert EmailSubscription.objects.count() == 0  # nothing stored before confirmation
    [message] = smtp.messages
    assert message["To"] == "reader@example.org"
    assert message.get_body(("html",)) is not None and message.get_body(("plain",)) is not None
    confirm = link(message, "/alerts/confirm/")
    # A mail scanner following the link confirms nothing: GET only asks.
    assert b"Confirm your alerts" in client.get(confirm).content
    assert EmailSubscription.objects.count() == 0
    response = client.post(confirm)
    assert response.status_code == 200 and b"Alerts confirmed" in response.content
    subscription = EmailSubscription.objects.get()
    assert (subscription.email, subscription.scope_tag) == ("reader@example.org", "platform:acme")
    assert (subscription.frequency, subscription.minimum) == ("immediately", "substantive")
    assert subscription.confirmed_at is not None
    stored = {f.name for f in EmailSubscription._meta.concrete_fields}
    assert stored == {
        "id", "email", "scope_kind", "scope_key", "frequency", "minimum",
        "confirmed_at", "created_at", "updated_at",
    }  # fmt: skip
    assert len(smtp.messages) == 1  # confirming sends nothing more


def test_an_immediate_alert_quotes_the_change_escaped_with_one_click_unsubscribe(
    client, smtp, acme, subscribe, tmp_path
):
    subscription = subscribe()
    import_acme(tmp_path / "v2", V1, V2)
    assert outbox.enqueue_alerts() == 1  # the added prohibition; the curly apostrophe is not
    assert outbox.enqueue_alerts() == 0  # idempotent
    assert mail.send_alerts(frequency=Frequency.IMMEDIATELY) == 1
    assert mail.send_alerts(frequency=Frequency.IMMEDIATELY) == 0  # sent once
    [message] = smtp.messages
    change = ProvisionChange.objects.get(action="added")
    assert message["To"] == "reader@example.org"
    assert change.provision.record_id in message["Subject"]
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert "impersonate &lt;real&gt; people &amp; pets." in html  # escaped in HTML
    assert "impersonate <real> people & pets." in text  # verbatim in plain text
    for body in (html, text):
        assert "more restrictive for users" in body.lower()
        assert "substantive" in body.lower()
        assert f"https://atlas.example/changes/{change.pk}/" in body
    unsubscribe = message["List-Unsubscribe"].strip().strip("<>")
    assert unsubscribe.startswith("https://atlas.example/alerts/unsubscribe/?token=")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert Alert.objects.get().sent_at is not None
    # The link: GET asks, POST (a mail client's one click, no CSRF token) unsubscribes.
    path = link(message, "/alerts/unsubscribe/")
    assert path == unsubscribe.removeprefix("https://atlas.example")
    client.handler.enforce_csrf_checks = True
    page = client.get(path)
    assert page.status_code == 200 and b"Unsubscribe" in page.content
    assert EmailSubscription.objects.filter(pk=subscription.pk).exists()
    response = client.post(path, "List-Unsubscribe=One-Click", "application/x-www-form-urlencoded")
    assert response.status_code == 200 and b"Unsubscribed" in response.content
    assert not EmailSubscription.objects.exists() and not Alert.objects.exists()
    assert client.post(path).status_code == 200  # twice is not an error


def test_a_daily_digest_gathers_a_subscribers_changes_into_one_mail(
    smtp, acme, subscribe, tmp_path
):
    subscribe("daily@example.org", frequency=Frequency.DAILY)
    subscribe("weekly@example.org", frequency=Frequency.WEEKLY)
    subscribe("all-wording@example.org", frequency=Frequency.DAILY, minimum=Significance.WORDING)
    subscribe("elsewhere@example.org", scope="platform:nobody", frequency=Frequency.DAILY)
    import_acme(tmp_path / "v3", V1, V2, V3)
    outbox.enqueue_alerts()
    assert mail.send_alerts(frequency=Frequency.IMMEDIATELY) == 0  # no immediate subscriber
    assert mail.send_alerts(frequency=Frequency.DAILY) == 2  # the two daily ones in scope
    for address in ("daily@example.org", "all-wording@example.org"):
        [digest] = smtp.to(address)
        assert "daily digest: 2 changes" in digest["Subject"]
        text = digest.get_body(("plain",)).get_content()
        assert text.count("impersonate") == 1 and text.count("automated agents") == 1
        assert "resell" not in text  # the apostrophe: cosmetic, below either minimum
    assert smtp.to("weekly@example.org") == []  # its digest waits for its day
    assert mail.send_alerts(frequency=Frequency.WEEKLY) == 1
    assert len(smtp.messages) == 3
    assert mail.send_alerts(frequency=Frequency.DAILY) == 0


def test_a_change_a_curator_lowered_since_it_was_queued_is_not_sent(
    smtp, acme, subscribe, tmp_path
):
    subscribe()
    import_acme(tmp_path / "v2", V1, V2)
    outbox.enqueue_alerts()
    ProvisionChange.objects.filter(action="added").update(curated_significance="wording")
    assert mail.send_alerts(frequency=Frequency.IMMEDIATELY) == 0
    assert smtp.messages == []
    assert Alert.objects.get().skipped


def test_past_changes_are_not_sent_to_a_new_subscriber(smtp, tmp_path, subscribe, db):
    import_acme(tmp_path / "v2", V1, V2)
    subscribe()
    assert outbox.enqueue_alerts() == 0


def test_a_claim_held_by_a_live_sender_is_left_and_a_lapsed_one_is_taken(
    smtp, acme, subscribe, tmp_path, settings
):
    subscribe()
    import_acme(tmp_path / "v2", V1, V2)
    outbox.enqueue_alerts()
    [claimed] = outbox.claim_alerts(frequency=Frequency.IMMEDIATELY, worker="killed")
    assert mail.send_alerts(frequency=Frequency.IMMEDIATELY) == 0  # still leased
    settings.ALERTS_CLAIM_LEASE = 0  # the killed sender's lease lapses
    assert mail.send_alerts(frequency=Frequency.IMMEDIATELY) == 1
    assert len(smtp.messages) == 1
    # The killed sender, had it come back, could not mark the row: it is no longer its own.
    assert outbox.mark_sent([claimed], worker="killed") == 0
