"""Lists of provisions as CSV: what every count on the pages opens, exportable whole."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse

HEADER = [
    "record id",
    "platform",
    "document",
    "status",
    "last version containing it (captured)",
    "heading path",
    "clause type",
    "severity",
    "permalink",
    "verbatim text",
]


class _Echo:
    """csv.writer's file: hands each written line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def provision_rows(provisions: Iterable, *, base: str = "") -> Iterator[list[str]]:
    yield HEADER
    for provision in provisions:
        assignment = getattr(provision, "assignment", None)
        yield [
            provision.record_id,
            provision.document.platform.name,
            provision.document.name,
            "removed" if provision.removed_in_id else "in force",
            provision.last_version.captured_at.date().isoformat(),
            " › ".join(provision.heading_path),
            assignment.clause_type.name if assignment else "",
            assignment.severity if assignment else "",
            f"{base}{provision.get_absolute_url()}",
            provision.text,
        ]


def provision_csv(provisions, *, request=None, filename="atlas-provisions.csv"):
    """Every row of a Provision queryset (with document, platform, assignment and last version
    selected), streamed: a list can hold hundreds of thousands of provisions."""
    base = f"{request.scheme}://{request.get_host()}" if request is not None else ""
    writer = csv.writer(_Echo())
    lines = (writer.writerow(row) for row in provision_rows(provisions.iterator(2000), base=base))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
