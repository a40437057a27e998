"""Search configuration: the text search weights and query syntax, modes and excerpts.

Full text: a stored, generated ``tsvector`` on ``Provision`` (``provision_search_vector``) with
a GIN index, queried with ``websearch_to_tsquery`` by ``Provision.objects.search(q)``, ranked,
with verbatim excerpts (``excerpt``). Semantic: ``Provision.objects.nearest(vector)`` over the
stored embeddings, the query embedded by ``provisions.embeddings.semantic_search``.

Nothing here reads a model: ``provisions.models`` imports this module.
"""

from __future__ import annotations

import re
from collections import Counter

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import F, Func, TextChoices, TextField, Value
from django.db.models.functions import Cast
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

SEARCH_CONFIG = "english"
# Markers that cannot occur in stored policy text (Unicode private use), to find the words
# ts_headline matched (see ``excerpt``).
MARK_START, MARK_STOP = "\ue000", "\ue001"
MARKED = re.compile(MARK_START + "(.*?)" + MARK_STOP, re.DOTALL)
EXCERPT_WIDTH = 280  # characters of verbatim text shown per result
# Search filters that are provisions' own: parameter -> lookup on Provision. The clause-type
# and regulation facets belong to comparisons and regulations (their queries modules).
FACETS = {"platform": "document__platform__slug"}


class SearchMode(TextChoices):
    """One spelling on pages and in the API (which still accepts "fulltext" for "text")."""

    TEXT = "text", "Words"
    SEMANTIC = "semantic", "Meaning"


def searchable(expression):
    """``expression`` with ``<`` and ``>`` read as spaces, for the text search parser.

    PostgreSQL's parser takes anything from a ``<`` as a possible HTML tag and can drop the
    words after it: "Do not paste <script> tags or <b>malware</b> loaders" indexes only
    "past". Policy text does hold such markup (``<br>`` in tables, ``<speak>`` in a
    text-to-speech policy; 13 clauses of the shared corpus lost words), so the index and the
    headline both read the text with those two characters blanked. Pages still show the
    verbatim text (``excerpt``).
    """
    return Func(
        expression, Value("<>"), Value("  "), function="translate", output_field=TextField()
    )


def provision_search_vector():
    """The clause itself weighs most; its heading path (section titles) next."""
    return SearchVector(searchable(F("text")), config=SEARCH_CONFIG, weight="A") + SearchVector(
        searchable(Cast("heading_path", output_field=TextField())),
        config=SEARCH_CONFIG,
        weight="B",
    )


def search_query(q: str) -> SearchQuery:
    return SearchQuery(q, search_type="websearch", config=SEARCH_CONFIG)


def excerpt(text: str, snippet: str, *, width: int = EXCERPT_WIDTH) -> SafeString:
    """A verbatim window of ``text`` around the first match, with the matched words marked.

    ``ts_headline`` (the ``snippet`` annotation) finds the matching words, stemming included,
    but its output is not verbatim: it drops anything that looks like an HTML tag. So only its
    marked words are taken from it; what is shown is always an exact substring of the clause,
    HTML-escaped, with "…" where it was cut.
    """
    words = {w.lower() for w in MARKED.findall(snippet or "") if w.strip()}
    pattern = (
        re.compile(
            r"(?<!\w)("
            + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
            + r")(?!\w)",
            re.IGNORECASE,
        )
        if words
        else None
    )
    first = pattern.search(text) if pattern else None
    start, end = 0, len(text)
    if len(text) > width:
        start = _word_boundary(text, max(0, (first.start() if first else 0) - width // 3))
        end = min(len(text), start + width)
        if end < len(text):
            end = text.rfind(" ", start, end) if " " in text[start:end] else end
    window, html, last = text[start:end], [], 0
    for match in pattern.finditer(window) if pattern else ():
        html += [escape(window[last : match.start()]), "<mark>", escape(match.group()), "</mark>"]
        last = match.end()
    html.append(escape(window[last:]))
    prefix, suffix = ("… " if start else ""), (" …" if end < len(text) else "")
    return mark_safe(prefix + "".join(html) + suffix)  # noqa: S308 - every piece escaped


def _word_boundary(text: str, index: int) -> int:
    if index == 0:
        return 0
    space = text.find(" ", index)
    return space + 1 if 0 <= space < index + 30 else index


def filter_provisions(provisions, lookups: dict[str, str], chosen: dict[str, str]):
    """Narrow a Provision queryset by the facet values chosen (empty values are ignored);
    ``lookups`` maps each facet to its lookup on Provision (each app's ``FACETS``)."""
    for name, lookup in lookups.items():
        if chosen.get(name):
            provisions = provisions.filter(**{lookup: chosen[name]})
    return provisions


def ranked(counter: Counter, *, size: int) -> list[tuple[str, str, int]]:
    """A facet's (value, label, count) rows from a Counter of (value, label): most first."""
    rows = sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:size]
    return [(value, label, count) for (value, label), count in rows]
