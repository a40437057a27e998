"""What Atlas tracks live (declarations) and what each attempt found (fetches).

Versions themselves are ``provisions.Version`` rows stored by the importer's code; a fetch
points to the version it recorded, or says why it recorded none.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from provisions.models import Document, Variant, Version


class Collection(models.TextChoices):
    OTA = "ota", "Open Terms Archive"
    ATLAS = "atlas", "Atlas"


def _versions_of_declared_text():
    return Version.objects.filter(
        document=models.OuterRef("document"), variant_key=models.OuterRef("variant_key")
    )


class DeclarationQuerySet(models.QuerySet):
    def current(self):
        return self.filter(valid_until__isnull=True)

    def uncaptured(self):
        """Declared texts with no stored version yet (whatever source would store one)."""
        return self.filter(~models.Exists(_versions_of_declared_text()))

    def with_status(self):
        """Each with its text's last fetch (``last_*``) and whether it has a version."""
        last = Fetch.objects.filter(
            document=models.OuterRef("document"), variant_key=models.OuterRef("variant_key")
        ).order_by("-fetched_at", "-id")
        failed = last.filter(outcome=Outcome.FAILED)
        return self.select_related("document__platform").annotate(
            captured=models.Exists(_versions_of_declared_text()),
            last_fetched_at=models.Subquery(last.values("fetched_at")[:1]),
            last_outcome=models.Subquery(last.values("outcome")[:1]),
            last_error_at=models.Subquery(failed.values("fetched_at")[:1]),
            last_failure=models.Subquery(failed.values("failure")[:1]),
            last_error=models.Subquery(failed.values("error")[:1]),
        )


class Declaration(models.Model):
    """The rules for fetching one text of one document, as declared (current when
    ``valid_until`` is null).

    A declaration file may name the variant its pages are (``"variant": "EU:en"``): the
    fetched text then feeds that variant of the document, with its own history, and the same
    service may be declared again, in another folder, for its other texts. Without it, the
    text feeds the document's undeclared variant (``variant_key`` "")."""

    service = models.CharField(max_length=200, help_text="OTA service id (file name)")
    terms_type = models.CharField(max_length=200)
    region = models.CharField(max_length=40, blank=True, help_text="Declared region; blank: none")
    language = models.CharField(max_length=20, blank=True)
    # ``provisions.ingest.variant_key`` of region and language: the variant it feeds
    variant_key = models.CharField(max_length=40, blank=True, default="")
    collection = models.CharField(max_length=10, choices=Collection.choices)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="declarations")
    rules = models.JSONField(help_text="fetch/combine, select, remove, filter, ...")
    valid_until = models.DateTimeField(null=True, blank=True)
    file = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DeclarationQuerySet.as_manager()

    class Meta:
        ordering = ["service", "terms_type", "valid_until"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "terms_type", "variant_key", "valid_until"],
                nulls_distinct=False,
                name="declaration_unique_period",
            )
        ]

    def __str__(self) -> str:
        text = f" ({self.variant_label} text)" if self.variant_key else ""
        return f"{self.service} / {self.terms_type}{text}"

    @property
    def variant_label(self) -> str:
        """ "EU, en", as the variant it feeds is labelled; "" for the undeclared variant."""
        if not self.variant_key:
            return ""
        return Variant(region=self.region, language=self.language).label

    @property
    def path(self) -> str:
        return f"{self.service}/{self.terms_type}"

    @property
    def urls(self) -> list[str]:
        entries = self.rules.get("combine") or [self.rules]
        return [entry["fetch"] for entry in entries]


class Outcome(models.TextChoices):
    CHANGED = "changed", "New version recorded"
    UNCHANGED = "unchanged", "No change"
    FAILED = "failed", "Failed"


class Failure(models.TextChoices):
    UNSAFE_URL = "unsafe_url", "Address refused (not public)"
    DNS = "dns", "Host not found"
    TIMEOUT = "timeout", "Timed out"
    TLS = "tls", "TLS error"
    CONNECTION = "connection", "Connection failed"
    TOO_LARGE = "too_large", "Response too large"
    REDIRECTS = "redirects", "Too many redirects"
    BOT_WALL = "bot_wall", "Blocked (bot wall)"
    HTTP_STATUS = "http_status", "HTTP error status"
    SELECTOR = "selector", "Selector matched nothing"
    TOO_SHORT = "too_short", "Page suspiciously short"
    UNSUPPORTED = "unsupported", "Not supported yet"


class FetchQuerySet(models.QuerySet):
    def of_text(self, declaration):
        """The fetches of the text ``declaration`` feeds (its document and variant)."""
        return self.filter(document=declaration.document_id, variant_key=declaration.variant_key)


class Fetch(models.Model):
    """One tracking attempt on one text of one document: what came back, and what was
    recorded."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="fetches")
    variant_key = models.CharField(max_length=40, blank=True, default="")
    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="fetches")
    slot = models.CharField(
        max_length=40, help_text="Schedule slot; one fetch per text of a document and slot"
    )
    fetched_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    failure = models.CharField(max_length=12, choices=Failure.choices, blank=True)
    error = models.TextField(blank=True)
    pages = models.JSONField(
        default=list, help_text="Per page: url, final_url, status, content_type, sha256, bytes"
    )
    version = models.ForeignKey(
        Version, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FetchQuerySet.as_manager()

    class Meta:
        ordering = ["-fetched_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "variant_key", "slot"], name="fetch_unique_slot"
            )
        ]
        indexes = [models.Index(fields=["document", "fetched_at"])]
        verbose_name_plural = "fetches"

    def __str__(self) -> str:
        return f"{self.document} @ {self.fetched_at:%Y-%m-%d %H:%M} ({self.outcome})"
