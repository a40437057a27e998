"""What a reader follows: every change, or those of one platform, document, clause type,
provision or regulation. Pages, feeds and alerts read changes through a ``Scope``.

A scope names its changes (``ProvisionChange``) and its captures, the denominator of every
count ("7 substantive changes in the last 30 days, of 41 captures").
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from changes.models import ProvisionChange
from comparisons.models import ClauseType
from comparisons.taxonomy import retired_types
from provisions.models import Capture, Document, Platform, Provision, parse_record_id
from regulations.models import ClauseTypeLink, OverrideAction, ProvisionLinkOverride, Regulation

KINDS = ("all", "platform", "document", "clause-type", "provision", "regulation")


class UnknownScope(LookupError):
    """No such platform, document, clause type, provision or regulation."""


@dataclass(frozen=True)
class Scope:
    kind: str
    key: str  # "" for all; a slug; "platform/document"; "P-000123"
    title: str
    changes_filter: Q
    documents_filter: Q  # documents whose captures are the denominator
    url: str
    subject_url: str = ""

    def changes(self):
        return ProvisionChange.objects.filter(self.changes_filter)

    def captures(self):
        documents = Document.objects.filter(self.documents_filter).values("pk")
        return Capture.objects.filter(version__document__in=documents)

    @property
    def tag(self) -> str:
        """A stable name for feed IDs and subscriptions."""
        return f"{self.kind}:{self.key}" if self.key else self.kind


def resolve_scope(kind: str, key: str = "") -> Scope:
    """The scope of that kind and key; ``UnknownScope`` if none such exists."""
    if kind == "all":
        return Scope("all", "", "All platforms", Q(), Q(), reverse("changes:list"))
    if kind == "platform":
        platform = Platform.objects.filter(slug=key).first()
        if platform is None:
            raise UnknownScope(f"No platform {key!r}.")
        return Scope(
            kind,
            key,
            platform.name,
            Q(document__platform=platform),
            Q(platform=platform),
            reverse("changes:platform", args=[key]),
            platform.get_absolute_url(),
        )
    if kind == "document":
        platform_slug, _, slug = key.partition("/")
        document = (
            Document.objects.select_related("platform")
            .filter(platform__slug=platform_slug, slug=slug)
            .first()
        )
        if document is None:
            raise UnknownScope(f"No document {key!r}.")
        return Scope(
            kind,
            key,
            str(document),
            Q(document=document),
            Q(pk=document.pk),
            reverse("changes:document", args=[platform_slug, slug]),
            document.get_absolute_url(),
        )
    if kind == "clause-type":
        clause_type = ClauseType.objects.filter(slug=key).first()
        retired = retired_types().get(key)
        if clause_type is None and retired is None:
            raise UnknownScope(f"No clause type {key!r}.")
        if clause_type is None:
            # A followed type that was split (or renamed) goes on following the types that
            # replaced it, so a subscription made before the split keeps its meaning.
            successors = ClauseType.objects.filter(slug__in=retired["replaced_by"])
            return Scope(
                kind,
                key,
                f"Clause type: {retired['name']} (since {retired['retired']}, "
                f"{len(retired['replaced_by'])} types)",
                Q(provision__assignment__clause_type__in=successors),
                Q(provisions__assignment__clause_type__in=successors),
                reverse("changes:clause_type", args=[key]),
                reverse("comparisons:clause_type", args=[key]),
            )
        return Scope(
            kind,
            key,
            f"Clause type: {clause_type.name}",
            Q(provision__assignment__clause_type=clause_type),
            Q(provisions__assignment__clause_type=clause_type),
            reverse("changes:clause_type", args=[key]),
            clause_type.get_absolute_url(),
        )
    if kind == "provision":
        pk = parse_record_id(key, "P")
        provision = (
            Provision.objects.filter(pk=pk).select_related("document").first() if pk else None
        )
        if provision is None:
            raise UnknownScope(f"No provision {key!r}.")
        return Scope(
            kind,
            key,
            f"Provision {provision.record_id} ({provision.document})",
            Q(provision=provision),
            Q(pk=provision.document_id),
            reverse("changes:provision", args=[key]),
            provision.get_absolute_url(),
        )
    if kind == "regulation":
        regulation = Regulation.objects.filter(slug=key).first()
        if regulation is None:
            raise UnknownScope(f"No regulation {key!r}.")
        addressing = _addressing(regulation)
        return Scope(
            kind,
            key,
            f"Regulation: {regulation.short_name or regulation.name}",
            Q(provision__in=addressing),
            Q(provisions__in=addressing),
            reverse("changes:regulation", args=[key]),
            regulation.get_absolute_url(),
        )
    raise UnknownScope(f"No scope kind {kind!r}: one of {', '.join(KINDS)}.")


def _addressing(regulation):
    """Provisions (in force or removed) the regulation applies to: inherited from their
    clause type and not suppressed, or added by a curator."""
    overrides = ProvisionLinkOverride.objects.filter(
        provision=OuterRef("pk"), regulation=regulation
    )
    inherited = Q(
        assignment__clause_type__in=ClauseTypeLink.objects.filter(regulation=regulation).values(
            "clause_type"
        )
    ) & ~Exists(overrides.filter(action=OverrideAction.SUPPRESS))
    return Provision.objects.filter(
        inherited | Exists(overrides.filter(action=OverrideAction.ADD))
    ).values("pk")
