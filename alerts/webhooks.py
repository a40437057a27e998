"""Webhook deliveries, signed as Standard Webhooks (https://www.standardwebhooks.com/).

Each delivery is a JSON POST with three headers: ``webhook-id`` (the same for every attempt
of one (subscription, change), so a receiver drops repeats), ``webhook-timestamp`` (seconds)
and ``webhook-signature``: ``v1,`` + base64 of HMAC-SHA256 over ``{id}.{timestamp}.{body}``
with the subscription's secret (``whsec_`` + base64 of its bytes).

URLs are https to public addresses only (``atlas.ssrf``), checked when subscribed and again
on the very address connected to at each delivery, so a DNS answer cannot change in between;
redirects are not followed (a 3xx is a failed attempt) and every delivery has a short timeout.
``ATLAS_WEBHOOK_ALLOW_PRIVATE`` (tests only) allows http and loopback receivers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import time

import httpcore
import httpx
from django.conf import settings

from alerts.mail import sender_name, site_url
from alerts.models import Delivery
from alerts.outbox import claim_delivery, qualifies, record_attempt, skip_delivery
from atlas.ssrf import UnsafeURL, check_public_url, is_public_address

USER_AGENT = "AtlasWebhooks/1.0"


def check_webhook_url(url: str) -> None:
    """``UnsafeURL`` unless https (or http, when private receivers are allowed) to a public
    address."""
    private = settings.ATLAS_WEBHOOK_ALLOW_PRIVATE
    schemes = {"https", "http"} if private else {"https"}
    check_public_url(url, allow_private=private, schemes=schemes)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def payload(delivery: Delivery) -> dict:
    change = delivery.change
    evidence = change.evidence or {}
    return {
        "type": "provision_change",
        "scope": delivery.subscription.scope_tag,
        "data": {
            "id": change.pk,
            "url": site_url(change.get_absolute_url()),
            "platform": change.document.platform.slug,
            "document": change.document.slug,
            "provision": change.provision.record_id,
            "version": change.version.public_id,
            "captured_at": change.captured_at.isoformat(),
            "action": change.action,
            "significance": change.effective_significance,
            "direction": change.effective_direction,
            "rule": change.rule,
            "before": evidence.get("before"),
            "after": evidence.get("after"),
        },
    }


class CheckedBackend(httpcore.SyncBackend):
    """Connects only to the address it checked (public, unless private receivers are allowed)."""

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as error:
            raise httpcore.ConnectError(f"DNS lookup of {host} failed: {error}") from None
        addresses = [info[4][0] for info in infos]
        if not settings.ATLAS_WEBHOOK_ALLOW_PRIVATE:
            refused = [a for a in addresses if not is_public_address(a)]
            if refused:
                raise UnsafeURL(f"{host} resolves to {refused[0]}, which is not public")
        return super().connect_tcp(addresses[0], port, timeout, local_address, socket_options)


def make_client() -> httpx.Client:
    transport = httpx.HTTPTransport(retries=0)
    # httpx has no parameter for the network backend; the pool reads it per connection.
    transport._pool._network_backend = CheckedBackend()
    return httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(settings.ALERTS_WEBHOOK_TIMEOUT),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT, "Content-Type": "application/json"},
    )


def post(client: httpx.Client, delivery: Delivery) -> tuple[int | None, str]:
    """One attempt: the status code (None if no answer) and an error in one line."""
    body = json.dumps(payload(delivery), ensure_ascii=False).encode()
    timestamp = int(time.time())
    msg_id = delivery.webhook_id
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(delivery.subscription.secret, msg_id, timestamp, body),
    }
    try:
        check_webhook_url(delivery.subscription.url)
        response = client.post(delivery.subscription.url, content=body, headers=headers)
    except (UnsafeURL, httpx.HTTPError) as error:
        return None, f"{type(error).__name__}: {error}"
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    return response.status_code, f"HTTP {response.status_code} {response.reason_phrase}"[:300]


def deliver_webhooks(*, worker: str | None = None, limit: int = 500) -> int:
    """Try every due delivery once (up to ``limit``); returns how many were tried."""
    worker = worker or sender_name()
    tried = 0
    with make_client() as client:
        while tried < limit and (delivery := claim_delivery(worker=worker)):
            if not qualifies(delivery.change, delivery.subscription.minimum):
                skip_delivery(delivery, worker=worker)
                continue
            status_code, error = post(client, delivery)
            record_attempt(delivery, worker=worker, status_code=status_code, error=error)
            tried += 1
    return tried
