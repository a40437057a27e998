"""Full-text and semantic search over provisions.

Full text: a stored, generated ``tsvector`` on ``Provision`` (weights below) with a GIN index,
queried with ``websearch_to_tsquery``, ranked, with verbatim excerpts (``excerpt``).

Semantic: the query is embedded with the same sentence model as the clauses, then matched
against the stored clause embeddings (pgvector HNSW, cosine). The web process never loads the
model at start-up: ``embed_query`` loads it lazily, in-process, on the first semantic query,
and caches each query's vector. Measured on this machine (2 shared cores, CPU torch,
all-MiniLM-L6-v2): loading the model takes about 6.4 s once per web process and a query
then embeds in 17-45 ms, so a round trip to the Celery worker (tens of ms of broker
latency plus a worker that may be busy embedding a whole import) would be slower per query and
no lighter overall; only the first semantic query of a process pays the load.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, Func, TextField, Value
from django.db.models.functions import Cast
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

SEARCH_CONFIG = "english"
# Markers that cannot occur in stored policy text (Unicode private use), to find the words
# ts_headline matched (see ``excerpt``).
MARK_START, MARK_STOP = "\ue000", "\ue001"
MARKED = re.compile(MARK_START + "(.*?)" + MARK_STOP, re.DOTALL)
QUERY_VECTOR_TTL = 24 * 3600
EXCERPT_WIDTH = 280  # characters of verbatim text shown per result


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


def embed_query(q: str, *, encoder=None) -> list[float]:
    """The query's vector, from the cache or the lazily loaded model (see the module note)."""
    from provisions.parse import normalize_text

    text = normalize_text(q)
    name = encoder.name if encoder else settings.EMBEDDING_MODEL
    key = "query-vector:" + hashlib.sha256(f"{name}\0{text}".encode()).hexdigest()
    vector = cache.get(key)
    if vector is None:
        if encoder is None:
            from provisions.embeddings import get_encoder

            encoder = get_encoder()
        vector = list(map(float, encoder.encode([text])[0]))
        cache.set(key, vector, QUERY_VECTOR_TTL)
    return vector


@dataclass
class SemanticHit:
    provision_id: int
    similarity: float


def semantic_search(q: str, *, provisions=None, limit: int = 50, encoder=None) -> list:
    """Provisions whose wording is closest in meaning to ``q``, closest first.

    ``provisions`` narrows the candidates (a filtered ``Provision`` queryset: facets). Returns
    ``Provision`` objects annotated with ``similarity`` (cosine, 1 = same meaning). The nearest
    wordings come from the HNSW index first and are then joined to provisions, so a narrow
    filter can return fewer than ``limit`` results. Raises ``WarmingUp`` instead of finding
    nothing while wordings are still waiting for their embeddings.
    """
    from pgvector.django import CosineDistance

    from provisions.models import Provision, TextEmbedding

    # The query first: a server without the model says so (ModelUnavailable), warm or not.
    vector = embed_query(q, encoder=encoder)
    name = encoder.name if encoder else settings.EMBEDDING_MODEL
    query = (
        TextEmbedding.objects.filter(model_name=name)
        .annotate(distance=CosineDistance("vector", vector))
        .order_by("distance")
        .values_list("text_hash", "distance")[: limit * 4]
    )
    nearest = _nearest(query, limit * 4)
    similarity = {text_hash: 1 - distance for text_hash, distance in nearest}
    candidates = provisions if provisions is not None else Provision.objects.all()
    found = list(
        candidates.filter(text_hash__in=similarity).select_related("document__platform")[
            : limit * 4
        ]
    )
    if not found:
        _unless_warming_up(name)
    for provision in found:
        provision.similarity = similarity[provision.text_hash]
    found.sort(key=lambda p: (-p.similarity, p.pk))
    return found[:limit]


def _unless_warming_up(model_name: str) -> None:
    """ "Nothing close" only holds once every wording is embedded: until then, ``WarmingUp``."""
    # Imported here: provisions.models imports this module, and embeddings imports the models.
    from provisions.embeddings import WarmingUp, embedding_progress

    embedded, total = embedding_progress(model_name)
    if embedded < total:
        raise WarmingUp(embedded, total)


def _nearest(query, count: int) -> list:
    """Run a nearest-vector query, exactly if the index cannot serve it in full.

    The HNSW index hands over at most ``hnsw.ef_search`` candidates before the model-name
    filter applies, so vectors of another model (kept after a model change) can crowd out
    this model's: with fewer rows than asked, the query runs again without the index.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL hnsw.ef_search = {min(1000, max(40, int(count)))}")
        nearest = list(query.all())
    if len(nearest) < count:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_indexscan = off")
            # .all(): a new query; the first one's rows stay cached on its queryset.
            nearest = list(query.all())
    return nearest


# Search filters: parameter -> lookup on Provision.
FACETS = {
    "platform": "document__platform__slug",
    "clause_type": "assignment__clause_type__slug",
    "severity": "assignment__severity",
    "regulation": "assignment__clause_type__regulation_links__regulation__slug",
}


def filter_provisions(provisions, filters: dict[str, str]):
    """Narrow a Provision queryset by the facet values chosen (empty values are ignored)."""
    for name, value in filters.items():
        if value:
            provisions = provisions.filter(**{FACETS[name]: value})
    return provisions.distinct() if filters.get("regulation") else provisions


def facet_counts(matches, *, size: int = 12) -> tuple[dict[str, list], int]:
    """Per facet, its values among ``matches`` with how many matching provisions have each
    (most first, at most ``size``), and the number of matches.

    A fixed number of small queries, counted here. Grouping in SQL took four joined GROUP BYs,
    and joining the matches to the assignments made PostgreSQL scan all 100,000 of them
    (20-60 ms for a frequent word at design scale). Each match's assignment is read by a
    correlated subquery instead (one index probe per match): 3-4x cheaper than sending the
    matches' ids back in a second query (1,500 bound parameters for a frequent word).
    """
    from collections import Counter

    from django.db.models import OuterRef, Subquery

    from comparisons.models import Assignment, ClauseType
    from regulations.models import ClauseTypeLink

    assignment = Assignment.objects.filter(provision_id=OuterRef("pk"))
    rows = list(
        matches.order_by()
        .annotate(
            assigned_type=Subquery(assignment.values("clause_type_id")),
            assigned_severity=Subquery(assignment.values("severity")),
        )
        .values_list(
            "pk",
            "document__platform__slug",
            "document__platform__name",
            "assigned_type",
            "assigned_severity",
        )
        .distinct()
    )
    assigned = {pk: (type_id, severity) for pk, _slug, _name, type_id, severity in rows if type_id}
    type_ids = {type_id for type_id, _severity in assigned.values()}
    types = dict(
        (pk, (slug, name))
        for pk, slug, name in ClauseType.objects.filter(pk__in=type_ids).values_list(
            "pk", "slug", "name"
        )
    )
    links: dict[int, set[tuple[str, str]]] = {}
    for type_id, slug, name in ClauseTypeLink.objects.filter(
        clause_type_id__in=type_ids
    ).values_list("clause_type_id", "regulation__slug", "regulation__short_name"):
        links.setdefault(type_id, set()).add((slug, name))
    counters = {name: Counter() for name in FACETS}
    for pk, platform, platform_name, _type_id, _severity in rows:
        counters["platform"][(platform, platform_name)] += 1
        if pk in assigned:
            type_id, severity = assigned[pk]
            counters["clause_type"][types[type_id]] += 1
            counters["severity"][(severity, severity)] += 1
            for regulation in links.get(type_id, ()):
                counters["regulation"][regulation] += 1
    facets = {
        name: [
            (value, label, count)
            for (value, label), count in sorted(counter.items(), key=lambda i: (-i[1], i[0]))[:size]
        ]
        for name, counter in counters.items()
    }
    return facets, len(rows)
