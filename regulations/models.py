"""The regulation catalog, and the links from clause types and provisions to the laws they engage.

Three kinds of link, kept apart because they mean different things:

- ``ClauseTypeLink``: curated by us (``regulations/data/clause_type_links.json``): a clause type
  engages a regulation, at an article where we can name it, for a stated reason. Every provision
  of that clause type inherits it.
- ``ProvisionLinkOverride``: a curator adds a link for one provision, or suppresses an inherited
  one; it survives re-runs of assignment and of the loader.
- ``SuggestedLink``: computed in the worker (provision embedding against topic embeddings); shown
  as "possibly related" with its score, never counted as applicable.
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse


class Topic(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    definition = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class Status(models.TextChoices):
    IN_FORCE = "in_force", "In force"
    PARTIALLY_IN_FORCE = "partially_in_force", "Partially in force"
    ENACTED_NOT_YET_IN_FORCE = "enacted_not_yet_in_force", "Enacted, not yet in force"
    PENDING = "pending", "Pending"
    REVOKED = "revoked", "Revoked"
    REPEALED = "repealed", "Repealed"
    INVALIDATED = "invalidated", "Invalidated by a court"
    LAPSED = "lapsed", "Lapsed"


class Level(models.TextChoices):
    SUPRANATIONAL = "supranational", "Supranational"
    FEDERAL = "federal", "Federal"
    NATIONAL = "national", "National"
    STATE = "state", "State"


class Kind(models.TextChoices):
    STATUTE = "statute", "Statute"
    STATUTORY_PROVISION = "statutory-provision", "Statutory provision"
    REGULATION = "regulation", "Regulation"
    DIRECTIVE = "directive", "Directive"
    FRAMEWORK_DECISION = "framework-decision", "Framework decision"
    ADMINISTRATIVE_RULE = "administrative-rule", "Administrative rule"
    EXECUTIVE_ORDER = "executive-order", "Executive order"
    DECLARATORY_RULING = "declaratory-ruling", "Declaratory ruling"
    BILL = "bill", "Bill (not enacted)"


class RegulationQuerySet(models.QuerySet):
    def live(self):
        """Law that binds now or is scheduled to (not pending, revoked, repealed, ...)."""
        return self.filter(
            status__in=[Status.IN_FORCE, Status.PARTIALLY_IN_FORCE, Status.ENACTED_NOT_YET_IN_FORCE]
        )


class Regulation(models.Model):
    """One entry of the catalog (``regulations/data/regulations.json``).

    Dates are kept as the catalog gives them (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``): a partly
    known date is not rounded into a precise one. Field names in ``unverified`` could not be
    confirmed against sources, and pages say so next to the value.
    """

    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=500)
    short_name = models.CharField(max_length=200)
    citation = models.CharField(max_length=500)
    jurisdiction = models.CharField(max_length=10, db_index=True, help_text="EU, GB, US, US-CA…")
    jurisdiction_name = models.CharField(max_length=100)
    level = models.CharField(max_length=20, choices=Level.choices)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    enacted = models.CharField(max_length=10, blank=True)
    in_force = models.CharField(max_length=10, blank=True)
    applies_from = models.CharField(max_length=10, blank=True)
    status = models.CharField(max_length=30, choices=Status.choices)
    url = models.URLField(max_length=600, blank=True)
    authorities = models.JSONField(default=list)
    summary = models.TextField()
    topics = models.ManyToManyField(Topic, related_name="regulations")
    key_provisions = models.JSONField(default=list)
    notes = models.TextField(blank=True)
    unverified = models.JSONField(default=list, help_text="Fields not confirmed by the sources")
    sources = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RegulationQuerySet.as_manager()

    class Meta:
        ordering = ["jurisdiction", "short_name"]

    def __str__(self) -> str:
        return self.short_name

    def get_absolute_url(self) -> str:
        return reverse("regulations:detail", args=[self.slug])

    def is_unverified(self, field: str) -> bool:
        return field in self.unverified


class ClauseTypeLink(models.Model):
    """Curated: provisions of this clause type engage this regulation, for this reason."""

    clause_type = models.ForeignKey(
        "comparisons.ClauseType", on_delete=models.CASCADE, related_name="regulation_links"
    )
    regulation = models.ForeignKey(
        Regulation, on_delete=models.CASCADE, related_name="clause_type_links"
    )
    article = models.CharField(max_length=200, blank=True, help_text="Article or section, if known")
    rationale = models.CharField(max_length=400)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["clause_type", "regulation"]
        constraints = [
            models.UniqueConstraint(
                fields=["clause_type", "regulation"], name="clause_type_link_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.clause_type_id} → {self.regulation_id}"


class OverrideAction(models.TextChoices):
    ADD = "add", "Add a link for this provision"
    SUPPRESS = "suppress", "Suppress the inherited link"


class ProvisionLinkOverride(models.Model):
    """A curator's decision about one provision and one regulation; survives every re-run."""

    provision = models.ForeignKey(
        "provisions.Provision", on_delete=models.CASCADE, related_name="regulation_overrides"
    )
    regulation = models.ForeignKey(Regulation, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=10, choices=OverrideAction.choices)
    article = models.CharField(max_length=200, blank=True)
    rationale = models.CharField(max_length=400)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provision", "regulation"]
        constraints = [
            models.UniqueConstraint(
                fields=["provision", "regulation"], name="provision_link_override_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provision_id} {self.action} {self.regulation_id}"


class SuggestedLink(models.Model):
    """Computed: the provision's embedding is close to a topic of this regulation.

    "Possibly related" only: never shown or counted as an applicable regulation.
    """

    provision = models.ForeignKey(
        "provisions.Provision", on_delete=models.CASCADE, related_name="suggested_regulations"
    )
    regulation = models.ForeignKey(Regulation, on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(help_text="Cosine similarity of provision and topic embeddings")
    model_name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provision", "-score"]
        constraints = [
            models.UniqueConstraint(
                fields=["provision", "regulation"], name="suggested_link_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provision_id} ~ {self.regulation_id} ({self.score:.2f})"
