"""Who is told about provision changes, and what is still to be told.

An email subscription stores the address and the choices, nothing else (no account, no name,
no IP address); it is confirmed by a signed link before anything is sent. A webhook belongs
to an API client's account. The outboxes (``Alert``, ``Delivery``) hold one row per
(subscription, provision change), made by the pipeline (``alerts.outbox``) and claimed by the
sender before it sends, so a change is told to a subscriber once.
"""

from __future__ import annotations

import base64
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from changes.models import Significance
from changes.scopes import resolve_scope

# The changes a subscriber may ask for: substantive only (the default), or wording too.
MINIMUM_CHOICES = [
    (Significance.SUBSTANTIVE.value, "Substantive changes only"),
    (Significance.WORDING.value, "Substantive and wording changes"),
]


class Frequency(models.TextChoices):
    IMMEDIATELY = "immediately", "Immediately (one mail per change)"
    DAILY = "daily", "Daily digest"
    WEEKLY = "weekly", "Weekly digest"


class ScopedSubscription(models.Model):
    scope_kind = models.CharField(max_length=20)
    scope_key = models.CharField(max_length=200, blank=True)
    minimum = models.CharField(
        max_length=12, choices=MINIMUM_CHOICES, default=Significance.SUBSTANTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @property
    def scope_tag(self) -> str:
        return f"{self.scope_kind}:{self.scope_key}" if self.scope_key else self.scope_kind

    def scope(self):
        """The ``changes.scopes.Scope`` followed (``UnknownScope`` once its subject is gone)."""
        return resolve_scope(self.scope_kind, self.scope_key)


class EmailSubscriptionQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(confirmed_at__isnull=False)


class EmailSubscription(ScopedSubscription):
    email = models.EmailField(max_length=254)
    frequency = models.CharField(
        max_length=12, choices=Frequency.choices, default=Frequency.IMMEDIATELY
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = EmailSubscriptionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["email", "scope_kind", "scope_key"], name="email_subscription_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.scope_tag} ({self.frequency})"


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookSubscription(ScopedSubscription):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(max_length=2000)
    secret = models.CharField(max_length=80, default=new_webhook_secret, editable=False)

    def __str__(self) -> str:
        return f"{self.url} → {self.scope_tag}"


class AlertQuerySet(models.QuerySet):
    def claimable(self, lease_seconds: int):
        """Not yet sent, and not claimed by a sender still within its lease."""
        expired = timezone.now() - timezone.timedelta(seconds=lease_seconds)
        return self.filter(sent_at__isnull=True).filter(
            Q(claimed_at__isnull=True) | Q(claimed_at__lt=expired)
        )


class Alert(models.Model):
    """One provision change to mail to one subscriber: the email outbox."""

    subscription = models.ForeignKey(
        EmailSubscription, on_delete=models.CASCADE, related_name="alerts"
    )
    change = models.ForeignKey(
        "changes.ProvisionChange", on_delete=models.CASCADE, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Set when the change no longer qualified at sending time (a curator lowered it).
    skipped = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "change"], name="alert_once")
        ]
        indexes = [models.Index(fields=["sent_at", "claimed_at"])]

    def __str__(self) -> str:
        return f"change {self.change_id} to subscription {self.subscription_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending (to be tried)"
    DELIVERED = "delivered", "Delivered (2xx)"
    FAILED = "failed", "Failed (no more attempts)"
    SKIPPED = "skipped", "Skipped (the change no longer qualifies)"


class DeliveryQuerySet(models.QuerySet):
    def due(self, lease_seconds: int):
        """Pending, its next attempt due, and not claimed by a sender within its lease."""
        now = timezone.now()
        expired = now - timezone.timedelta(seconds=lease_seconds)
        return self.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now).filter(
            Q(claimed_at__isnull=True) | Q(claimed_at__lt=expired)
        )


class Delivery(models.Model):
    """One provision change to POST to one webhook: the webhook outbox and its delivery log."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    change = models.ForeignKey(
        "changes.ProvisionChange", on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["subscription", "change"], name="delivery_once")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.webhook_id} ({self.status})"

    @property
    def webhook_id(self) -> str:
        """The same for every attempt of this (subscription, change): receivers dedupe on it."""
        return f"msg_atlas_{self.subscription_id}_{self.change_id}"
