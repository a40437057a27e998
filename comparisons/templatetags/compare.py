"""The compare table's rows, rendered in Python.

At design scale a five-platform table has about 70 rows and 350 cells. Rendering them through
template nodes took most of the page's time (measured at 4,000 provisions on the 2-core
machine: ~60 of 86 ms), and ``format_html`` per cell still ~12 ms at 100,000; plain string
building with every value passed through ``escape`` takes a few. ``reverse`` runs once per
process for each URL pattern, not once per cell.
"""

from functools import lru_cache
from html import escape

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe

register = template.Library()

SENTINEL = "sentinel-000000"


@lru_cache(maxsize=4)
def _url_pattern(name: str) -> str:
    return reverse(name, args=[SENTINEL])


@register.simple_tag
def compare_row(row, platform_count):
    slug = escape(row.clause_type.slug)
    type_url = _url_pattern("comparisons:clause_type").replace(SENTINEL, slug)
    cells = "".join(_cell(cell, type_url) for cell in row.cells)
    return mark_safe(  # noqa: S308 - every value below is escaped
        f'<tr class="row{" differs" if row.differs else ""}" data-clause-type="{slug}">'
        f'<th scope="row"><a href="{type_url}">{escape(row.clause_type.name)}</a>'
        f'<div class="muted">{row.having} of {platform_count} have it</div></th>{cells}</tr>\n'
    )


def _cell(cell, type_url) -> str:
    if cell is None:
        return '<td class="none">No provision found</td>'
    provision = cell.assignments[0].provision
    record_id = provision.record_id
    url = _url_pattern("provisions:detail").replace(SENTINEL, record_id)
    more = (
        f' <a class="muted" href="{type_url}">{cell.total} provisions</a>' if cell.total > 1 else ""
    )
    severity = escape(cell.severity)
    return (
        f'<td class="has"><span class="sev sev-{severity}">{severity.capitalize()}</span>{more}'
        f'<details class="clause"><summary><blockquote class="verbatim">{escape(provision.text)}'
        f'</blockquote></summary><a href="{url}"><code>{record_id}</code></a> '
        f'<span class="muted">{escape(provision.document.name)}</span></details></td>'
    )


@register.simple_tag
def platform_cards(cells):
    """The clause-type page: one card per platform with its most typical provisions."""
    platform_url = _url_pattern("provisions:platform")
    provision_url = _url_pattern("provisions:detail")
    cards = []
    for cell in cells:
        severity = escape(cell.severity)
        shown = "".join(
            f'<blockquote class="verbatim">{_lines(a.provision.text)}</blockquote>'
            f'<p class="meta"><a href="{provision_url.replace(SENTINEL, a.provision.record_id)}">'
            f"<code>{a.provision.record_id}</code></a> {escape(a.provision.document.name)}"
            f" · score {a.score:.2f}</p>"
            for a in cell.assignments
        )
        typical = f", the {len(cell.assignments)} most typical shown" if cell.more else ""
        cards.append(
            f'<article class="platform-card"><h3>'
            f'<a href="{platform_url.replace(SENTINEL, escape(cell.platform.slug))}">'
            f"{escape(cell.platform.name)}</a> "
            f'<span class="sev sev-{severity}">{severity.capitalize()}</span></h3>'
            f'<p class="muted">{cell.total} provision{"" if cell.total == 1 else "s"} in force'
            f"{typical}</p>{shown}</article>"
        )
    return mark_safe("\n".join(cards))  # noqa: S308 - every value is escaped


def _lines(text: str) -> str:
    return escape(text).replace("\n", "<br>")
