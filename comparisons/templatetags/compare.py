"""The compare table's rows, rendered in Python.

At design scale a five-platform table has about 70 rows and 350 cells. Rendering them through
template nodes took most of the page's time (measured at 4,000 provisions on the 2-core
machine: ~60 of 86 ms), and ``format_html`` per cell still ~12 ms at 100,000; plain string
building with every value passed through ``escape`` takes a few. ``reverse`` runs once per
process for each URL pattern, not once per cell.
"""

from functools import lru_cache
from html import escape
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.timezone import get_current_timezone

from provisions.quoting import render_quote

register = template.Library()

SENTINEL = "sentinel-000000"
SCORE_MEANING = (
    "The classifier's probability that this clause is of this type (0 to 1): "
    "0.60 and above is high confidence, 0.40 medium, 0.30 low"
)


@lru_cache(maxsize=4)
def _url_pattern(name: str) -> str:
    return reverse(name, args=[SENTINEL])


@lru_cache(maxsize=1)
def _list_url() -> str:
    return reverse("provisions:search")


def provisions_list_url(platform_slug: str, clause_type_slug: str, choice=None) -> str:
    """The full list of a platform's provisions of a type in force, in the texts the cell
    read (what a cell's count counts; ``provisions.texts``)."""
    params = {"platform": platform_slug, "clause_type": clause_type_slug, "status": "in_force"}
    if choice is not None:
        params["variant"] = choice
    return escape(f"{_list_url()}?{urlencode(params)}")


def as_of(variant_id, currency) -> str:
    """``in force as of <last capture of its text>``, and "not tracked now" where no
    declaration fetches the document any more (``currency``:
    ``provisions.currency.variant_currency``)."""
    known = (currency or {}).get(variant_id)
    if known is None or known.last_captured_at is None:
        return ""
    stale = "" if known.tracked else ' <span class="badge badge-stale">not tracked now</span>'
    return (
        f'<span class="as-of">in force as of its last capture, '
        f"{known.last_captured_at:%Y-%m-%d}</span>{stale}"
    )


@register.simple_tag
def compare_row(row, platform_count, platforms=None, currency=None):
    slug = escape(row.clause_type.slug)
    type_url = _url_pattern("comparisons:clause_type").replace(SENTINEL, slug)
    # ``platforms``: the table's columns (``provisions.texts.Texts``), named with their text
    names = [p.name for p in platforms] if platforms else [None] * len(row.cells)
    cells = "".join(
        _cell(cell, row.clause_type.slug, name, currency)
        for cell, name in zip(row.cells, names, strict=False)
    )
    return mark_safe(  # noqa: S308 - every value below is escaped
        f'<tr class="row{" differs" if row.differs else ""}" data-clause-type="{slug}">'
        f'<th scope="row"><a href="{type_url}">{escape(row.clause_type.name)}</a>'
        f'<div class="muted">{row.having} of {platform_count} have it</div></th>{cells}</tr>\n'
    )


def _cell(cell, clause_type_slug, platform_name, currency) -> str:
    label = f' data-platform="{escape(platform_name)}"' if platform_name else ""
    if cell is None:
        return f'<td class="none"{label}>No provision found</td>'
    provision = cell.assignments[0].provision
    record_id = provision.record_id
    url = _url_pattern("provisions:detail").replace(SENTINEL, record_id)
    count = f"{cell.total} provision{'' if cell.total == 1 else 's'}"
    more = (
        f' <a class="count-link" data-count="{cell.total}" '
        f'href="{provisions_list_url(cell.platform.slug, clause_type_slug, cell.choice)}">'
        f'{count}<span class="visually-hidden"> of {escape(platform_name or cell.platform.name)}'
        f" in force: the full list</span></a>"
        if cell.total > 1
        else ""
    )
    severity = escape(cell.severity)
    return (
        f'<td class="has"{label}><span class="sev sev-{severity}">{severity.capitalize()}</span>'
        f"{more}"
        f'<details class="clause"><summary><blockquote class="verbatim">'
        f"{render_quote(provision.text)}</blockquote></summary>"
        f'<details class="exact"><summary>Verbatim: the exact stored characters</summary>'
        f'<pre class="exact-text">{escape(provision.text)}</pre></details></details>'
        f'<p class="cell-meta"><a href="{url}"><code>{record_id}</code></a> '
        f'<span class="muted">{escape(provision.document.name)}</span> '
        f"{as_of(provision.variant_id, currency)}</p></td>"
    )


@register.simple_tag
def platform_cards(cells, clause_type=None, currency=None):
    """The clause-type page: one card per platform with its best-scored provisions, and a link
    to the full list its count counts."""
    platform_url = _url_pattern("provisions:platform")
    provision_url = _url_pattern("provisions:detail")
    cards = []
    for cell in cells:
        severity = escape(cell.severity)
        shown = "".join(
            f'<div class="quote"><blockquote class="verbatim">{render_quote(a.provision.text)}'
            f"</blockquote>"
            f'<details class="exact"><summary>Verbatim: the exact stored characters</summary>'
            f'<pre class="exact-text">{escape(a.provision.text)}</pre></details></div>'
            f'<p class="meta"><a href="{provision_url.replace(SENTINEL, a.provision.record_id)}">'
            f"<code>{a.provision.record_id}</code></a> {escape(a.provision.document.name)}"
            f' · <span title="{SCORE_MEANING}">score {a.score:.2f}</span>'
            f" {as_of(a.provision.variant_id, currency)}</p>"
            for a in cell.assignments
        )
        count = f"{cell.total} provision{'' if cell.total == 1 else 's'} in force"
        if clause_type is not None:
            count = (
                f'<a class="count-link" data-count="{cell.total}" '
                f'href="{provisions_list_url(cell.platform.slug, clause_type.slug, cell.choice)}">'
                f"{count}"
                f'<span class="visually-hidden"> of {escape(cell.platform.name)}</span></a>'
            )
        typical = f", the {len(cell.assignments)} best-scored shown" if cell.more else ""
        cards.append(
            f'<article class="platform-card"><h3>'
            f'<a href="{platform_url.replace(SENTINEL, escape(cell.platform.slug))}">'
            f"{escape(cell.platform.name)}</a> "
            f'<span class="sev sev-{severity}">{severity.capitalize()}</span></h3>'
            f'<p class="muted">{count}{typical}</p>{shown}</article>'
        )
    return mark_safe("\n".join(cards))  # noqa: S308 - every value is escaped


@register.simple_tag
def adoption_picture(picture, clause_type):
    """The clause-type page's adoption picture (``comparisons.pictures.AdoptionChart``): an SVG
    step line with a point per adopting platform, and the same as a table. Built here, as the
    cards are: with 1,000 platforms its points and rows were most of the page's time as
    template nodes."""
    if picture is None:
        return ""
    adopters, silent = picture.adopters, picture.silent
    name, height = escape(clause_type.name), picture.height

    # strftime in the site's time zone, as the date filter shows them, each date once:
    # formatting 2,000 of them through the filter took ~15 ms
    zone = get_current_timezone()
    days = {id(a): f"{a.first_seen.astimezone(zone):%Y-%m-%d}" for a in adopters}

    def day(adopter):
        return days[id(adopter)]

    title = (
        f"{len(adopters)} platform{'' if len(adopters) == 1 else 's'} adopted {name} between "
        f"{days[id(adopters[0])][:4]} and {days[id(adopters[-1])][:4]}; "
        f"{len(silent)} are silent. The table below lists each date."
    )
    ticks = "".join(
        f'<line class="axis" x1="{tick.x}" x2="{tick.x}" y1="{height - 34}" y2="{height - 26}"/>'
        f'<text x="{tick.x}" y="{height - 12}" text-anchor="middle">'
        f"{escape(str(tick.label))}</text>"
        for tick in picture.ticks
    )
    points = "".join(
        f'<circle class="adopt" cx="{a.x}" cy="{a.y}" r="4.5"><title>{escape(a.platform.name)}: '
        f"first provision of this type captured {day(a)}</title></circle>"
        for a in adopters
    )
    caption_silent = f" Silent: {', '.join(escape(p.name) for p in silent)}." if silent else ""
    rows = "".join(
        f"<tr><td>{escape(a.platform.name)}</td><td>{day(a)}</td></tr>" for a in adopters
    ) + "".join(
        f"<tr><td>{escape(p.name)}</td><td>silent: no provision of this type in force</td></tr>"
        for p in silent
    )
    return mark_safe(
        f'<figure class="picture" tabindex="0">\n'
        f'<svg viewBox="0 0 {picture.width} {height}" role="img" '
        f'aria-labelledby="adoption-title">\n'
        f'  <title id="adoption-title">{title}</title>\n'
        f'  <line class="axis" x1="110" x2="{picture.width - 20}" y1="{height - 30}" '
        f'y2="{height - 30}"/>\n'
        f'  <text class="label" x="4" y="{picture.top + 10}">{len(adopters)} platforms</text>\n'
        f'  <text class="label" x="4" y="{height - 32}">none</text>\n'
        f"  {ticks}\n"
        f'  <path class="step" d="{escape(picture.steps)}"/>\n'
        f"  {points}\n"
        f"</svg>\n"
        f"<figcaption>Platforms with a provision of this type, over time: each step is a "
        f"platform's first provision of the type, dated by the first capture of the version it "
        f"appeared in (a platform tracked later shows up when tracking began, not when it wrote "
        f"the rule).{caption_silent}</figcaption>\n"
        f'<details class="as-table"><summary>The same as a table</summary>\n'
        f'<table class="compact"><thead><tr><th scope="col">Platform</th>'
        f'<th scope="col">First provision of this type captured</th></tr></thead>\n'
        f"<tbody>{rows}</tbody></table></details>\n"
        f"</figure>"
    )
