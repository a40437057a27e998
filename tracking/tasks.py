import logging

from celery import shared_task

from tracking import track
from tracking.declarations import DeclarationError
from tracking.models import Declaration

logger = logging.getLogger(__name__)


@shared_task(name="tracking.track_all", soft_time_limit=1800, time_limit=1900)
def track_all() -> int:
    """Reload the declarations, then queue one fetch per declared document for this slot
    (each is idempotent per slot)."""
    try:
        track.load_declarations()
    except DeclarationError as error:
        # The stored declarations still hold; an edit that broke a file must not stop tracking.
        logger.error("declarations not reloaded: %s", error)
    slot = track.current_slot()
    ids = list(Declaration.objects.current().values_list("id", flat=True))
    for declaration_id in ids:
        track_document.delay(declaration_id, slot)
    return len(ids)


@shared_task(
    name="tracking.track_document",
    acks_late=True,
    soft_time_limit=600,
    time_limit=660,
)
def track_document(declaration_id: int, slot: str) -> str | None:
    declaration = Declaration.objects.filter(pk=declaration_id).select_related("document").first()
    if declaration is None:
        return None
    return track.track_document(declaration, slot=slot).outcome
