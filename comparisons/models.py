"""Clause types and how each provision is assigned to one, with the evidence for it."""

from __future__ import annotations

from django.db import models
from django.urls import reverse


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


# How an assignment's severity rule begins when it is the type's default severity (a curator may
# set another severity, with a rule of their own).
DEFAULT_SEVERITY_RULE = "default severity of the clause type"


class Binds(models.TextChoices):
    """Whom a type's rule binds or protects: a promise of the provider is never matched or
    counted with a restriction on users, since each states one rule and they are two types."""

    USERS = "users", "Users (a restriction, obligation or concession)"
    PROVIDER = "provider", "The provider (a promise, practice, disclaimer or reserved right)"
    USER_RIGHT = "user right", "A right of users"
    BOTH = "both", "Both parties (contract mechanics)"


class ClauseType(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=40)
    binds = models.CharField(
        max_length=12,
        choices=Binds.choices,
        blank=True,
        help_text="Whom the rule binds or protects; empty for a discovered type",
    )
    description = models.TextField()
    default_severity = models.CharField(max_length=10, choices=Severity.choices)
    prototypes = models.JSONField(default=list, help_text="Example phrasings in our own words")
    discovered = models.BooleanField(
        default=False, help_text="Found by clustering; a curator should name or merge it"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged"
    )
    curator_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("comparisons:clause_type", args=[self.slug])

    @property
    def default_severity_rule(self) -> str:
        """The severity rule of an assignment that takes this type's default severity."""
        return f"{DEFAULT_SEVERITY_RULE} “{self.name}”"


class Confidence(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class Basis(models.TextChoices):
    CLASSIFIER = "classifier", "Labelled examples and prototypes"
    CLUSTER = "cluster", "Discovered cluster"
    CURATED = "curated", "Curator decision"


class Assignment(models.Model):
    """The clause type of one provision (its latest wording), with score and basis.

    Curated assignments are never overwritten by re-clustering.
    """

    provision = models.OneToOneField(
        "provisions.Provision", on_delete=models.CASCADE, related_name="assignment"
    )
    clause_type = models.ForeignKey(
        ClauseType, on_delete=models.CASCADE, related_name="assignments"
    )
    score = models.FloatField(help_text="Classifier probability, or cosine to the cluster centre")
    confidence = models.CharField(max_length=8, choices=Confidence.choices)
    basis = models.CharField(max_length=12, choices=Basis.choices)
    runner_up = models.ForeignKey(
        ClauseType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    runner_up_score = models.FloatField(null=True, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    severity_rule = models.CharField(max_length=300)
    model_name = models.CharField(max_length=200)
    text_hash = models.CharField(max_length=64, help_text="The wording that was assigned")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["clause_type", "confidence"])]

    def __str__(self) -> str:
        return f"{self.provision_id} → {self.clause_type_id} ({self.score:.2f})"


class CategoryAssignment(models.Model):
    """A provision no single clause type fits with confidence, whose category is clear: the
    classifier's probabilities of the category's types add up to the category floor
    (``comparisons.classifier.CATEGORY_FLOOR``). It says what the clause is about without
    claiming which rule; coverage and matches count types only.

    Recomputed with every assignment run, like the classifier's assignments.
    """

    provision = models.OneToOneField(
        "provisions.Provision", on_delete=models.CASCADE, related_name="category_assignment"
    )
    category = models.CharField(max_length=40)
    score = models.FloatField(help_text="The category's types' probabilities, summed")
    candidates = models.JSONField(
        default=list, help_text="The category's likeliest types: [[slug, probability], ...]"
    )
    model_name = models.CharField(max_length=200)
    text_hash = models.CharField(max_length=64, help_text="The wording that was read")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["category"])]

    def __str__(self) -> str:
        return f"{self.provision_id} → category {self.category} ({self.score:.2f})"


class SimilarProvision(models.Model):
    """For a provision, a provision of the same clause type on another platform."""

    provision = models.ForeignKey(
        "provisions.Provision", on_delete=models.CASCADE, related_name="similar"
    )
    other = models.ForeignKey("provisions.Provision", on_delete=models.CASCADE, related_name="+")
    similarity = models.FloatField()
    rank = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provision", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["provision", "other"], name="similar_unique_pair")
        ]

    def __str__(self) -> str:
        return f"{self.provision_id} ~ {self.other_id} ({self.similarity:.2f})"


class Coverage(models.Model):
    """How many live provisions of a clause type one platform has (rows only where > 0).

    Recomputed by the worker with every assignment run; platforms tracked without a row for a
    type are silent on it.
    """

    clause_type = models.ForeignKey(ClauseType, on_delete=models.CASCADE, related_name="coverage")
    platform = models.ForeignKey("provisions.Platform", on_delete=models.CASCADE, related_name="+")
    provision_count = models.PositiveIntegerField()
    # When the platform first had a provision of this type: the first capture of the version
    # its earliest one (removed ones included) appeared in. The adoption picture reads it; per
    # request it took a scan of the type's assignments (~15 ms for a type at 500,000).
    first_seen = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clause_type", "platform"], name="coverage_unique")
        ]

    def __str__(self) -> str:
        return f"{self.clause_type_id}/{self.platform_id}: {self.provision_count}"


class TrainedClassifier(models.Model):
    """The worker's trained clause classifier, kept so that the web process only loads it.

    One per sentence model and training data (``digest``: the taxonomy's prototypes and the
    labels), so a changed taxonomy or model is never scored with a stale classifier.
    """

    model_name = models.CharField(max_length=200)
    digest = models.CharField(max_length=64, help_text="sha256 of the training texts and types")
    slugs = models.JSONField(help_text="Every clause type's slug, in the column order")
    classes = models.JSONField(help_text="The slug index of each row of coefficients")
    coefficients = models.JSONField(help_text="One row of weights per class")
    intercepts = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model_name", "digest"], name="classifier_unique")
        ]

    def __str__(self) -> str:
        return f"{self.model_name} classifier ({self.digest[:12]})"
