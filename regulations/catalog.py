"""Read, validate and store the regulation catalog and our curated clause-type links.

Three files in one folder (``regulations/data/`` by default):

- ``topics.json``: ``[{slug, definition}]``;
- ``regulations.json``: the catalog (schema and invariants in ``regulations/data/README.md``,
  copied from the shared catalog's README);
- ``clause_type_links.json``: ``{"links": {clause type slug: [{regulation, article, rationale}]}}``,
  written by us.

Everything is validated before anything is stored, and stored in one transaction, so a
malformed catalog changes nothing. Loading is idempotent and reports what changed.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from comparisons.taxonomy import load_clause_types, read_taxonomy
from regulations.models import ClauseTypeLink, Kind, Level, Regulation, Status, Topic

DATA = Path(__file__).resolve().parent / "data"
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
REQUIRED = (
    "slug",
    "name",
    "short_name",
    "citation",
    "jurisdiction",
    "jurisdiction_name",
    "level",
    "kind",
    "status",
    "summary",
    "topics",
    "sources",
)
OPTIONAL = ("enacted", "in_force", "applies_from", "url", "authorities")
OPTIONAL_LISTS = ("key_provisions", "unverified")
SCHEMA_KEYS = {*REQUIRED, *OPTIONAL, *OPTIONAL_LISTS, "notes"}
DATES = ("enacted", "in_force", "applies_from")
# Stored on Regulation as they are, with "" for null (topics are compared separately).
FIELDS = (
    "name",
    "short_name",
    "citation",
    "jurisdiction",
    "jurisdiction_name",
    "level",
    "kind",
    "enacted",
    "in_force",
    "applies_from",
    "status",
    "url",
    "authorities",
    "summary",
    "key_provisions",
    "notes",
    "unverified",
    "sources",
)
LINK_FIELDS = ("article", "rationale")


class CatalogError(Exception):
    """The catalog is malformed; ``problems`` lists every problem found, each locating itself."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class Catalog:
    topics: dict[str, str]  # slug -> definition
    regulations: dict[str, dict]  # slug -> model field values (and "topics")
    links: dict[tuple[str, str], dict]  # (clause type, regulation) -> article, rationale


def read_json(path: Path, problems: list[str]):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{path.name}: file not found in {path.parent}")
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        problems.append(f"{path.name}: not valid JSON ({error})")
    return None


def valid_partial_date(value: str) -> bool:
    if not PARTIAL_DATE.match(value):
        return False
    parts = [int(p) for p in value.split("-")] + [1, 1]
    try:
        datetime.date(parts[0], parts[1], parts[2])
    except ValueError:
        return False
    return True


def check_topics(rows, problems: list[str]) -> dict[str, str]:
    topics: dict[str, str] = {}
    if not isinstance(rows, list):
        problems.append("topics.json: expected a list of {slug, definition}")
        return topics
    for number, row in enumerate(rows, 1):
        where = f"topics.json entry {number}"
        slug = row.get("slug") if isinstance(row, dict) else None
        if not isinstance(slug, str) or not SLUG.match(slug):
            problems.append(f"{where}: missing or malformed slug {slug!r}")
            continue
        if slug in topics:
            problems.append(f"{where}: duplicate topic slug {slug!r}")
        if not isinstance(row.get("definition"), str) or not row["definition"].strip():
            problems.append(f"{where} ({slug}): missing definition")
        topics[slug] = row.get("definition") or ""
    return topics


def _null_explained(row: dict, key: str) -> bool:
    """Invariant 5 of the catalog: a missing date or URL is flagged unless the status says why."""
    status = row.get("status")
    if status == Status.PENDING:
        return True
    return key == "in_force" and (
        status in (Status.REPEALED, Status.INVALIDATED) or bool(row.get("applies_from"))
    )


def check_regulation(row: dict, where: str, topics: dict[str, str], problems: list[str]) -> dict:
    missing = [key for key in REQUIRED if row.get(key) in (None, "", [])]
    if missing:
        problems.append(f"{where}: missing {', '.join(missing)}")
    unknown = sorted(set(row) - SCHEMA_KEYS)
    if unknown:
        problems.append(f"{where}: unknown keys {', '.join(unknown)}")
    for key, choices in (("level", Level), ("kind", Kind), ("status", Status)):
        if row.get(key) is not None and row[key] not in choices.values:
            problems.append(
                f"{where}: {key} {row[key]!r} is not one of {', '.join(choices.values)}"
            )
    for key in DATES:
        value = row.get(key)
        if value is not None and (not isinstance(value, str) or not valid_partial_date(value)):
            problems.append(f"{where}: {key} {value!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
    for topic in row.get("topics") or []:
        if topic not in topics:
            problems.append(f"{where}: unknown topic {topic!r} (not in topics.json)")
    sources = row.get("sources") or []
    if not isinstance(sources, list) or any(
        not isinstance(s, str) or not s.startswith("http") for s in sources
    ):
        problems.append(f"{where}: every source must be a URL starting with http")
    url = row.get("url")
    if url is not None and (not isinstance(url, str) or not url.startswith("http")):
        problems.append(f"{where}: url {url!r} does not start with http")
    for key in ("authorities", "key_provisions", "unverified", "topics"):
        value = row.get(key) or []
        if not isinstance(value, list) or any(not isinstance(v, str) for v in value):
            problems.append(f"{where}: {key} must be a list of strings")
    unverified = row.get("unverified") or []
    if isinstance(unverified, list):
        for name in sorted(set(unverified) - SCHEMA_KEYS):
            problems.append(f"{where}: unverified names {name!r}, which is not a catalog field")
    if isinstance(unverified, list):
        for key in ("enacted", "in_force", "url"):
            if row.get(key) is None and key not in unverified and not _null_explained(row, key):
                problems.append(f"{where}: {key} is null but not listed in unverified")
    for model_field in Regulation._meta.concrete_fields:
        value = row.get(model_field.name)
        if (
            model_field.max_length
            and isinstance(value, str)
            and len(value) > model_field.max_length
        ):
            problems.append(f"{where}: {model_field.name} is longer than {model_field.max_length}")
    return {
        **{key: row.get(key) or ([] if key == "authorities" else "") for key in FIELDS},
        "key_provisions": row.get("key_provisions") or [],
        "unverified": unverified if isinstance(unverified, list) else [],
        "sources": sources if isinstance(sources, list) else [],
        "topics": sorted(set(row.get("topics") or [])),
    }


def check_regulations(rows, topics: dict[str, str], problems: list[str]) -> dict[str, dict]:
    regulations: dict[str, dict] = {}
    if not isinstance(rows, list):
        problems.append("regulations.json: expected a list of regulations")
        return regulations
    for number, row in enumerate(rows, 1):
        where = f"regulations.json entry {number}"
        if not isinstance(row, dict):
            problems.append(f"{where}: expected an object")
            continue
        slug = row.get("slug")
        if not isinstance(slug, str) or not SLUG.match(slug):
            problems.append(f"{where}: missing or malformed slug {slug!r}")
            continue
        where = f"{where} ({slug})"
        if slug in regulations:
            problems.append(f"{where}: duplicate slug {slug!r}")
        regulations[slug] = check_regulation(row, where, topics, problems)
    used = {topic for values in regulations.values() for topic in values["topics"]}
    for topic in sorted(set(topics) - used):
        problems.append(f"topics.json: topic {topic!r} is used by no regulation")
    return regulations


def check_links(document, regulations: dict[str, dict], clause_types: set[str], problems):
    links: dict[tuple[str, str], dict] = {}
    if not isinstance(document, dict) or not isinstance(document.get("links"), dict):
        problems.append('clause_type_links.json: expected {"links": {clause type: [links]}}')
        return links
    for clause_type, rows in document["links"].items():
        where = f"clause_type_links.json {clause_type}"
        if clause_type not in clause_types:
            problems.append(f"{where}: unknown clause type {clause_type!r}")
        for row in rows if isinstance(rows, list) else []:
            regulation = row.get("regulation") if isinstance(row, dict) else None
            if regulation not in regulations:
                problems.append(f"{where}: unknown regulation {regulation!r}")
                continue
            rationale = row.get("rationale")
            if not isinstance(rationale, str) or not rationale.strip() or len(rationale) > 400:
                problems.append(
                    f"{where} → {regulation}: a rationale of 1–400 characters is needed"
                )
            if (clause_type, regulation) in links:
                problems.append(f"{where}: {regulation} is linked twice")
            links[(clause_type, regulation)] = {
                "article": row.get("article") or "",
                "rationale": rationale or "",
            }
    return links


def read_catalog(directory: Path = DATA, *, clause_types: set[str] | None = None) -> Catalog:
    """The validated catalog in ``directory``; raises CatalogError listing every problem."""
    if clause_types is None:
        clause_types = {row["slug"] for row in read_taxonomy()}
    directory = Path(directory)
    problems: list[str] = []
    topics_rows = read_json(directory / "topics.json", problems)
    regulation_rows = read_json(directory / "regulations.json", problems)
    link_rows = read_json(directory / "clause_type_links.json", problems)
    if problems:
        raise CatalogError(problems)
    topics = check_topics(topics_rows, problems)
    regulations = check_regulations(regulation_rows, topics, problems)
    links = check_links(link_rows, regulations, clause_types, problems)
    if problems:
        raise CatalogError(problems)
    return Catalog(topics=topics, regulations=regulations, links=links)


@dataclass
class Changes:
    created: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)  # key -> changed field names
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed)


@dataclass
class LoadReport:
    topics: Changes
    regulations: Changes
    links: Changes

    @property
    def changed(self) -> bool:
        return self.topics.changed or self.regulations.changed or self.links.changed


def _update(row, values: dict) -> list[str]:
    """Set the fields whose value differs and save them; returns their names."""
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, values[name])
    if changed:
        row.save(update_fields=[*changed, "updated_at"])
    return changed


def _record(changes: Changes, label: str, changed: list[str] | None) -> None:
    if changed is None:
        changes.created.append(label)
    elif changed:
        changes.updated[label] = changed
    else:
        changes.unchanged += 1


@transaction.atomic
def store_catalog(catalog: Catalog) -> LoadReport:
    """Create, update or remove topics, regulations and curated links to match the catalog."""
    report = LoadReport(Changes(), Changes(), Changes())
    topics = {t.slug: t for t in Topic.objects.all()}
    for slug, definition in catalog.topics.items():
        if slug in topics:
            _record(report.topics, slug, _update(topics[slug], {"definition": definition}))
        else:
            topics[slug] = Topic.objects.create(slug=slug, definition=definition)
            _record(report.topics, slug, None)
    regulations = {r.slug: r for r in Regulation.objects.prefetch_related("topics")}
    for slug, values in catalog.regulations.items():
        fields = {name: values[name] for name in FIELDS}
        regulation = regulations.get(slug)
        if regulation is None:
            regulation = regulations[slug] = Regulation.objects.create(slug=slug, **fields)
            regulation.topics.set([topics[t] for t in values["topics"]])
            _record(report.regulations, slug, None)
            continue
        changed = _update(regulation, fields)
        if sorted(t.slug for t in regulation.topics.all()) != values["topics"]:
            regulation.topics.set([topics[t] for t in values["topics"]])
            changed.append("topics")
        _record(report.regulations, slug, changed)
    clause_types = load_clause_types()  # the written taxonomy; curator edits are kept
    links = {
        (link.clause_type.slug, link.regulation.slug): link
        for link in ClauseTypeLink.objects.select_related("clause_type", "regulation")
    }
    for key, values in catalog.links.items():
        label = f"{key[0]} → {key[1]}"
        if key in links:
            _record(report.links, label, _update(links[key], values))
        else:
            ClauseTypeLink.objects.create(
                clause_type=clause_types[key[0]], regulation=regulations[key[1]], **values
            )
            _record(report.links, label, None)
    for key in sorted(set(links) - set(catalog.links)):
        links[key].delete()
        report.links.removed.append(f"{key[0]} → {key[1]}")
    # A removed regulation takes its curator overrides and suggestions with it (on cascade).
    for slug in sorted(set(regulations) - set(catalog.regulations)):
        regulations[slug].delete()
        report.regulations.removed.append(slug)
    for slug in sorted(set(topics) - set(catalog.topics)):
        topics[slug].delete()
        report.topics.removed.append(slug)
    return report


def load_catalog(directory: Path = DATA) -> LoadReport:
    """Validate the catalog in ``directory`` and store it (nothing is stored if it is invalid)."""
    return store_catalog(read_catalog(directory))
