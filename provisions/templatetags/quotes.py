"""A stored clause on a page: its Markdown rendered safely, and the exact characters one
click away (a ``<details>``, so it works without JavaScript)."""

from django import template

from provisions.quoting import render_quote

register = template.Library()


@register.filter
def markdown_quote(text) -> str:
    return render_quote(str(text or ""))


@register.inclusion_tag("provisions/_quote.html")
def quote(text, element_id="", size=""):
    """``{% quote text %}``: the rendered clause and a "verbatim" toggle."""
    return {"text": str(text or ""), "element_id": element_id, "size": size}
