"""A draft check's report as CSV: one row per fact, in four sections (``section`` column), so
that a spreadsheet or pandas can filter it. JSON is the API's representation
(``drafts.serializers.ReportSerializer``)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator

from drafts.checking import Engagement, Report

COLUMNS = [
    "section",  # clause | wording | field | regulation
    "clause_number",
    "clause_text",
    "clause_type",
    "clause_type_name",
    "score",
    "confidence",
    "in_draft",
    "platforms_having",
    "platforms_tracked",
    "platform",
    "record_id",
    "verbatim_text",
    "similarity",
    "regulation",
    "citation",
    "article",
    "rationale",
    "engaged_by",  # draft | missing type
    "url",
]


def csv_rows(report: Report, *, absolute: Callable[[str], str]) -> Iterator[list[str]]:
    """The header, then the rows; ``absolute`` turns a path into the URL to print."""
    yield COLUMNS
    for clause in report.clauses:
        types = clause.types or [None]
        for score in types:
            yield _row(
                section="clause",
                clause_number=clause.number,
                clause_text=clause.text,
                clause_type=score.slug if score else "",
                clause_type_name=score.name if score else "no clause type fits",
                score=f"{score.score:.4f}" if score else "",
                confidence=score.confidence if score else "",
            )
        for wording in clause.wordings:
            provision = wording.provision
            yield _row(
                section="wording",
                clause_number=clause.number,
                clause_type=clause.types[0].slug,
                platform=provision.document.platform.name,
                record_id=provision.record_id,
                verbatim_text=provision.text,
                similarity=f"{wording.similarity:.4f}",
                url=absolute(provision.get_absolute_url()),
            )
    for field_type in report.field_types:
        yield _row(
            section="field",
            clause_number=" ".join(str(n) for n in field_type.clauses),
            clause_type=field_type.clause_type.slug,
            clause_type_name=field_type.clause_type.name,
            in_draft="yes" if field_type.in_draft else "no",
            platforms_having=len(field_type.having),
            platforms_tracked=field_type.tracked,
            platform="; ".join(p.name for p in field_type.having),
            rationale=field_type.summary,
            url=absolute(field_type.clause_type.get_absolute_url()),
        )
    yield from _regulation_rows(report.engaged, "draft", absolute)
    yield from _regulation_rows(report.engaged_by_missing, "missing type", absolute)


def _regulation_rows(engagements: list[Engagement], engaged_by: str, absolute):
    for engagement in engagements:
        regulation = engagement.regulation
        for link in engagement.links:
            yield _row(
                section="regulation",
                clause_type=link.clause_type.slug,
                clause_type_name=link.clause_type.name,
                regulation=regulation.short_name,
                citation=regulation.citation,
                article=link.article,
                rationale=link.rationale,
                engaged_by=engaged_by,
                url=absolute(regulation.get_absolute_url()),
            )


def _row(**values) -> list[str]:
    """Cells verbatim (texts are quotes; like the compare CSV, nothing is rewritten)."""
    return [str(values.get(column, "")) for column in COLUMNS]


def write_csv(report: Report, stream, *, absolute: Callable[[str], str]) -> None:
    csv.writer(stream).writerows(csv_rows(report, absolute=absolute))
