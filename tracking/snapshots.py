"""Open Terms Archive's recorded snapshots (``shared/ota/snapshots``): cases to check against.

Each case is one document with its declaration and captures; each capture lists the page files
as fetched and the Markdown OTA recorded from them (or none: a no-op). The bench and the tests
read them here and score our extraction with the two measures below.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SnapshotFile:
    url: str
    path: Path
    content_type: str
    sha256: str

    def read(self) -> bytes:
        data = self.path.read_bytes()
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise ValueError(f"{self.path}: sha256 differs from the manifest")
        return data


@dataclass(frozen=True)
class SnapshotCapture:
    number: int
    fetched_at: str
    files: list[SnapshotFile]
    expected: Path | None  # None: OTA recorded no version from this capture


@dataclass(frozen=True)
class SnapshotCase:
    id: str
    service: str
    terms_type: str
    declaration: dict
    features: dict
    captures: list[SnapshotCapture]


def read_cases(folder: Path) -> list[SnapshotCase]:
    cases = []
    for entry in json.loads((folder / "manifest.json").read_text(encoding="utf-8")):
        captures = [
            SnapshotCapture(
                number=number,
                fetched_at=capture["fetched_at"],
                files=[
                    SnapshotFile(f["url"], folder / f["path"], f["content_type"], f["sha256"])
                    for f in capture["files"]
                ],
                expected=folder / capture["expected_version"]["file"]
                if capture["expected_version"]
                else None,
            )
            for number, capture in enumerate(entry["captures"], start=1)
        ]
        cases.append(
            SnapshotCase(
                id=entry["id"],
                service=entry["service"],
                terms_type=entry["terms_type"],
                declaration=entry["declaration"],
                features=entry["features"],
                captures=captures,
            )
        )
    return cases


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def line_match(ours: str, theirs: str) -> float:
    """SequenceMatcher ratio over the non-blank, stripped lines."""
    return difflib.SequenceMatcher(None, _lines(ours), _lines(theirs), autojunk=False).ratio()


def word_match(ours: str, theirs: str) -> float:
    return difflib.SequenceMatcher(None, ours.split(), theirs.split(), autojunk=False).ratio()
