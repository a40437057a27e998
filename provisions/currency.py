"""How current a document's text is: when it was last captured, and whether a current
declaration still tracks it. A clause is "in force" only as of that capture."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from django.db.models import Exists, OuterRef, Subquery

from provisions.models import Capture, Document, Variant


class Currency(NamedTuple):
    last_captured_at: datetime | None  # the latest capture of the variant's versions
    tracked: bool  # a current declaration (OTA's or Atlas's own) still fetches it


def currency_annotations(document: str = "pk", variant: str = "latest_version__variant_id") -> dict:
    """``last_captured_at`` and ``tracked`` for a queryset whose document id is ``document``
    ("pk" on documents, "document_id" on provisions) and whose variant is ``variant`` (by
    default a document's primary variant, the text its page shows; "variant_id" on
    provisions): the EU text's capture never dates the global text. Declarations belong to
    the tracking app above this one: their model is reached through the reverse relation, not
    imported."""
    declarations = Document._meta.get_field("declarations").related_model
    last = Capture.objects.filter(
        version__document_id=OuterRef(document), version__variant_id=OuterRef(variant)
    ).order_by("-captured_at")
    return {
        "last_captured_at": Subquery(last.values("captured_at")[:1]),
        "tracked": Exists(
            declarations.objects.filter(document_id=OuterRef(document), valid_until__isnull=True)
        ),
    }


def document_currency(document_ids) -> dict[int, Currency]:
    """One query for these documents (their primary texts)."""
    return _currency(Document.objects.filter(pk__in=list(document_ids)), currency_annotations())


def variant_currency(variant_ids) -> dict[int, Currency]:
    """The same for texts, keyed by variant id: a clause is dated by the capture of its own
    text (the EU text's capture never dates a clause of the global text). One query."""
    return _currency(
        Variant.objects.filter(pk__in=list(variant_ids)), currency_annotations("document_id", "pk")
    )


def _currency(rows, annotations) -> dict[int, Currency]:
    rows = rows.annotate(**annotations).values_list("pk", "last_captured_at", "tracked")
    return {pk: Currency(last, tracked) for pk, last, tracked in rows}
