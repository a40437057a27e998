"""The compare table's cells, rendered in Python.

At design scale a five-platform table has about 350 cells; rendering them through template
nodes took most of the page's time (measured: ~60 of 86 ms at 4,000 provisions on the 2-core
machine), format_html takes a few milliseconds. ``reverse`` runs once per page, not per cell.
"""

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join

register = template.Library()

SENTINEL = "P-000000"


@register.simple_tag
def compare_cells(row):
    provision_url = reverse("provisions:detail", args=[SENTINEL])
    type_url = row.clause_type.get_absolute_url()
    return format_html_join(
        "\n", "{}", ((_cell(cell, provision_url, type_url),) for cell in row.cells)
    )


def _cell(cell, provision_url, type_url):
    if cell is None:
        return format_html('<td class="none">No provision found</td>')
    provision = cell.assignments[0].provision
    more = (
        format_html(' <a class="muted" href="{}">{} provisions</a>', type_url, cell.total)
        if cell.total > 1
        else ""
    )
    return format_html(
        '<td class="has"><span class="sev sev-{}">{}</span>{}'
        '<details class="clause"><summary><blockquote class="verbatim">{}</blockquote></summary>'
        '<a href="{}"><code>{}</code></a> <span class="muted">{}</span></details></td>',
        cell.severity,
        cell.severity.capitalize(),
        more,
        provision.text,
        provision_url.replace(SENTINEL, provision.record_id),
        provision.record_id,
        provision.document.name,
    )
