"""Long lists of links (a clause type's silent platforms, the compare picker: hundreds).

Built as plain strings with every value escaped, and ``reverse`` run once per list: through
template nodes or ``format_html`` per item they cost several milliseconds per page at 300
platforms.
"""

from html import escape
from urllib.parse import urlsplit

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

SENTINEL = "platform-slug-sentinel"


def _platform_url(slug: str, pattern: str) -> str:
    return pattern.replace(SENTINEL, escape(slug))


@register.filter
def platform_links(platforms):
    """Comma-separated links to these platforms' pages."""
    pattern = reverse("provisions:platform", args=[SENTINEL])
    return mark_safe(  # noqa: S308 - every value is escaped
        ", ".join(
            f'<a href="{_platform_url(p.slug, pattern)}">{escape(p.name)}</a>' for p in platforms
        )
    )


@register.filter
def platform_list_items(platforms):
    pattern = reverse("provisions:platform", args=[SENTINEL])
    return mark_safe(  # noqa: S308 - every value is escaped
        "".join(
            f'<li><a href="{_platform_url(p.slug, pattern)}">{escape(p.name)}</a></li>'
            for p in platforms
        )
    )


@register.simple_tag
def platform_checkboxes(platforms, selected):
    """The compare page's platform picker: one checkbox per platform, read in its documents'
    main texts (``platforms``: (slug, name, [(token, label)]) from
    ``comparisons.views._picker``)."""
    chosen = set(selected)
    return mark_safe(  # noqa: S308 - every value is escaped
        "\n".join(_checkbox(slug, name, chosen) for slug, name, _ in platforms)
    )


@register.simple_tag
def text_checkboxes(platforms, selected):
    """Then one checkbox per other text the platforms' documents hold ("OpenAI (EU, en
    text)"), under "Regional texts", open when one is chosen; nothing when there are none."""
    chosen = set(selected)
    boxes = [
        _checkbox(token, f"{name} ({label} text)", chosen)
        for _, name, others in platforms
        for token, label in others
    ]
    if not boxes:
        return ""
    opened = " open" if any(":" in value for value in chosen) else ""
    return mark_safe(  # noqa: S308 - every value is escaped
        f'<details class="texts-picker"{opened}><summary>Regional texts '
        f'<span class="muted">({len(boxes)}): read a platform in its EU or other text, beside '
        f"or instead of its main one</span></summary>"
        f'<div class="picker-grid">{"".join(boxes)}</div></details>'
    )


def _checkbox(value: str, label: str, chosen: set) -> str:
    return (
        f'<label class="chip"><input type="checkbox" name="platforms" value="{escape(value)}"'
        f"{' checked' if value in chosen else ''}> {escape(label)}</label>"
    )


def web_url(value) -> str:
    """``value`` if it is an http(s) URL with a host, else "".

    Stored URLs came from manifests and catalogs; one that slipped past import checks (a
    ``javascript:`` or ``data:`` URL) must never become a working link."""
    url = str(value or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    return url


@register.filter
def external_link(value, rel="nofollow noopener"):
    """A link to a stored http(s) URL, showing the URL; anything else as plain text."""
    url = web_url(value)
    if not url:
        return format_html('<span class="unlinked-url">{}</span>', value or "")
    return format_html('<a href="{}" rel="{}">{}</a>', url, rel, url)
