"""Which text of each document a reader reads: the main one, or a regional variant.

A document can hold several texts (variants), each with its own history: the EU text of a
policy and its global text. A list or a comparison that reads "every text" counts a clause
present in both twice; one that reads the main texts misses what only the EU text says. So
the lists that counts open, and the compare columns, name the texts they read:

- ``MAIN``: each document's main (primary) text, the one its page shows;
- a variant key (``eu-en``; ``default`` for the undeclared text): each document's text of
  that variant, and the main text of a document that has no such variant. A column reads the
  platform as a reader of that region would find it, and says how many documents had no text
  of their own for it (``Texts.fallback``).

No choice at all reads every text, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q

from provisions.models import VARIANT_KEY, Platform, Variant

MAIN = "main"
# The variant key "" is spelled "default" in addresses (``Variant.slug``).
UNDECLARED = "default"
CHOICE = re.compile(rf"\A(?:{VARIANT_KEY})\Z")


class UnknownText(ValueError):
    """A text choice that no variant of the platform has, or that is malformed."""


def parse_choice(value: str) -> str:
    """``main``, ``default`` or a variant key, lower-cased; anything else raises."""
    value = (value or "").strip().lower()
    if not CHOICE.match(value) or len(value) > 40:
        raise UnknownText(
            f"Not a text: {value[:60]!r} (main, default, or a variant key such as eu-en)."
        )
    return value


def _key(choice: str) -> str:
    return "" if choice == UNDECLARED else choice


def read_in(provisions, choice: str | None, *, prefix: str = ""):
    """``provisions`` (a queryset of Provision, or of a model reaching it through ``prefix``,
    such as ``"provision__"`` on assignments) narrowed to the texts ``choice`` reads; ``None``
    keeps every text."""
    if choice is None:
        return provisions
    main = Q(**{f"{prefix}variant_id": F(f"{prefix}document__latest_version__variant_id")})
    if choice == MAIN:
        return provisions.filter(main)
    key = _key(choice)
    has_own = Variant.objects.filter(document_id=OuterRef(f"{prefix}document_id"), key=key)
    return provisions.filter(Q(**{f"{prefix}variant__key": key}) | (main & ~Exists(has_own)))


@dataclass(frozen=True)
class Texts:
    """A compare column: a platform read in one text of each of its documents."""

    platform: Platform
    choice: str  # MAIN or a variant key ("default" for the undeclared one)
    label: str = ""  # the variant's label ("EU, en"); "" for the main texts
    own: int = 0  # documents read in that variant's own text
    fallback: int = 0  # documents without it, read in their main text

    @property
    def token(self) -> str:
        """How the column is written in an address: ``openai`` or ``openai:eu-en``."""
        return self.platform.slug if self.choice == MAIN else f"{self.platform.slug}:{self.choice}"

    @property
    def name(self) -> str:
        """``OpenAI`` or ``OpenAI (EU, en text)``."""
        return self.platform.name if not self.label else f"{self.platform.name} ({self.label} text)"

    @property
    def slug(self) -> str:
        """The platform's slug (two columns of one platform share it; ``token`` differs)."""
        return self.platform.slug

    @property
    def pk(self):
        """Columns are told apart by platform and text (one platform can be read twice)."""
        return (self.platform.pk, self.choice)

    def get_absolute_url(self) -> str:
        return self.platform.get_absolute_url()


def other_texts(platforms) -> dict[int, list[tuple[str, str]]]:
    """Platform id -> the (choice, label) of each variant its documents hold besides their
    main texts, for the compare picker: one query."""
    rows = (
        Variant.objects.filter(document__platform__in=platforms)
        .exclude(pk=F("document__latest_version__variant_id"))
        .values_list("document__platform_id", "key", "region", "language")
        .distinct()
        .order_by("document__platform_id", "key")
    )
    by_platform: dict[int, list[tuple]] = {}
    for platform_id, *variant in rows:
        by_platform.setdefault(platform_id, []).append(variant)
    return {platform_id: _choices(variants) for platform_id, variants in by_platform.items()}


def _choices(variants) -> list[tuple[str, str]]:
    """(choice, label) for (key, region, language) rows, once per choice, in their order."""
    choices = {}
    for key, region, language in variants:
        choices.setdefault(key or UNDECLARED, Variant(region=region, language=language).label)
    return list(choices.items())


def text_choices() -> list[tuple[str, str]]:
    """(choice, what it reads) for the lists' "Texts" filter: the main texts, then each
    declared variant held anywhere. One query."""
    rows = (
        Variant.objects.values_list("key", "region", "language")
        .distinct()
        .order_by("key", "region", "language")
    )
    return [(MAIN, "Each document's main text")] + [
        (choice, f"Each document's {label} text, or its main text if none")
        for choice, label in _choices(rows)
    ]


def texts_of(platform: Platform, choice: str) -> Texts:
    """The column reading ``platform`` in ``choice``; UnknownText where none of its
    documents has that variant (a column of main texts alone must not be labelled EU)."""
    if choice == MAIN:
        return Texts(platform, MAIN)
    variants = list(
        Variant.objects.filter(document__platform=platform, key=_key(choice)).only(
            "key", "region", "language"
        )
    )
    if not variants:
        raise UnknownText(f"{platform.name} has no {choice} text.")
    documents = platform.documents.filter(latest_version__isnull=False).count()
    own = len({v.document_id for v in variants})
    return Texts(platform, choice, variants[0].label, own=own, fallback=max(documents - own, 0))


def parse_column(token: str) -> tuple[str, str]:
    """``openai`` -> ("openai", MAIN); ``openai:eu-en`` -> ("openai", "eu-en"). The text part
    is checked (UnknownText); the platform is looked up by the caller."""
    slug, _, choice = token.strip().partition(":")
    return slug.strip(), parse_choice(choice) if choice else MAIN
