"""What each provision change means: its significance, its direction for users, the rule that
decided it and the evidence, recomputed after every import (``changes.significance``).

A curator's correction is kept in fields of its own, which recomputation never writes, so it
survives every re-run for as long as the change exists.
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse


class Action(models.TextChoices):
    ADDED = "added", "Added"
    REMOVED = "removed", "Removed"
    REWORDED = "reworded", "Reworded"
    TYPOGRAPHIC = "typographic", "Typography, links or markup only"


class Significance(models.TextChoices):
    SUBSTANTIVE = "substantive", "Substantive (a rule added, removed, broadened or narrowed)"
    WORDING = "wording", "Wording only (same rule, other words)"
    COSMETIC = "cosmetic", "Cosmetic (typography, punctuation, links)"
    FURNITURE = "furniture", "Page furniture (banners, navigation, footers)"
    GLITCH = "glitch", "Capture glitch (a broken or alternating capture)"
    TECHNICAL = "technical", "Technical re-extraction"


# "At least this significant": substantive > wording > the rest (which never alert).
RANK = {
    Significance.SUBSTANTIVE: 3,
    Significance.WORDING: 2,
    Significance.COSMETIC: 1,
    Significance.FURNITURE: 1,
    Significance.GLITCH: 0,
    Significance.TECHNICAL: 0,
}


class Direction(models.TextChoices):
    MORE_RESTRICTIVE = "more_restrictive", "More restrictive for users"
    LESS_RESTRICTIVE = "less_restrictive", "Less restrictive for users"
    NEUTRAL = "neutral", "Neutral"
    UNDETERMINED = "undetermined", "Undetermined"


class ProvisionChangeQuerySet(models.QuerySet):
    def at_least(self, significance: str):
        """Changes at least as significant as ``significance`` (curations counted)."""
        wanted = [s for s, rank in RANK.items() if rank >= RANK[Significance(significance)]]
        return self.filter(effective_significance__in=wanted)

    def substantive(self):
        return self.filter(effective_significance=Significance.SUBSTANTIVE)


class ProvisionChange(models.Model):
    """One provision added, removed or reworded in one version, compared with the version
    before it on the document's timeline (capture glitches set aside)."""

    document = models.ForeignKey(
        "provisions.Document", on_delete=models.CASCADE, related_name="provision_changes"
    )
    version = models.ForeignKey(
        "provisions.Version", on_delete=models.CASCADE, related_name="provision_changes"
    )
    previous_version = models.ForeignKey(
        "provisions.Version", on_delete=models.CASCADE, related_name="+"
    )
    provision = models.ForeignKey(
        "provisions.Provision", on_delete=models.CASCADE, related_name="changes"
    )
    action = models.CharField(max_length=12, choices=Action.choices)
    captured_at = models.DateTimeField(help_text="When the version was first captured")
    significance = models.CharField(max_length=12, choices=Significance.choices)
    direction = models.CharField(max_length=18, choices=Direction.choices)
    direction_reason = models.CharField(max_length=300, blank=True)
    rule = models.CharField(max_length=40, help_text="The rule that decided the significance")
    rule_explanation = models.CharField(max_length=300)
    evidence = models.JSONField(
        default=dict,
        help_text="before/after verbatim, word diff, similarity, clause types before/after",
    )
    glitch = models.CharField(
        max_length=40, blank=True, help_text="The capture glitch this change belongs to"
    )
    curated_significance = models.CharField(max_length=12, choices=Significance.choices, blank=True)
    curated_direction = models.CharField(max_length=18, choices=Direction.choices, blank=True)
    curator_note = models.CharField(max_length=500, blank=True)
    effective_significance = models.GeneratedField(
        expression=models.Case(
            models.When(curated_significance="", then=models.F("significance")),
            default=models.F("curated_significance"),
        ),
        output_field=models.CharField(max_length=12, choices=Significance.choices),
        db_persist=True,
    )
    effective_direction = models.GeneratedField(
        expression=models.Case(
            models.When(curated_direction="", then=models.F("direction")),
            default=models.F("curated_direction"),
        ),
        output_field=models.CharField(max_length=18, choices=Direction.choices),
        db_persist=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProvisionChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-captured_at", "version", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "provision"], name="provision_change_unique")
        ]
        indexes = [
            models.Index(fields=["document", "captured_at"]),
            models.Index(fields=["effective_significance", "captured_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.provision_id} {self.action} in {self.version_id}: {self.significance}"

    def get_absolute_url(self) -> str:
        return reverse("changes:change", args=[self.pk])

    @property
    def effective_significance_label(self) -> str:
        return Significance(self.curated_significance or self.significance).label

    @property
    def effective_direction_label(self) -> str:
        return Direction(self.curated_direction or self.direction).label

    @property
    def diff_url(self) -> str:
        document = self.document
        return (
            reverse("provisions:diff", args=[document.platform.slug, document.slug])
            + f"?from={self.previous_version_id}&to={self.version_id}"
        )
