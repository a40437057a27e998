"""Citation records for provisions, documents and versions, in five formats.

A citation pins the exact stored text: the version (its capture time and where it came from,
such as an Open Terms Archive commit), the sha256 of the version text and, for a provision,
the sha256 of the provision's exact span in that version, and a permalink to the page pinned
to that version. The provision page and the API build a ``Citation`` with the same functions
(``cite_provision``, ``cite_document``, ``cite_version``), then ask for a format; the formats
are pure.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from provisions.models import Document, Provision, Span, Version, sha256_text

FORMATS = ("json", "csl-json", "bibtex", "ris", "text")
ORIGINS = {"ota": "Open Terms Archive", "corpus": "Corpus file", "live": "Live fetch"}


@dataclass(frozen=True)
class Citation:
    kind: str  # "provision", "document" or "version"
    record_id: str  # P-000123 for a provision; the document's D-000045 otherwise
    title: str
    platform: str
    document: str
    document_record_id: str
    version_id: str  # the version's public ID, D-000045@3f2a9c1e0b7d (never a database key)
    captured_at: dt.datetime
    origin: str  # "ota" or "corpus"
    origin_ref: str  # repository@commit:path, or the corpus file path
    commit: str  # the Open Terms Archive commit, "" for corpus files
    source_url: str
    version_sha256: str
    text_sha256: str | None  # the provision's exact span in that version (provisions only)
    permalink: str
    accessed: dt.date
    quote: str | None = None  # the provision's verbatim text in that version (provisions only)
    publisher: str = "Atlas"


def document_name(document: Document, version: Version) -> str:
    """The document's name, naming the variant of a declared one: "Terms of Service (EU, en
    text)". Two variants may hold the same words; a citation says which text it quotes."""
    if not version.variant_key:
        return document.name
    return f"{document.name} ({version.variant.label} text)"


def provision_title(*, platform: str, document: str, record_id: str, heading: list[str]) -> str:
    where = f" ({' › '.join(heading)})" if heading else ""
    return f"{platform}, {document}{where}, provision {record_id}"


def cite_provision(provision: Provision, span: Span, *, clause: str, request) -> Citation:
    """The provision as it reads in one version (``span``, its exact text ``clause``), with
    the provision page pinned to that version (the page honours ``?version=``)."""
    version, document = span.version, provision.document
    title = provision_title(
        platform=document.platform.name,
        document=document_name(document, version),
        record_id=provision.record_id,
        heading=span.heading_path,
    )
    permalink = provision_permalink(provision.record_id, version.public_id)
    return _cite(
        version,
        document=document,
        kind="provision",
        record_id=provision.record_id,
        title=title,
        permalink=request.build_absolute_uri(permalink),
        text_sha256=sha256_text(clause),
        quote=clause,
    )


def provision_permalink(record_id: str, version_id: str) -> str:
    """The provision page pinned to one version (a path; the request makes it absolute)."""
    query = urlencode({"version": version_id}, safe="@")
    return f"{reverse('provisions:detail', args=[record_id])}?{query}"


def cite_document(document: Document, version: Version, *, request) -> Citation:
    """The document as its (latest) ``version`` reads."""
    return _cite(
        version,
        document=document,
        kind="document",
        record_id=document.record_id,
        title=f"{document.platform.name}, {document_name(document, version)}",
        permalink=request.build_absolute_uri(version.get_absolute_url()),
    )


def version_title(version: Version) -> str:
    document = version.document
    name = document_name(document, version)
    return f"{document.platform.name}, {name}, version of {version.captured_at:%Y-%m-%d}"


def cite_version(version: Version, *, request) -> Citation:
    document = version.document
    return _cite(
        version,
        document=document,
        kind="version",
        record_id=document.record_id,
        title=version_title(version),
        permalink=request.build_absolute_uri(version.get_absolute_url()),
    )


def _cite(version: Version, *, document: Document, **fields) -> Citation:
    """What every citation of ``version`` says: where the text came from (the first
    capture's commit) and its hashes, accessed today."""
    commit = version.captures.order_by("captured_at", "id").values_list("commit", flat=True).first()
    return build_citation(version, document=document, commit=commit, **fields)


def build_citation(
    version: Version,
    *,
    document: Document,
    commit: str | None,
    text_sha256: str | None = None,
    accessed: dt.date | None = None,
    **fields,
) -> Citation:
    """The citation of ``version`` given its first capture's ``commit`` (exports read it in
    their own query); ``fields`` are those of the record cited (kind, record ID, title...)."""
    return Citation(
        platform=document.platform.name,
        document=document_name(document, version),
        document_record_id=document.record_id,
        version_id=version.public_id,
        captured_at=version.captured_at,
        origin=version.origin,
        origin_ref=version.origin_ref,
        commit=commit or "",
        source_url=version.source_url,
        version_sha256=version.sha256,
        text_sha256=text_sha256,
        accessed=accessed or timezone.localdate(),
        **fields,
    )


def as_json(citation: Citation) -> dict:
    data = asdict(citation)
    data["captured_at"] = _iso(citation.captured_at)
    data["accessed"] = citation.accessed.isoformat()
    data["origin_name"] = ORIGINS.get(citation.origin, citation.origin)
    return data


def as_csl_json(citation: Citation) -> list[dict]:
    """One CSL-JSON item (a list, as citation processors expect)."""
    captured = citation.captured_at.astimezone(dt.UTC)
    return [
        {
            "id": _key(citation),
            "type": "webpage",
            "title": citation.title,
            "author": [{"literal": citation.platform}],
            "container-title": citation.document,
            "publisher": citation.publisher,
            "number": citation.record_id,
            "version": citation.version_id,
            "issued": {"date-parts": [[captured.year, captured.month, captured.day]]},
            "accessed": {
                "date-parts": [
                    [citation.accessed.year, citation.accessed.month, citation.accessed.day]
                ]
            },
            "URL": citation.permalink,
            # CSL's "source": where the item was found, here the publisher's own page.
            **({"source": citation.source_url} if citation.source_url else {}),
            "note": _note(citation),
        }
    ]


def as_bibtex(citation: Citation) -> str:
    captured = citation.captured_at.astimezone(dt.UTC)
    fields = [
        ("title", citation.title),
        ("author", "{" + _latex(citation.platform) + "}"),  # a corporate author, kept whole
        ("organization", citation.platform),
        ("howpublished", f"{citation.publisher} record {citation.record_id}"),
        ("year", str(captured.year)),
        ("month", str(captured.month)),
        ("url", citation.permalink),
        ("urldate", citation.accessed.isoformat()),
        ("note", _note(citation)),
    ]
    body = ",\n".join(
        f"  {name} = {{{value if name in ('url', 'author') else _latex(value)}}}"
        for name, value in fields
    )
    return f"@misc{{{_key(citation)},\n{body}\n}}\n"


def as_ris(citation: Citation) -> str:
    captured = citation.captured_at.astimezone(dt.UTC)
    lines = [
        ("TY", "ELEC"),
        ("ID", _key(citation)),
        ("TI", citation.title),
        ("AU", citation.platform),
        ("T2", citation.document),
        ("PB", citation.publisher),
        ("PY", str(captured.year)),
        ("DA", captured.strftime("%Y/%m/%d")),
        ("Y2", citation.accessed.strftime("%Y/%m/%d")),
        ("UR", citation.permalink),
        *([("L2", citation.source_url)] if citation.source_url else []),  # the publisher's page
        ("M1", citation.record_id),
        ("ET", citation.version_id),
        ("N1", _note(citation)),
        ("ER", ""),
    ]
    return "".join(f"{tag}  - {_one_line(value)}".rstrip() + "\r\n" for tag, value in lines)


def as_text(citation: Citation) -> str:
    return (
        f"{citation.title}. Atlas record {citation.record_id}, version {citation.version_id}"
        f" captured {_iso(citation.captured_at)}"
        f" ({_origin(citation)}); sha256 {citation.version_sha256[:16]}"
        + (f", provision text sha256 {citation.text_sha256[:16]}" if citation.text_sha256 else "")
        + (f". Source: {citation.source_url}" if citation.source_url else "")
        + f". {citation.publisher}, {citation.permalink} (accessed {citation.accessed:%Y-%m-%d}).\n"
    )


RENDER = {
    "json": as_json,
    "csl-json": as_csl_json,
    "bibtex": as_bibtex,
    "ris": as_ris,
    "text": as_text,
}


# -- helpers -----------------------------------------------------------------------------


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _key(citation: Citation) -> str:
    """A citation key of letters and digits only: safe in BibTeX, RIS and CSL alike."""
    tag = citation.version_id.partition("@")[2]
    return f"atlas{citation.record_id.replace('-', '')}v{tag}"


def _origin(citation: Citation) -> str:
    if citation.origin == "ota" and citation.commit:
        return f"Open Terms Archive commit {citation.commit}"
    return f"{ORIGINS.get(citation.origin, citation.origin)} {citation.origin_ref}"


def _note(citation: Citation) -> str:
    parts = [
        f"Atlas record {citation.record_id}",
        f"version {citation.version_id} captured {_iso(citation.captured_at)}",
        _origin(citation),
        f"source {citation.source_url}" if citation.source_url else "",
        f"version text sha256 {citation.version_sha256}",
        f"provision text sha256 {citation.text_sha256}" if citation.text_sha256 else "",
    ]
    return "; ".join(p for p in parts if p)


def _one_line(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


LATEX = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def _latex(value: str) -> str:
    """Escape LaTeX's special characters; no lone brace is left, so BibTeX parses the field."""
    return "".join(LATEX.get(char, char) for char in _one_line(value))
