"""Load declarations, fetch each declared document, record only real changes.

``load_declarations()`` stores the validated declarations (all or nothing), each routed to its
document the way the importer routes OTA files, so a page tracked live and by OTA keeps one
history. ``track_document(declaration, slot=...)`` fetches its pages, extracts the text, and
records a ``Fetch``; a new ``provisions.Version`` is stored (by the importer's ``Store``) only
when the text differs from the document's latest. A failure is recorded with its cause and never
becomes a version. Raw pages are kept gzip-compressed under ``ATLAS_SNAPSHOTS_DIR``, named by
the sha256 of their bytes, so any version can be audited and re-extracted.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from provisions import ingest, reading
from provisions.models import Capture, CaptureKind, Document, Origin, Version, sha256_text
from tracking import declarations as declared
from tracking.extract import ExtractError, Page, extract_document
from tracking.fetch import FetchError, Response, fetch, make_client
from tracking.models import Collection, Declaration, Fetch, Outcome

logger = logging.getLogger(__name__)
OWN_DECLARATIONS = Path(__file__).resolve().parent / "data" / "declarations"


# -- declarations ------------------------------------------------------------------------------


def declaration_folders() -> list[tuple[Path, str]]:
    """OTA's collection, then Atlas's own declarations and each folder inside them (a folder
    holds one file per service; the other texts of a service, such as its EU pages declared
    with ``"variant"``, go in a folder of their own, as OTA keeps its EU collection apart)."""
    own = [(OWN_DECLARATIONS, Collection.ATLAS)] + [
        (folder, Collection.ATLAS)
        for folder in sorted(OWN_DECLARATIONS.iterdir())
        if folder.is_dir()
    ]
    ota = Path(settings.TRACKING_DECLARATIONS_DIR)
    if not ota.is_dir():
        # A machine without OTA's collection still tracks what Atlas declares itself.
        logger.warning("no OTA declarations at %s: tracking Atlas's own only", ota)
        return own
    return [(ota, Collection.OTA), *own]


def _route(store: ingest.Store, rules: declared.Rules) -> Document:
    """The document the importer would file ``<service>/<terms type>`` under on that date."""
    when = rules.valid_until or timezone.now()
    probe = reading.Capture("", "", when, "", "", rules.path, "ota", "")
    return store.document_for(probe)


@transaction.atomic
def load_declarations(folders: list[tuple[Path, str]] | None = None) -> int:
    """Store every declaration; raises DeclarationError (nothing stored) if any is invalid."""
    folders = folders or declaration_folders()
    found, seen = [], set()
    for folder, collection in folders:
        rules_found = declared.read_declarations([folder])
        # A service may be declared once per text: its global pages, its EU pages...
        texts = {(rules.service, rules.variant_key) for rules in rules_found}
        if twice := texts & seen:
            raise declared.DeclarationError(
                [f"{s}: declared twice{f' for {k}' if k else ''}" for s, k in sorted(twice)]
            )
        seen |= texts
        found += [(rules, collection) for rules in rules_found]
    ingest.load_seeds()
    store = ingest.Store(ingest.ImportReport())
    for rules, collection in found:
        Declaration.objects.update_or_create(
            service=rules.service,
            terms_type=rules.terms_type,
            variant_key=rules.variant_key,
            valid_until=rules.valid_until,
            defaults={
                "region": rules.region,
                "language": rules.language,
                "collection": collection,
                "document": _route(store, rules),
                "rules": rules.rules,
                "file": rules.file,
            },
        )
    fill_source_urls()
    return len(found)


def fill_source_urls() -> int:
    """Give the versions and captures read from Open Terms Archive the address of the page
    they were fetched from: OTA's versions repositories record none, so without this their
    pages and citations name no source. The declaration in force when the text was captured
    names it (its first page, for a combined document; the history files say until when each
    rule held). Only empty addresses of the variant each declaration feeds are filled;
    returns how many versions got one."""
    windows: dict[tuple[str, str, str], list[Declaration]] = {}
    for declaration in Declaration.objects.order_by(F("valid_until").asc(nulls_last=True)):
        key = (declaration.service, declaration.terms_type, declaration.variant_key)
        windows.setdefault(key, []).append(declaration)
    filled = 0
    for declarations in windows.values():
        start = None
        for declaration in declarations:
            url = declaration.urls[0][:1000]
            within = Q(captured_at__gte=start) if start else Q()
            if declaration.valid_until:
                within &= Q(captured_at__lt=declaration.valid_until)
            mine = {"document_id": declaration.document_id, "source_url": ""}
            filled += Version.objects.filter(
                within, variant_key=declaration.variant_key, **mine
            ).update(source_url=url)
            Capture.objects.filter(
                within,
                version__variant_key=declaration.variant_key,
                version__document_id=declaration.document_id,
                source_url="",
            ).update(source_url=url)
            start = declaration.valid_until
    return filled


# -- raw snapshots -------------------------------------------------------------------------------


def snapshot_path(sha256: str) -> Path:
    return Path(settings.ATLAS_SNAPSHOTS_DIR) / sha256[:2] / f"{sha256}.gz"


def keep_snapshot(content: bytes) -> str:
    digest = hashlib.sha256(content).hexdigest()
    path = snapshot_path(digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(gzip.compress(content))
        partial.replace(path)  # atomic: a reader never sees half a snapshot
    return digest


def read_snapshot(sha256: str) -> bytes:
    return gzip.decompress(snapshot_path(sha256).read_bytes())


# -- tracking ------------------------------------------------------------------------------------


def current_slot(now: datetime | None = None) -> str:
    """The schedule slot ``now`` falls in (one fetch per document and slot)."""
    now = now or timezone.now()
    hours = max(1, 24 // max(1, settings.TRACKING_RUNS_PER_DAY))
    return now.strftime("%Y-%m-%dT") + f"{now.hour // hours * hours:02d}"


def next_run(now: datetime | None = None) -> datetime:
    """When the beat schedule (minute 7 of every ``24 / TRACKING_RUNS_PER_DAY`` hours) next
    queues the tracker."""
    now = now or timezone.now()
    hours = max(1, 24 // max(1, settings.TRACKING_RUNS_PER_DAY))
    start = now.replace(minute=7, second=0, microsecond=0, hour=now.hour // hours * hours)
    while start <= now:
        start += timedelta(hours=hours)
        if start.hour % hours:  # past midnight: the schedule restarts at 00:07
            start = start.replace(hour=0)
    return start


def track_document(
    declaration: Declaration, *, slot: str, transport: httpx.BaseTransport | None = None
) -> Fetch:
    """Fetch and record once per slot; a second call for the same slot returns the first."""
    existing = Fetch.objects.of_text(declaration).filter(slot=slot).first()
    if existing:
        return existing
    fetch_row = _fetch_row(declaration, slot)
    try:
        text = fetch_text(declaration, fetch_row, transport=transport)
        if text is None:
            fetch_row.outcome = Outcome.UNCHANGED
        else:
            check_length(declaration, text)
            fetch_row.outcome, fetch_row.version = record_text(declaration, fetch_row, text)
    except FetchError as error:
        fetch_row.outcome = Outcome.FAILED
        fetch_row.failure = error.failure
        fetch_row.error = str(error)[:2000]
    try:
        with transaction.atomic():
            fetch_row.save()
    except IntegrityError:  # another worker took this slot meanwhile
        return Fetch.objects.of_text(declaration).get(slot=slot)
    logger.info("tracked %s: %s %s", declaration, fetch_row.outcome, fetch_row.error)
    return fetch_row


def _text_path(declaration: Declaration) -> str:
    """``ChatGPT/Terms of Service``, and ``…~eu-en`` for a declared variant's text."""
    variant = f"~{declaration.variant_key}" if declaration.variant_key else ""
    return f"{declaration.path}{variant}"


def _fetch_row(declaration: Declaration, slot: str) -> Fetch:
    return Fetch(
        document=declaration.document,
        variant_key=declaration.variant_key,
        declaration=declaration,
        slot=slot,
    )


def _previous_pages(declaration: Declaration) -> dict[str, dict]:
    last = Fetch.objects.of_text(declaration).exclude(outcome=Outcome.FAILED).first()
    return {page["url"]: page for page in (last.pages if last else [])}


def fetch_text(declaration: Declaration, fetch_row: Fetch, *, transport=None) -> str | None:
    """The document's text now, or None when every page answered 304 Not Modified."""
    previous = _previous_pages(declaration)
    pages, modified = [], False
    with make_client(transport) as client:
        for rules in declared.pages_of(declaration.rules):
            before = previous.get(rules["fetch"], {})
            if rules.get("executeClientScripts") and settings.TRACKING_EXECUTE_SCRIPTS:
                response = render_page(rules)
            else:
                response = fetch(
                    rules["fetch"],
                    client=client,
                    etag=before.get("etag", ""),
                    last_modified=before.get("last_modified", ""),
                )
            if response.not_modified and before.get("sha256"):
                response.content = read_snapshot(before["sha256"])
                response.content_type = before.get("content_type", "")
                response.etag = response.etag or before.get("etag", "")
                response.last_modified = response.last_modified or before.get("last_modified", "")
            else:
                modified = True
            fetch_row.pages.append(_page_record(response))
            pages.append((rules, Page(rules["fetch"], response.content, response.content_type)))
    if not modified:
        return None
    try:
        return extract_document(pages)
    except ExtractError as error:
        raise FetchError(error.failure, str(error)) from None


def reextract_document(declaration: Declaration, *, slot: str) -> Fetch | None:
    """Extract the last fetched pages again with the rules in force now, fetching nothing;
    None when there is nothing fetched to re-extract."""
    last = Fetch.objects.of_text(declaration).exclude(outcome=Outcome.FAILED).first()
    if last is None or not last.pages:
        return None
    row = _fetch_row(declaration, slot)
    row.pages = last.pages
    pages = [
        (rules, Page(rules["fetch"], read_snapshot(page["sha256"]), page["content_type"]))
        for rules, page in zip(declared.pages_of(declaration.rules), last.pages, strict=False)
    ]
    try:
        text = extract_document(pages)
        check_length(declaration, text)
        row.outcome, row.version = record_text(declaration, row, text, technical=True)
    except (ExtractError, FetchError) as error:
        row.outcome, row.failure, row.error = Outcome.FAILED, error.failure, str(error)[:2000]
    row.save()
    return row


def render_page(rules: dict) -> Response:
    # Imported here: only processes that render pages load Playwright (the web never does).
    from tracking import browser

    selectors = rules.get("select") or []
    first = next((s for s in ([selectors] if isinstance(selectors, str) else selectors)), None)
    return browser.render(rules["fetch"], wait_for=first if isinstance(first, str) else None)


def _page_record(response: Response) -> dict:
    return {
        "url": response.url,
        "final_url": response.final_url,
        "status": response.status,
        "content_type": response.content_type,
        "sha256": keep_snapshot(response.content),
        "bytes": len(response.content),
        "etag": response.etag,
        "last_modified": response.last_modified,
    }


def _latest_of_text(declaration: Declaration) -> Version | None:
    """The latest version of the text the declaration feeds; another variant's (the EU
    collection's, for an undeclared one) is not what a fetch is compared with."""
    return (
        declaration.document.versions.filter(variant_key=declaration.variant_key)
        .order_by("-captured_at", "-id")
        .first()
    )


def check_length(declaration: Declaration, text: str) -> None:
    latest = _latest_of_text(declaration)
    floor = settings.TRACKING_MIN_CHARS
    if latest is not None:
        floor = max(floor, len(latest.text) * settings.TRACKING_MIN_PERCENT // 100)
    if len(text) < floor:
        raise FetchError(
            "too_short", f"extracted {len(text)} characters; under {floor}, taken for a broken page"
        )


def record_text(declaration: Declaration, fetch_row: Fetch, text: str, *, technical=False):
    """(outcome, version): a version is stored only when ``text`` is not the latest one.
    ``technical``: the same pages extracted again (new rules or converter), not a change at
    the source; the capture says so and the version is shown as a technical re-extraction."""
    document = declaration.document
    latest = _latest_of_text(declaration)
    digest = sha256_text(text)
    if latest is not None and latest.sha256 == digest:
        return Outcome.UNCHANGED, latest
    final_url = fetch_row.pages[-1]["final_url"] if fetch_row.pages else ""
    capture = reading.Capture(
        key=f"live:{_text_path(declaration)}@{fetch_row.fetched_at.isoformat()}",
        kind=CaptureKind.TECHNICAL if technical else CaptureKind.LIVE_FETCH,
        captured_at=fetch_row.fetched_at,
        text=text,
        sha256=digest,
        path=declaration.path,
        origin=Origin.LIVE,
        origin_ref=f"live:{final_url}"[:600],
        subject=f"{'Re-extraction' if technical else 'Live fetch'} of {declaration}",
        source_url=declaration.urls[0][:1000],
        # the variant the declaration names (none: the undeclared one), created on first sight
        region=declaration.region,
        language=declaration.language,
        collection=f"{declaration.get_collection_display()} declarations",
    )
    ingest.store_captures([capture], ingest.ImportReport())
    # A text seen before (a change reverted) gets this capture, not a second version.
    return Outcome.CHANGED, document.versions.get(
        variant_key=declaration.variant_key, sha256=digest
    )
