"""How current a document's text is: when it was last captured, and whether a current
declaration still tracks it. A clause is "in force" only as of that capture."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from django.db.models import Count, Max, Q

from provisions.models import Capture, Document


class Currency(NamedTuple):
    last_captured_at: datetime | None  # the latest capture of any of its versions
    tracked: bool  # a current declaration (OTA's or Atlas's own) still fetches it


def document_currency(document_ids) -> dict[int, Currency]:
    """Two small queries for these documents. Declarations belong to the tracking app above
    this one: they are reached by their reverse name (``declarations``), not imported."""
    ids = list(document_ids)
    last = dict(
        Capture.objects.filter(version__document_id__in=ids)
        .values_list("version__document_id")
        .annotate(last=Max("captured_at"))
        .order_by()
    )
    tracked = dict(
        Document.objects.filter(pk__in=ids)
        .annotate(current=Count("declarations", filter=Q(declarations__valid_until__isnull=True)))
        .values_list("pk", "current")
    )
    return {pk: Currency(last.get(pk), bool(current)) for pk, current in tracked.items()}
