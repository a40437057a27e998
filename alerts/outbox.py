"""The outboxes: one row per (subscription, provision change), made after changes are judged,
claimed by a sender before it sends and marked once sent.

Exactly once, as far as it can be had:

- a row is unique per (subscription, change), so making rows twice (a pipeline step run again)
  makes nothing new;
- a sender claims rows (``SELECT … FOR UPDATE SKIP LOCKED``, then ``claimed_at``/``claimed_by``)
  in a short transaction of its own, so two senders never take the same row;
- it marks them sent right after the mail server accepted the mail (one mail, one ``UPDATE``);
- a sender killed after claiming leaves its rows claimed; they are claimed again once the
  lease (``ALERTS_CLAIM_LEASE``) has lapsed, so nothing is lost.

What cannot be had: SMTP has no transaction with our database. A sender killed in the
instant between the server's "250 accepted" and the ``UPDATE`` that marks the rows sent (one
statement, milliseconds) leaves rows that will be sent again after the lease: that one mail,
at most, can arrive twice. Webhook deliveries keep the same ``webhook-id`` for every attempt of
a (subscription, change), so receivers drop such a repeat.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from alerts.models import (
    Alert,
    Delivery,
    DeliveryStatus,
    EmailSubscription,
    Frequency,
    WebhookSubscription,
)
from changes.models import RANK, Significance
from changes.scopes import UnknownScope

DIGEST_LIMIT = 200  # changes in one digest mail; the rest go in the next


def qualifies(change, minimum: str) -> bool:
    """Whether the change (as judged or curated now) is at least as significant as asked."""
    return RANK[Significance(change.effective_significance)] >= RANK[Significance(minimum)]


def enqueue_alerts(*, document_ids: Iterable[int] | None = None) -> int:
    """Outbox rows for every confirmed email subscription and every webhook, for the changes
    in their scope at least as significant as asked, found since the subscription began (a new
    subscriber is not sent the past). Idempotent; returns how many rows are new."""
    before = Alert.objects.count() + Delivery.objects.count()
    for subscription in EmailSubscription.objects.confirmed():
        changes = _qualifying(subscription, subscription.confirmed_at, document_ids)
        Alert.objects.bulk_create(
            [Alert(subscription=subscription, change_id=pk) for pk in changes],
            ignore_conflicts=True,
            batch_size=1000,
        )
    for webhook in WebhookSubscription.objects.all():
        changes = _qualifying(webhook, webhook.created_at, document_ids)
        Delivery.objects.bulk_create(
            [Delivery(subscription=webhook, change_id=pk) for pk in changes],
            ignore_conflicts=True,
            batch_size=1000,
        )
    return Alert.objects.count() + Delivery.objects.count() - before


def _qualifying(subscription, since, document_ids) -> list[int]:
    try:
        scope = subscription.scope()
    except UnknownScope:
        return []  # its platform, document, … is gone
    changes = scope.changes().at_least(subscription.minimum).filter(created_at__gte=since)
    if document_ids is not None:
        changes = changes.filter(document_id__in=list(document_ids))
    return list(changes.values_list("pk", flat=True))


def claim_alerts(*, frequency: str, worker: str) -> list[Alert]:
    """Claim what one mail will carry: the oldest claimable row of a confirmed subscription of
    that frequency (immediately), or all of one subscription's claimable rows (a digest)."""
    lease = settings.ALERTS_CLAIM_LEASE
    claimable = Alert.objects.claimable(lease).filter(
        subscription__frequency=frequency, subscription__confirmed_at__isnull=False
    )
    with transaction.atomic():
        first = (
            claimable.select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
            .values_list("pk", "subscription_id")
            .first()
        )
        if first is None:
            return []
        if frequency == Frequency.IMMEDIATELY:
            pks = [first[0]]
        else:
            pks = list(
                claimable.filter(subscription_id=first[1])
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("pk")
                .values_list("pk", flat=True)[:DIGEST_LIMIT]
            )
        Alert.objects.filter(pk__in=pks).update(
            claimed_at=timezone.now(), claimed_by=worker, updated_at=timezone.now()
        )
    return list(
        Alert.objects.filter(pk__in=pks)
        .select_related(
            "subscription", "change__document__platform", "change__provision", "change__version"
        )
        .defer("change__version__text", "change__provision__search_vector")
        .order_by("change__captured_at", "pk")
    )


def mark_sent(alerts: list[Alert], *, worker: str, skipped: bool = False) -> int:
    """Mark the rows this sender claimed as sent (or skipped); returns how many it still held."""
    return Alert.objects.filter(
        pk__in=[a.pk for a in alerts], claimed_by=worker, sent_at__isnull=True
    ).update(sent_at=timezone.now(), skipped=skipped, updated_at=timezone.now())


def claim_delivery(*, worker: str) -> Delivery | None:
    """Claim one due webhook delivery (pending, its next attempt due, not held by a sender)."""
    with transaction.atomic():
        pk = (
            Delivery.objects.due(settings.ALERTS_CLAIM_LEASE)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)
            .first()
        )
        if pk is None:
            return None
        Delivery.objects.filter(pk=pk).update(
            claimed_at=timezone.now(), claimed_by=worker, updated_at=timezone.now()
        )
    return (
        Delivery.objects.select_related(
            "subscription", "change__document__platform", "change__provision", "change__version"
        )
        .defer("change__version__text", "change__provision__search_vector")
        .get(pk=pk)
    )


def record_attempt(
    delivery: Delivery, *, worker: str, status_code: int | None, error: str = ""
) -> None:
    """The attempt's outcome: delivered on a 2xx; otherwise retried after a doubling wait, until
    ``ALERTS_WEBHOOK_ATTEMPTS`` attempts have failed."""
    now = timezone.now()
    attempts = delivery.attempts + 1
    fields = {
        "attempts": attempts,
        "last_status_code": status_code,
        "last_error": error[:300],
        "claimed_at": None,
        "claimed_by": "",
        "updated_at": now,
    }
    if status_code is not None and 200 <= status_code < 300:
        fields |= {"status": DeliveryStatus.DELIVERED, "delivered_at": now}
    elif attempts >= settings.ALERTS_WEBHOOK_ATTEMPTS:
        fields |= {"status": DeliveryStatus.FAILED}
    else:
        wait = settings.ALERTS_WEBHOOK_BACKOFF * 2 ** (attempts - 1)
        fields |= {"next_attempt_at": now + timezone.timedelta(seconds=wait)}
    Delivery.objects.filter(pk=delivery.pk, claimed_by=worker).update(**fields)


def skip_delivery(delivery: Delivery, *, worker: str) -> None:
    Delivery.objects.filter(pk=delivery.pk, claimed_by=worker).update(
        status=DeliveryStatus.SKIPPED, claimed_at=None, claimed_by="", updated_at=timezone.now()
    )
