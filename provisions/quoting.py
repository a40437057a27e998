"""Stored clauses are Markdown (Open Terms Archive's conversion of the page): on pages they are
read rendered, safely, beside the exact stored characters.

Only inline Markdown is rendered (emphasis, code, links, hard breaks): a provision is one
block of its document. Raw HTML is never passed through (it is shown as text), and a link
becomes a link only when its target is http(s); any other target (``javascript:``, a relative
path, ``data:``) leaves the Markdown as the plain text it was.
"""

from __future__ import annotations

from html import escape

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

# Characters that can start inline Markdown; a clause with none of them is only escaped.
MARKUP = frozenset("*_`[]<\\~&!")
LINK_SCHEMES = ("http://", "https://")


def _is_web_link(url: str) -> bool:
    return url.strip().lower().startswith(LINK_SCHEMES)


def _link_open(renderer, tokens, index, options, env):
    tokens[index].attrSet("rel", "nofollow noopener")
    return renderer.renderToken(tokens, index, options, env)


def _parser() -> MarkdownIt:
    parser = MarkdownIt("zero", {"html": False, "breaks": True, "typographer": False})
    parser.enable(["emphasis", "backticks", "escape", "link", "autolink", "newline"])
    parser.validateLink = _is_web_link
    parser.add_render_rule("link_open", _link_open)
    return parser


PARSER = _parser()


def render_quote(text: str) -> SafeString:
    """The clause's inline Markdown as HTML: escaped, links http(s) only, line breaks kept."""
    if not MARKUP.intersection(text):
        return mark_safe(escape(text, quote=False).replace("\n", "<br>\n"))  # noqa: S308
    return mark_safe(PARSER.renderInline(text).rstrip("\n"))  # noqa: S308 - html=False
