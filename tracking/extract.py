"""A fetched page + its declaration -> the policy text, in the steps Open Terms Archive takes.

Parse with the page URL as base (html5lib: the HTML5 parsing algorithm, as jsdom does), run the
declaration's filters, make link targets absolute, drop ``script``/``style``, delete what
``remove`` matches, keep copies of what ``select`` matches (in selector order; CSS selectors or
OTA's range selectors), convert to Markdown (``tracking.markdown``). A combined document joins
its pages' Markdown with ``- - -`` between them. ``ExtractError`` says why nothing was kept.
"""

from __future__ import annotations

import copy
import io
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote_plus

import ada_url
from bs4 import BeautifulSoup, Tag
from pdfminer.high_level import extract_pages
from pdfminer.layout import LAParams, LTTextContainer
from pdfminer.pdfexceptions import PDFException
from pdfminer.psexceptions import PSException
from soupsieve import SelectorSyntaxError

from tracking.markdown import to_markdown

LINKS_TO_CONVERT = 'a[href]:not([href^="#"]):not([href=""])'
COMBINE_SEPARATOR = "\n\n- - -\n\n"
# OTA's removeQueryParams default list (the PrivacyTests set). Stripped from every page: a new
# tracking id in a link is not a change of policy.
TRACKING_QUERY_PARAMS = frozenset(
    [
        "fbclid",
        "gclid",
        "msclkid",
        "mc_eid",
        "dclid",
        "oly_anon_id",
        "oly_enc_id",
        "_openstat",
        "vero_conv",
        "vero_id",
        "wickedid",
        "yclid",
        "__s",
        "rb_clickid",
        "s_cid",
        "ml_subscriber",
        "ml_subscriber_hash",
        "_hsenc",
        "__hssc",
        "__hstc",
        "__hsfp",
        "hsCtaTracking",
        "mkt_tok",
    ]
)


class ExtractError(Exception):
    """No policy text in the page: the message says which rule found nothing, or why the
    document cannot be read; ``failure`` is a tracking.models.Failure value."""

    def __init__(self, message: str, failure: str = "selector"):
        super().__init__(message)
        self.failure = failure


@dataclass(frozen=True)
class Page:
    url: str  # the declared fetch URL (the base for relative links)
    content: bytes
    content_type: str = "text/html"


# -- URLs (WHATWG, as browsers and jsdom serialise them) -------------------------------------


def resolve_url(href: str, base: str) -> str | None:
    try:
        return ada_url.join_url(base, href)
    except ValueError:
        return None


def _document_base(soup: BeautifulSoup, url: str) -> str:
    base = soup.find("base", href=True)
    return (base and resolve_url(base["href"], url)) or url


def _url_search_params(pairs: list[tuple[str, str]]) -> str:
    """URLSearchParams serialisation: only ``*-._`` and alphanumerics stay literal."""

    def encode(value: str) -> str:
        return quote_plus(value, safe="*").replace("~", "%7E")

    return "&".join(f"{encode(k)}={encode(v)}" for k, v in pairs)


def make_links_absolute(soup: BeautifulSoup, url: str) -> None:
    base = _document_base(soup, url)
    for link in soup.select(LINKS_TO_CONVERT):
        absolute = resolve_url(link["href"], base)
        if absolute is not None:
            link["href"] = absolute


def remove_query_params(soup: BeautifulSoup, url: str, params=TRACKING_QUERY_PARAMS) -> None:
    base = _document_base(soup, url)
    for element in soup.select("a[href], img[src]"):
        attribute = "href" if element.name == "a" else "src"
        absolute = resolve_url(element[attribute], base)
        if absolute is None or "?" not in absolute:
            continue
        parsed = ada_url.URL(absolute)
        pairs = parse_qsl(parsed.search.removeprefix("?"), keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if k not in params]
        if len(kept) != len(pairs):
            parsed.search = _url_search_params(kept)
            element[attribute] = parsed.href


def clean_email_protected_links(soup: BeautifulSoup) -> None:
    """Cloudflare's obfuscated addresses change at each fetch: keep the link, drop the token."""
    for link in soup.select('a[href*="/email-protection"]'):
        replacement = soup.new_tag("a", attrs=dict(link.attrs))
        replacement["href"] = link["href"].split("#")[0]
        replacement.string = "[email\xa0protected]"
        link.replace_with(replacement)


def decode_html(content: bytes, content_type: str) -> str:
    """OTA reads pages as UTF-8 unless the server names another charset."""
    match = re.search(r"charset=[\"']?([\w.:-]+)", content_type or "", re.IGNORECASE)
    try:
        return content.decode(match.group(1) if match else "utf-8", errors="replace")
    except LookupError:
        return content.decode("utf-8", errors="replace")


# -- filters named by declarations -------------------------------------------------------------


def remove_tracking_ids(soup: BeautifulSoup, url: str) -> None:
    """Llama API's filter: each raw href read as a query string, ``h`` deleted, written back."""
    for link in soup.find_all("a", href=True):
        pairs = parse_qsl(link["href"].removeprefix("?"), keep_blank_values=True)
        link["href"] = _url_search_params([(k, v) for k, v in pairs if k != "h"])


def convert_spaces_to_standard(soup: BeautifulSoup, url: str) -> None:
    body = soup.body or soup
    for text in list(body.find_all(string=True)):
        normalized = re.sub(r"[^\S\n\r\t\f\v\x1c-\x1f\x85\u2028\u2029]", " ", str(text))
        if normalized != str(text):
            text.replace_with(normalized)


FILTERS: dict[str, Callable[[BeautifulSoup, str], None]] = {
    "removeTrackingIDs": remove_tracking_ids,
    "removeQueryParams": remove_query_params,
    "convertSpacesToStandard": convert_spaces_to_standard,
}


def unsupported_filters(names: Iterable[str]) -> list[str]:
    return [name for name in names if name not in FILTERS]


# -- selectors -----------------------------------------------------------------------------------


def _select_one(soup: BeautifulSoup, selector: str, rule: dict) -> Tag:
    try:
        node = soup.select_one(selector)
    except SelectorSyntaxError as error:
        raise ExtractError(f"invalid CSS selector {selector!r}: {error}") from None
    if node is None:
        raise ExtractError(f"range selector {rule} has no match for {selector!r}")
    return node


def _boundary(node: Tag, *, after: bool) -> list[int]:
    """A DOM range boundary before/after ``node``: child indexes from the root, then an offset."""
    path = []
    child = node
    while child.parent is not None:
        path.append(_index(child.parent, child))
        child = child.parent
    path.reverse()
    path[-1] += 1 if after else 0
    return path


def _index(parent: Tag, node) -> int:
    return next(i for i, child in enumerate(parent.contents) if child is node)


def _range(soup: BeautifulSoup, rule: dict) -> tuple[list[int], list[int]]:
    start = rule.get("startBefore") or rule.get("startAfter")
    end = rule.get("endBefore") or rule.get("endAfter")
    start_path = _boundary(_select_one(soup, start, rule), after="startBefore" not in rule)
    end_path = _boundary(_select_one(soup, end, rule), after="endBefore" not in rule)
    return start_path, end_path


def _clone_range(node: Tag, start: list[int] | None, end: list[int] | None) -> list:
    """DOM Range.cloneContents between two boundaries below ``node`` (None: its edge)."""
    children = node.contents
    first = start[0] if start else 0
    last = end[0] if end else len(children)
    if start and end and len(start) > 1 and len(end) > 1 and start[0] == end[0]:
        return _clone_range(children[start[0]], start[1:], end[1:])
    clones = []
    for i in range(first, min(last + 1, len(children))):
        child = children[i]
        partial_start = start is not None and len(start) > 1 and i == start[0]
        partial_end = end is not None and len(end) > 1 and i == end[0]
        if partial_start or partial_end:
            shell = copy.copy(child)
            shell.clear()
            for piece in _clone_range(
                child, start[1:] if partial_start else None, end[1:] if partial_end else None
            ):
                shell.append(piece)
            clones.append(shell)
        elif i < last:
            clones.append(copy.copy(child))
    return clones


def _delete_range(soup: BeautifulSoup, start: list[int], end: list[int]) -> None:
    doomed = []
    _collect_range(soup, start, end, doomed)
    for node in doomed:
        node.extract()


def _collect_range(node: Tag, start, end, doomed: list) -> None:
    children = node.contents
    first = start[0] if start else 0
    last = end[0] if end else len(children)
    for i in range(first, min(last + 1, len(children))):
        partial_start = start is not None and len(start) > 1 and i == start[0]
        partial_end = end is not None and len(end) > 1 and i == end[0]
        if partial_start or partial_end:
            _collect_range(
                children[i],
                start[1:] if partial_start else None,
                end[1:] if partial_end else None,
                doomed,
            )
        elif i < last:
            doomed.append(children[i])


def _css(soup: BeautifulSoup, selector: str) -> list[Tag]:
    try:
        return soup.select(selector)
    except SelectorSyntaxError as error:
        raise ExtractError(f"invalid CSS selector {selector!r}: {error}") from None


def remove_matches(soup: BeautifulSoup, selectors: list) -> None:
    # As OTA: ranges are found first, nodes removed next, then the ranges' contents.
    ranges = [_range(soup, s) for s in selectors if isinstance(s, dict)]
    nodes = [n for s in selectors if isinstance(s, str) for n in _css(soup, s)]
    for node in nodes:
        node.extract()
    for start, end in ranges:
        _delete_range(soup, start, end)


def select_matches(soup: BeautifulSoup, selectors: list) -> BeautifulSoup:
    fragment = BeautifulSoup("", "html5lib")
    fragment.clear()
    for selector in selectors:
        if isinstance(selector, dict):
            pieces = _clone_range(soup, *_range(soup, selector))
        else:
            pieces = [copy.copy(node) for node in _css(soup, selector)]
        for piece in pieces:
            fragment.append(piece)
    return fragment


# -- the pipeline ------------------------------------------------------------------------------


def extract_html(
    html: str,
    *,
    url: str,
    select: list | str = (),
    remove: list | str = (),
    filters: Iterable[str] = (),
) -> str:
    soup = BeautifulSoup(html, "html5lib")
    for name in filters:
        if name not in FILTERS:
            raise ExtractError(f"filter {name!r} is not available in Atlas")
        FILTERS[name](soup, url)
    make_links_absolute(soup, url)
    remove_query_params(soup, url)
    for node in soup.find_all(["script", "style"]):
        node.extract()
    clean_email_protected_links(soup)
    remove_matches(soup, [remove] if isinstance(remove, str | dict) else list(remove))
    selectors = [select] if isinstance(select, str | dict) else list(select)
    fragment = select_matches(soup, selectors) if selectors else soup
    if not fragment.contents:
        raise ExtractError(f"the selector {_describe(selectors)} matches nothing on {url}")
    markdown = to_markdown(fragment)
    if not markdown:
        raise ExtractError(f"the selector {_describe(selectors)} matches only empty content")
    return markdown


def _describe(selectors: list) -> str:
    return ", ".join(s if isinstance(s, str) else str(s) for s in selectors) or "(whole page)"


def extract_pdf(
    content: bytes, *, url: str, max_pages: int | None = None, max_seconds: float | None = None
) -> str:
    """The text of a PDF, one paragraph per text box (OTA's pdf.js converter lays it out
    differently: the words match, the line breaks do not).

    ``max_pages`` and ``max_seconds`` bound the work on a PDF from a stranger (the draft
    checker): a few megabytes can hold thousands of pages, or pages slow to lay out. Time is
    checked after each page."""
    boxes = []
    started = time.monotonic()
    # One page past the limit is enough to know it is over.
    maxpages = max_pages + 1 if max_pages is not None else 0
    try:
        for number, page in enumerate(
            extract_pages(io.BytesIO(content), laparams=LAParams(), maxpages=maxpages), start=1
        ):
            if max_pages is not None and number > max_pages:
                raise ExtractError(f"{url}: more than {max_pages} pages", "too_large")
            if max_seconds is not None and time.monotonic() - started > max_seconds:
                raise ExtractError(
                    f"{url}: reading it took more than {max_seconds:g} s (at page {number})",
                    "too_large",
                )
            for element in page:
                if isinstance(element, LTTextContainer):
                    lines = [line.get_text().rstrip() for line in element]
                    if text := "".join(lines).strip():
                        boxes.append(text)
    except (PDFException, PSException, ValueError) as error:
        raise ExtractError(f"{url}: not a readable PDF ({error})", "unsupported") from None
    text = re.sub(r" {2,}", " ", "\n\n".join(boxes))
    text = text.replace("\ufb01", "fi").replace("\ufb02", "fl")  # typographic ligatures
    if not text:
        raise ExtractError(f"{url}: the PDF has no text (scanned images?)", "unsupported")
    return text


def is_pdf(page: Page) -> bool:
    media_type = page.content_type.split(";")[0].strip().lower()
    return media_type == "application/pdf" or page.content.startswith(b"%PDF-")


def extract_document(pages: list[tuple[dict, Page]]) -> str:
    """Markdown of a document from its pages, each with the rules in force for it."""
    parts = []
    for rules, page in pages:
        if is_pdf(page):
            parts.append(extract_pdf(page.content, url=page.url))
            continue
        parts.append(
            extract_html(
                decode_html(page.content, page.content_type),
                url=page.url,
                select=rules.get("select", ()),
                remove=rules.get("remove", ()),
                filters=rules.get("filter", ()),
            )
        )
    return COMBINE_SEPARATOR.join(parts)
