"""Counts over whole tables, kept while the tables they read are unchanged.

Counting 500,000 provisions takes ~100 ms to ~1 s; the home page and the pipeline's progress
show such counts on every request. They are kept in the shared cache with a *fingerprint*:
the newest id of each table the counts read, one query of index lookups (~1 ms). A new import,
version, embedding or assignment run adds rows and so changes it as it commits; an edit that
only updates or deletes rows is seen when the entry expires (``seconds``, a minute by default),
and so are rows of a transaction that commits after another one's higher ids (two writers at
once: the worker and an import).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from django.core.cache import cache
from django.db import connection

SECONDS = 60


def newest_ids(tables: Sequence[str]) -> tuple:
    """``max(id)`` of each table, in one query."""
    newest = ", ".join(f"(SELECT max(id) FROM {connection.ops.quote_name(t)})" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {newest}")  # noqa: S608 - table names, quoted, from our code
        return tuple(cursor.fetchone())


def cached(
    key: str,
    tables: Sequence[str],
    compute: Callable[[], object],
    *,
    seconds: float = SECONDS,
    recent: float = 0,
    also: tuple = (),
):
    """``compute()``, from the cache while ``tables`` have the same newest rows (and for at
    most ``seconds``). Within ``recent`` seconds of counting, the entry is used without even
    reading the fingerprint: while a worker writes, the newest rows change every moment.
    ``also``: whatever else the value depends on (a setting), part of the fingerprint."""
    entry = cache.get(key)
    if entry is not None and time.time() - entry["at"] < recent:
        return entry["value"]
    mark = (*also, *newest_ids(tables))
    if entry is not None and entry["mark"] == mark:
        return entry["value"]
    value = compute()
    cache.set(key, {"mark": mark, "at": time.time(), "value": value}, seconds)
    return value
