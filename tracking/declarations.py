"""Declarations in Open Terms Archive's format, read and validated before anything is stored.

``<service>.json``: ``{"name": ..., "terms": {<terms type>: <rules>}}`` where the rules give the
``fetch`` URL (or ``combine``: several pages), ``select``/``remove`` (CSS selectors or range
objects), ``filter`` names and ``executeClientScripts``. ``<service>.history.json``: for each
terms type, the earlier rules with the ``validUntil`` date they stopped applying.

Atlas adds one optional field to the service file, which OTA's format cannot express:
``"variant": "EU:en"`` (REGION[:LANG], as ``import_sources --variant``): the pages are that
regional text, so what is fetched feeds that variant of each document, and its history file's
rules too. Without it, the text feeds the document's undeclared variant.

``read_declarations(folders)`` returns every rule set, or raises ``DeclarationError`` listing
each problem with the file and field it is in; a folder with one bad file yields nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from provisions.ingest import variant_key
from provisions.reading import SourceError, parse_variant
from tracking.extract import unsupported_filters

RULE_KEYS = {"fetch", "select", "remove", "filter", "executeClientScripts", "combine"}
RANGE_KEYS = {"startBefore", "startAfter", "endBefore", "endAfter"}
MAX_FILE_BYTES = 1024 * 1024


class DeclarationError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Rules:
    """The rules for one document of one service, from a date (None: current)."""

    service: str  # OTA's service id: the file name, as in ``<service>/<terms type>.md``
    name: str
    terms_type: str
    rules: dict
    valid_until: datetime | None
    file: str
    # The text the pages are (the file's ``"variant": "EU:en"``); "" region: none declared
    region: str = ""
    language: str = ""

    @property
    def variant_key(self) -> str:
        return variant_key(self.region, self.language)

    @property
    def path(self) -> str:
        return f"{self.service}/{self.terms_type}"

    @property
    def pages(self) -> list[dict]:
        return pages_of(self.rules)


def pages_of(rules: dict) -> list[dict]:
    """Each page to fetch with the rules in force for it (a combine entry inherits the rest)."""
    base = {k: v for k, v in rules.items() if k != "combine"}
    return [{**base, **entry} for entry in rules.get("combine") or [{}]]


def _check_selector(value, where: str, problems: list[str]) -> None:
    values = value if isinstance(value, list) else [value]
    for selector in values:
        if isinstance(selector, str) and selector.strip():
            continue
        if isinstance(selector, dict) and selector and set(selector) <= RANGE_KEYS:
            starts = {"startBefore", "startAfter"} & set(selector)
            ends = {"endBefore", "endAfter"} & set(selector)
            if len(starts) == 1 and len(ends) == 1:
                continue
        problems.append(f"{where}: {json.dumps(selector)[:80]} is not a selector")


def _check_url(value, where: str, problems: list[str]) -> None:
    if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https"):
        problems.append(f"{where}: fetch must be an http(s) URL, not {json.dumps(value)[:80]}")
    elif not urlsplit(value).hostname:
        problems.append(f"{where}: fetch URL {value!r} has no host")


def check_rules(rules, where: str, *, combined: bool = False) -> list[str]:
    problems: list[str] = []
    if not isinstance(rules, dict):
        return [f"{where}: expected an object"]
    unknown = set(rules) - RULE_KEYS - ({"validUntil"} if not combined else set())
    if unknown:
        problems.append(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    if "combine" in rules:
        if combined or not isinstance(rules["combine"], list) or not rules["combine"]:
            problems.append(f"{where}: combine must be a non-empty list of pages")
        else:
            for number, entry in enumerate(rules["combine"], start=1):
                problems += check_rules(entry, f"{where}: combine[{number}]", combined=True)
                if isinstance(entry, dict) and "fetch" not in entry:
                    problems.append(f"{where}: combine[{number}]: needs fetch")
    elif "fetch" not in rules:
        problems.append(f"{where}: needs fetch or combine")
    if "fetch" in rules:
        _check_url(rules["fetch"], where, problems)
    for key in ("select", "remove"):
        if key in rules:
            _check_selector(rules[key], f"{where}: {key}", problems)
    if "filter" in rules:
        names = rules["filter"]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            problems.append(f"{where}: filter must be a list of names")
        elif missing := unsupported_filters(names):
            problems.append(f"{where}: filter {', '.join(missing)} is not available in Atlas")
    if "executeClientScripts" in rules and not isinstance(rules["executeClientScripts"], bool):
        problems.append(f"{where}: executeClientScripts must be true or false")
    return problems


def _load_json(path: Path, problems: list[str]):
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            problems.append(f"{path.name}: larger than {MAX_FILE_BYTES} bytes")
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        problems.append(f"{path.name}: not valid JSON ({error})")
        return None


def read_service(path: Path, problems: list[str]) -> list[Rules]:
    service = path.name.removesuffix(".json")
    data = _load_json(path, problems)
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("terms"), dict):
        problems.append(f"{path.name}: expected an object with a 'terms' object")
        return []
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{path.name}: 'name' must be a non-empty string")
        return []
    text = {"region": "", "language": ""}
    if "variant" in data:
        try:
            if not isinstance(data["variant"], str):
                raise SourceError(f'{path.name}: variant must be a string such as "EU:en"')
            text["region"], text["language"] = parse_variant(data["variant"], where=path.name)
        except SourceError as error:
            problems.append(str(error))
            return []
    found = []
    for terms_type, rules in data["terms"].items():
        where = f"{path.name}: terms {terms_type!r}"
        errors = check_rules(rules, where)
        if isinstance(rules, dict) and "validUntil" in rules:
            errors.append(f"{where}: validUntil belongs in the history file")
        problems += errors
        if not errors:
            found.append(Rules(service, name, terms_type, rules, None, path.name, **text))
    history = path.with_name(f"{service}.history.json")
    return found + read_history(history, service, name, problems, **text)


def read_history(
    path: Path, service: str, name: str, problems: list[str], **text: str
) -> list[Rules]:
    """The service's earlier rules, for the text its current file declares (``text``)."""
    if not path.exists():
        return []
    data = _load_json(path, problems)
    if not isinstance(data, dict):
        if data is not None:
            problems.append(f"{path.name}: expected an object of terms types")
        return []
    found = []
    for terms_type, entries in data.items():
        if not isinstance(entries, list):
            problems.append(f"{path.name}: terms {terms_type!r}: expected a list")
            continue
        for number, rules in enumerate(entries, start=1):
            where = f"{path.name}: terms {terms_type!r}[{number}]"
            errors = check_rules(rules, where)
            until = _parse_date(rules.get("validUntil") if isinstance(rules, dict) else None)
            if until is None:
                errors.append(f"{where}: validUntil must be an ISO 8601 date and time")
            problems += errors
            if not errors:
                kept = {k: v for k, v in rules.items() if k != "validUntil"}
                found.append(Rules(service, name, terms_type, kept, until, path.name, **text))
    return found


def _parse_date(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def read_declarations(folders: list[Path]) -> list[Rules]:
    problems: list[str] = []
    found: list[Rules] = []
    for folder in folders:
        if not folder.is_dir():
            problems.append(f"{folder}: no such folder")
            continue
        for path in sorted(folder.glob("*.json")):
            if path.name.endswith(".history.json"):
                continue
            if any(r.service == path.stem for r in found):
                problems.append(f"{path}: service {path.stem!r} is declared twice")
                continue
            found += read_service(path, problems)
    if problems:
        raise DeclarationError(problems)
    return found
