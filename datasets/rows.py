"""Flat rows of provisions, versions and captures: what the API's CSV and JSON Lines exports
stream and what the dataset download holds, described once (``PROVISION_FIELDS`` and the
others: name, type, meaning) for the data dictionary.

A provision row is the provision as it reads in the last version that contains it, with
everything a citation needs: that version's public ID, capture time, origin and source URL,
the sha256 of the version text and of the clause, and the permalink pinned to that version.
Rows are built from a handful of joined columns per provision (no query per row), so a
500,000-provision export streams in constant memory.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from provisions import citations
from provisions.models import (
    Capture,
    Provision,
    Version,
    format_version_id,
    sha256_text,
)


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # a Frictionless Table Schema type: string, integer, number, boolean, datetime
    description: str


VERSION_ID = (
    "public ID of the version: the document's record ID and the first 12 hex digits of the "
    "sha256 of the version text (D-000015@3f2a9c1e0b7d); it never changes"
)

WHOSE = [
    Field("platform", "string", "platform slug"),
    Field("platform_name", "string", "platform name"),
    Field("document", "string", "record ID of the document (D-000045)"),
    Field("document_name", "string", "document name (Usage Policy, Terms of Use, ...)"),
]
PROVISION_FIELDS = [
    Field("record_id", "string", "Atlas record ID of the provision (P-000123)"),
    *WHOSE,
    Field("heading_path", "string", "the headings above the clause, joined by ' › '"),
    Field("kind", "string", "paragraph, list item, table row ... as the splitter found it"),
    Field("text", "string", "the verbatim clause as it reads in version_id"),
    Field("live", "boolean", "true: in the document's latest version; false: removed"),
    Field("version_id", "string", "the last version containing the clause: " + VERSION_ID),
    Field("captured_at", "datetime", "first capture of that version's exact text (UTC)"),
    Field("source_url", "string", "the publisher's page the version was captured from"),
    Field("origin", "string", "where the version came from: ota, corpus or live"),
    Field("origin_ref", "string", "OTA repository@commit:path, or the corpus file path"),
    Field("commit", "string", "the Open Terms Archive commit of the first capture, if any"),
    Field("version_sha256", "string", "sha256 of the UTF-8 bytes of the whole version text"),
    Field("text_sha256", "string", "sha256 of the UTF-8 bytes of text (the clause)"),
    Field("first_version", "string", "the first version containing the clause: " + VERSION_ID),
    Field("removed_in", "string", "the first version without it (empty while live)"),
    Field("revision_count", "integer", "wordings the clause has had"),
    Field("clause_type", "string", "clause type slug (empty: not assigned)"),
    Field("clause_type_name", "string", "clause type name"),
    Field("clause_category", "string", "the clause type's category"),
    Field("confidence", "string", "high, medium or low (probability bands, see README)"),
    Field("score", "number", "the classifier's probability of the clause type"),
    Field("basis", "string", "classifier, cluster or curated"),
    Field("severity", "string", "the clause type's default severity"),
    Field("runner_up", "string", "the second most likely clause type (slug)"),
    Field("citation_title", "string", "title of the citation record"),
    Field("permalink", "string", "the provision page pinned to version_id"),
    Field("accessed", "date", "access date of the citation (the day of the export)"),
]
CITATION_FIELDS = [
    Field("citation_text", "string", "the citation as plain text"),
    Field("citation_bibtex", "string", "the citation as BibTeX"),
    Field("citation_ris", "string", "the citation as RIS"),
    Field("citation_csl_json", "string", "the citation as CSL-JSON (a list of one item)"),
]
VERSION_FIELDS = [
    Field("version_id", "string", VERSION_ID),
    *WHOSE,
    Field("ordinal", "integer", "position along the capture timeline (1 = oldest; may shift)"),
    Field("captured_at", "datetime", "first capture of this exact text (UTC)"),
    Field("change_kind", "string", "first, substantive, wording, markup, boilerplate, technical"),
    Field("added_count", "integer", "provisions added by this version"),
    Field("removed_count", "integer", "provisions removed by this version"),
    Field("revised_count", "integer", "provisions reworded by this version"),
    Field("source_url", "string", "the publisher's page the version was captured from"),
    Field("origin", "string", "ota, corpus or live"),
    Field("origin_ref", "string", "OTA repository@commit:path, or the corpus file path"),
    Field("sha256", "string", "sha256 of the UTF-8 bytes of text"),
    Field("byte_size", "integer", "size of text in UTF-8 bytes"),
    Field("permalink", "string", "the version's page"),
    Field("text", "string", "the verbatim text of the version, as stored"),
]
CHANGE_FIELDS = [
    *(field for field in VERSION_FIELDS if field.name != "text"),
    Field("previous_version", "string", "the version this one is compared with: " + VERSION_ID),
]
CAPTURE_FIELDS = [
    Field("version_id", "string", VERSION_ID),
    Field("captured_at", "datetime", "when this capture was made (UTC)"),
    Field("kind", "string", "first_record, change, technical, maintenance, corpus, live_fetch"),
    Field("repository", "string", "the Open Terms Archive repository, if any"),
    Field("commit", "string", "the Open Terms Archive commit, if any"),
    Field("path", "string", "OTA <service>/<terms type>, or the corpus file path"),
    Field("subject", "string", "the commit subject, if any"),
    Field("source_url", "string", "the page captured"),
    Field("licence", "string", "licence of the source, as the source states it"),
]


def first_commit(version_field: str) -> Subquery:
    """The commit of the first capture of the version at ``version_field`` (citations name it)."""
    captures = Capture.objects.filter(version=OuterRef(version_field)).order_by("captured_at", "id")
    return Subquery(captures.values("commit")[:1])


def provisions_for_export(queryset):
    """``queryset`` with every column a provision row reads, joined in one query."""
    versions = ("last_version", "first_version", "removed_in")
    return (
        queryset.select_related(
            "document__platform",
            *versions,
            "last_version__variant",  # the citation names a declared variant
            "assignment__clause_type",
            "assignment__runner_up",
        )
        .defer("search_vector", *(f"{name}__text" for name in versions))
        .annotate(first_commit=first_commit("last_version"))
    )


def provision_rows(
    provisions: Iterable[Provision], *, base_url: str, include_citation: bool = False
) -> Iterator[dict]:
    accessed = timezone.localdate()
    for provision in provisions:
        citation = provision_citation(provision, base_url=base_url, accessed=accessed)
        assignment = getattr(provision, "assignment", None)
        row = {
            "record_id": provision.record_id,
            "platform": provision.document.platform.slug,
            "platform_name": provision.document.platform.name,
            "document": provision.document.record_id,
            "document_name": provision.document.name,
            "heading_path": " › ".join(provision.heading_path),
            "kind": provision.kind,
            "text": provision.text,
            "live": provision.removed_in_id is None,
            "version_id": citation.version_id,
            "captured_at": _iso(citation.captured_at),
            "source_url": citation.source_url,
            "origin": citation.origin,
            "origin_ref": citation.origin_ref,
            "commit": citation.commit,
            "version_sha256": citation.version_sha256,
            "text_sha256": citation.text_sha256,
            "first_version": provision.first_version.public_id,
            "removed_in": provision.removed_in.public_id if provision.removed_in else "",
            "revision_count": provision.revision_count,
            **_assignment(assignment),
            "citation_title": citation.title,
            "permalink": citation.permalink,
            "accessed": accessed.isoformat(),
        }
        if include_citation:
            row.update(citation_formats(citation))
        yield row


def citation_formats(citation: citations.Citation) -> dict[str, str]:
    """The CITATION_FIELDS of one record."""
    return {
        "citation_text": citations.as_text(citation).strip(),
        "citation_bibtex": citations.as_bibtex(citation),
        "citation_ris": citations.as_ris(citation),
        "citation_csl_json": json.dumps(citations.as_csl_json(citation), ensure_ascii=False),
    }


def _assignment(assignment) -> dict:
    if assignment is None:
        return dict.fromkeys(
            ("clause_type", "clause_type_name", "clause_category", "confidence", "basis"), ""
        ) | {"score": None, "severity": "", "runner_up": ""}
    return {
        "clause_type": assignment.clause_type.slug,
        "clause_type_name": assignment.clause_type.name,
        "clause_category": assignment.clause_type.category,
        "confidence": assignment.confidence,
        "score": round(assignment.score, 4),
        "basis": assignment.basis,
        "severity": assignment.severity,
        "runner_up": assignment.runner_up.slug if assignment.runner_up else "",
    }


def provision_citation(
    provision: Provision, *, base_url: str, accessed: dt.date
) -> citations.Citation:
    """The provision's citation pinned to its last version, built from the row's columns (the
    same record ``citations.cite_provision`` builds for a page, without a query)."""
    version, document = provision.last_version, provision.document
    return citations.build_citation(
        version,
        document=document,
        commit=getattr(provision, "first_commit", None),
        kind="provision",
        record_id=provision.record_id,
        title=citations.provision_title(
            platform=document.platform.name,
            document=citations.document_name(document, version),
            record_id=provision.record_id,
            heading=provision.heading_path,
        ),
        text_sha256=sha256_text(provision.text),
        permalink=base_url + citations.provision_permalink(provision.record_id, version.public_id),
        accessed=accessed,
        quote=provision.text,
    )


def versions_for_export(queryset, *, with_text: bool = True):
    versions = queryset.select_related("document__platform", "variant").annotate(
        first_commit=first_commit("pk")
    )
    return versions if with_text else versions.defer("text")


def version_citation(version: Version, *, base_url: str, accessed: dt.date) -> citations.Citation:
    """The version's citation (as ``citations.cite_version`` builds it), without a query."""
    return citations.build_citation(
        version,
        document=version.document,
        commit=getattr(version, "first_commit", None),
        kind="version",
        record_id=version.document.record_id,
        title=citations.version_title(version),
        permalink=base_url + version.get_absolute_url(),
        accessed=accessed,
    )


def version_rows(
    versions: Iterable[Version],
    *,
    base_url: str,
    with_text: bool = True,
    include_citation: bool = False,
) -> Iterator[dict]:
    accessed = timezone.localdate()
    for version in versions:
        row = {
            "version_id": version.public_id,
            "platform": version.document.platform.slug,
            "platform_name": version.document.platform.name,
            "document": version.document.record_id,
            "document_name": version.document.name,
            "ordinal": version.ordinal,
            "captured_at": _iso(version.captured_at),
            "change_kind": version.change_kind,
            "added_count": version.added_count,
            "removed_count": version.removed_count,
            "revised_count": version.revised_count,
            "source_url": version.source_url,
            "origin": version.origin,
            "origin_ref": version.origin_ref,
            "sha256": version.sha256,
            "byte_size": version.byte_size,
            "permalink": base_url + version.get_absolute_url(),
        }
        if with_text:
            row["text"] = version.text
        if hasattr(version, "previous_tag"):  # a change: the version it is compared with
            tag = version.previous_tag
            row["previous_version"] = (
                format_version_id(version.document_id, version.variant_key, tag) if tag else None
            )
        if include_citation:
            row.update(
                citation_formats(version_citation(version, base_url=base_url, accessed=accessed))
            )
        yield row


def capture_rows(captures: Iterable[Capture]) -> Iterator[dict]:
    for capture in captures:
        yield {
            "version_id": format_version_id(capture.document_id, capture.variant_key, capture.tag),
            "captured_at": _iso(capture.captured_at),
            "kind": capture.kind,
            "repository": capture.repository,
            "commit": capture.commit,
            "path": capture.path,
            "subject": capture.subject,
            "source_url": capture.source_url,
            "licence": capture.licence,
        }


def captures_for_export():
    return Capture.objects.annotate(
        document_id=F("version__document_id"),
        variant_key=F("version__variant_key"),
        tag=F("version__public_tag"),
    ).order_by("version__document_id", "captured_at", "id")


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
