"""``{% span_list spans group %}``: a version's provisions in reading order (or by clause type),
each quoted verbatim with its record ID, clause type and wording number.

Built in Python, as the compare rows and clause-type cards are: as template nodes, a page of
200 provisions (the document and version pages) spent ~50 ms rendering them, most of it in
nodes and ~1,000 ``reverse`` calls. The markup is the one ``{% quote %}`` and the old
``_span_list.html`` template gave.
"""

from __future__ import annotations

from html import escape

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe

from provisions.quoting import render_quote
from provisions.templatetags.atlas import SENTINEL

register = template.Library()

PATH_SEPARATOR = " › "


def _path(heading_path) -> str:
    return PATH_SEPARATOR.join(escape(str(part)) for part in heading_path)


def _item(span, group: str, provision_url: str, type_url: str) -> str:
    provision = span.provision
    record_id = provision.record_id
    part = span.is_part
    lines = [f'<li id="{record_id}" class="provision-item{" provision-part" if part else ""}">']
    if group == "type" and span.heading_path:
        lines.append(f'<div class="path">{_path(span.heading_path)}</div>')
    if part:
        where = f"“{escape(span.lead_in or '')} …”" if group == "type" else "above"
        lines.append(f'<div class="lead-in">Enumerated part of the clause {where}:</div>')
    elif span.lead_in:
        lines.append(f'<div class="lead-in">{escape(span.lead_in)}</div>')
    clause = str(span.clause or "")
    lines.append(
        f'<div class="quote"><blockquote class="verbatim">{render_quote(clause)}</blockquote>\n'
        f'<details class="exact"><summary>Verbatim: the exact stored characters</summary>'
        f'<pre class="exact-text">{escape(clause)}</pre></details></div>'
    )
    meta = (
        f'<div class="meta"><a href="{provision_url.replace(SENTINEL, record_id)}'
        f'?version={escape(span.version.public_id)}"><code>{record_id}</code></a>'
    )
    assignment = getattr(provision, "assignment", None)
    if assignment is not None:
        clause_type = assignment.clause_type
        meta += (
            f'\n<a class="type-link" href="{type_url.replace(SENTINEL, escape(clause_type.slug))}">'
            f"{escape(clause_type.name)}</a> "
            f'<span class="sev sev-{escape(assignment.severity)}">'
            f"{escape(assignment.get_severity_display())}</span>"
        )
    if span.revision.number > 1:
        meta += f'\n<span class="muted">wording {span.revision.number}</span>'
    lines.append(meta + "</div>")
    return "\n".join(lines) + "\n</li>"


@register.simple_tag
def span_list(spans, group=""):
    """The ``<ol class="provisions">`` of these spans (each with ``clause``, its verbatim text,
    and ``version``); headings are shown as they change, unless grouped by type."""
    provision_url = reverse("provisions:detail", args=[SENTINEL])
    type_url = reverse("comparisons:clause_type", args=[SENTINEL])
    items = []
    previous = object()
    for span in spans:
        if span.heading_path != previous and span.heading_path and group != "type":
            items.append(
                f'<li class="section-head" aria-hidden="false">'
                f"<h3>{_path(span.heading_path)}</h3></li>"
            )
        previous = span.heading_path
        items.append(_item(span, group, provision_url, type_url))
    return mark_safe(  # noqa: S308 - every stored value is escaped above
        '<ol class="provisions">\n' + "\n".join(items) + "\n</ol>"
    )
