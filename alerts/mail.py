"""Alert mails: the confirmation (double opt-in), immediate alerts and digests, each HTML and
plain text, every alert with a signed one-click unsubscribe (RFC 8058).

Nothing is stored before the address is confirmed: the confirmation link carries the address
and the choices, signed (``django.core.signing``, its own salt, valid ``ALERTS_CONFIRM_DAYS``).
The unsubscribe link carries the subscription's number, signed with another salt; it never
expires, as a mail's unsubscribe link must keep working.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from alerts.models import EmailSubscription, Frequency
from alerts.outbox import claim_alerts, mark_sent, qualifies
from changes.scopes import UnknownScope

logger = logging.getLogger(__name__)

CONFIRM_SALT = "alerts.confirm"
UNSUBSCRIBE_SALT = "alerts.unsubscribe"
DEFAULT_SITE_URL = "http://localhost:8000"


class BadToken(ValueError):
    """A confirmation or unsubscribe token that is tampered with, malformed or expired."""


@dataclass(frozen=True)
class Choices:
    """What a subscriber asked for, before and after confirmation."""

    email: str
    scope_kind: str
    scope_key: str
    frequency: str
    minimum: str


def site_url(path: str) -> str:
    """An absolute link for a mail (``ATLAS_SITE_URL``, or localhost for `make run`)."""
    return (settings.ATLAS_SITE_URL or DEFAULT_SITE_URL) + path


def sender_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# -- tokens ----------------------------------------------------------------------------------


def confirm_token(choices: Choices) -> str:
    payload = [choices.email, choices.scope_kind, choices.scope_key]
    return signing.dumps(payload + [choices.frequency, choices.minimum], salt=CONFIRM_SALT)


def read_confirm_token(token: str) -> Choices:
    max_age = settings.ALERTS_CONFIRM_DAYS * 86400
    try:
        payload = signing.loads(token, salt=CONFIRM_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise BadToken("This confirmation link has expired; subscribe again.") from None
    except signing.BadSignature:
        raise BadToken("This confirmation link is not valid.") from None
    if not (isinstance(payload, list) and len(payload) == 5):
        raise BadToken("This confirmation link is not valid.")
    if not all(isinstance(item, str) for item in payload):
        raise BadToken("This confirmation link is not valid.")
    return Choices(*payload)


def unsubscribe_token(subscription: EmailSubscription) -> str:
    return signing.dumps(subscription.pk, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> int:
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise BadToken("This unsubscribe link is not valid.") from None
    if not isinstance(pk, int) or isinstance(pk, bool):
        raise BadToken("This unsubscribe link is not valid.")
    return pk


def unsubscribe_url(subscription: EmailSubscription) -> str:
    query = urlencode({"token": unsubscribe_token(subscription)})
    return site_url(reverse("alerts:unsubscribe") + "?" + query)


# -- mails -----------------------------------------------------------------------------------


def send_confirmation(choices: Choices, *, scope_title: str, confirm_url: str) -> None:
    """The double opt-in mail: nothing is sent to the address until it is confirmed."""
    context = {"choices": choices, "scope_title": scope_title, "confirm_url": confirm_url}
    context["days"] = settings.ALERTS_CONFIRM_DAYS
    context["frequency"] = Frequency(choices.frequency).label
    message = EmailMultiAlternatives(
        subject=f"Confirm your Atlas alerts: {scope_title}",
        body=render_to_string("alerts/mail_confirm.txt", context),
        to=[choices.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(render_to_string("alerts/mail_confirm.html", context), "text/html")
    message.send()


def alert_message(subscription: EmailSubscription, changes: list) -> EmailMultiAlternatives:
    """One mail: a single change (immediately) or a digest of several."""
    scope = subscription.scope()
    unsubscribe = unsubscribe_url(subscription)
    context = {
        "subscription": subscription,
        "scope": scope,
        "scope_url": site_url(scope.url),
        "changes": [(change, site_url(change.get_absolute_url())) for change in changes],
        "unsubscribe_url": unsubscribe,
        "frequency": Frequency(subscription.frequency).label,
    }
    if subscription.frequency == Frequency.IMMEDIATELY:
        change = changes[0]
        significance = change.effective_significance_label.split(" (")[0].lower()
        subject = (
            f"Atlas: {change.document}: {change.provision.record_id} "
            f"{change.get_action_display().lower()} ({significance})"
        )
    else:
        count = f"{len(changes)} change{'s' if len(changes) != 1 else ''}"
        subject = f"Atlas {subscription.frequency} digest: {count}, {scope.title}"
    message = EmailMultiAlternatives(
        subject=subject[:200],
        body=render_to_string("alerts/mail_alert.txt", context),
        to=[subscription.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(render_to_string("alerts/mail_alert.html", context), "text/html")
    return message


def send_alerts(*, frequency: str, worker: str | None = None) -> int:
    """Send every claimable alert of subscriptions with this frequency, one mail per change
    (immediately) or per subscription (digests); returns how many mails went out. Each mail's
    rows are marked sent as soon as the server accepted it (see ``alerts.outbox``)."""
    worker = worker or sender_name()
    connection = get_connection()  # opened by each send: no connection when nothing is due
    sent = 0
    while alerts := claim_alerts(frequency=frequency, worker=worker):
        subscription = alerts[0].subscription
        wanted = [a for a in alerts if qualifies(a.change, subscription.minimum)]
        try:
            message = alert_message(subscription, [a.change for a in wanted]) if wanted else None
        except UnknownScope:  # its platform, document, … was deleted since
            wanted, message = [], None
        dropped = [a for a in alerts if a not in wanted]
        if dropped:  # lowered by a curator since, or out of any scope: not told
            mark_sent(dropped, worker=worker, skipped=True)
        if message is None:
            continue
        message.connection = connection
        message.send()
        if mark_sent(wanted, worker=worker) != len(wanted):
            logger.warning("Alerts %s were taken over by another sender", wanted)
        sent += 1
    return sent


def confirm(choices: Choices) -> EmailSubscription:
    """Store the confirmed subscription (or its new choices, for an address already
    subscribed to that scope)."""
    subscription, _ = EmailSubscription.objects.update_or_create(
        email=choices.email,
        scope_kind=choices.scope_kind,
        scope_key=choices.scope_key,
        defaults={"frequency": choices.frequency, "minimum": choices.minimum},
        create_defaults={
            "frequency": choices.frequency,
            "minimum": choices.minimum,
            "confirmed_at": timezone.now(),
        },
    )
    return subscription
