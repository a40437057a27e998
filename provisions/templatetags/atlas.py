"""Long lists of links (a clause type's silent platforms, the compare picker: hundreds).

Built as plain strings with every value escaped, and ``reverse`` run once per list: through
template nodes or ``format_html`` per item they cost several milliseconds per page at 300
platforms.
"""

from html import escape

from django import template
from django.urls import reverse
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
    """The compare page's platform picker: one checkbox per (slug, name) pair."""
    chosen = set(selected)
    return mark_safe(  # noqa: S308 - every value is escaped
        "\n".join(
            f'<label class="chip"><input type="checkbox" name="platforms" value="{escape(slug)}"'
            f"{' checked' if slug in chosen else ''}> {escape(name)}</label>"
            for slug, name in platforms
        )
    )
