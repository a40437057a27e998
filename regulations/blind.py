"""Regulation links of provisions, as slugs, for the blind evaluation (comparisons.blind reads
them through this dotted path: regulations sit above comparisons)."""

from __future__ import annotations

from regulations.models import SuggestedLink
from regulations.queries import applicable_by_provision


def link_slugs(provision_ids) -> dict[int, tuple[frozenset[str], frozenset[str]]]:
    """For each provision: the slugs of its applicable regulations (inherited from its clause
    type or added by a curator) and of the worker's suggested ("possibly related") ones."""
    ids = list(provision_ids)
    applicable = applicable_by_provision(ids)
    suggested: dict[int, set[str]] = {pk: set() for pk in ids}
    for provision, slug in SuggestedLink.objects.filter(provision_id__in=ids).values_list(
        "provision_id", "regulation__slug"
    ):
        suggested[provision].add(slug)
    return {
        pk: (
            frozenset(link.regulation.slug for link in applicable.get(pk, [])),
            frozenset(suggested[pk]),
        )
        for pk in ids
    }
