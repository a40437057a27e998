"""Geometry of the pictures on provision pages, drawn as SVG by templates (no JavaScript).

Each picture has a table or text beside it that says the same for screen readers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from provisions.models import ChangeKind

WIDTH, LEFT, RIGHT = 640, 110, 20
# A change of the policy (its rules may differ) against noise (links, furniture, re-extraction).
POLICY_KINDS = {ChangeKind.FIRST, ChangeKind.SUBSTANTIVE, ChangeKind.WORDING}
LANES = {"policy": 30, "noise": 75}


@dataclass
class Mark:
    x: float
    y: float
    kind: str  # css class: first, substantive, wording or noise
    title: str
    url: str


@dataclass
class Tick:
    x: float
    label: str


@dataclass
class Timeline:
    marks: list[Mark]
    ticks: list[Tick]
    width: int
    height: int
    policy: int  # versions that changed the policy (first included)
    noise: int


def time_scale(moments: list[datetime], width: int = WIDTH):
    low, high = min(moments), max(moments)
    span = (high - low).total_seconds() or 1.0
    inner = width - LEFT - RIGHT

    def x(moment: datetime) -> float:
        if high == low:
            return LEFT + inner / 2
        return round(LEFT + inner * (moment - low).total_seconds() / span, 1)

    return x, low, high


def year_ticks(low: datetime, high: datetime, x) -> list[Tick]:
    years = range(low.year + (low.month > 1 or low.day > 1), high.year + 1)
    return [Tick(x(low.replace(year=y, month=1, day=1)), str(y)) for y in years]


def version_timeline(versions) -> Timeline | None:
    """The versions of one document on a time axis, in two lanes: policy changes and noise."""
    versions = list(versions)
    if not versions:
        return None
    x, low, high = time_scale([v.captured_at for v in versions])
    marks = []
    for version in versions:
        policy = version.change_kind in POLICY_KINDS
        marks.append(
            Mark(
                x=x(version.captured_at),
                y=LANES["policy" if policy else "noise"],
                kind=version.change_kind if policy else "noise",
                title=f"Version {version.ordinal}, {version.captured_at:%Y-%m-%d}: "
                f"{version.get_change_kind_display()}",
                url=version.get_absolute_url(),
            )
        )
    policy = sum(1 for m in marks if m.kind != "noise")
    return Timeline(
        marks, year_ticks(low, high, x), WIDTH, 110, policy=policy, noise=len(marks) - policy
    )
