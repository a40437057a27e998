"""Split a policy version (Markdown) into provisions: verbatim character spans with heading paths.

Pure functions, no database. ``split_provisions(text)`` returns ``Segment`` objects whose
``text`` is always exactly ``source[start:end]``: nothing is rewritten, so every provision can
be cited as a span of the hashed version it came from.

What becomes a provision: list items (bulleted or numbered) and prose paragraphs that say
something, and each part of an inline enumeration inside one of them ("(1) … (2) …",
"(i) … (ii) …", "a) … b) …"): a provision of kind ``part``, a span inside its parent clause.
What never does: headings (they become the heading path), short lead-ins that only introduce a
list ("This includes:"), "Updated:/Effective:" stamps, and site chrome (navigation and
link-only lines, images, copyright lines, sign-up forms, and the footer block that Open Terms
Archive captures sometimes carry after the policy body).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache

ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+|$)(.*?)[ \t#]*$")
SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
THEMATIC_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
LIST_ITEM = re.compile(r"^([ \t]*)([*+-]|\d{1,3}[.)])([ \t]+)(?=\S)")
TABLE_ROW = re.compile(r"^\s*\|")
TABLE_SEPARATOR = re.compile(r"^\s*\|?[\s:|-]+\|[\s:|-]*$")
FENCE = re.compile(r"^ {0,3}(```|~~~)")

LINK = re.compile(r"!?\[([^\]]*)\]\((?:[^()\s]|\([^()]*\))*(?:\s+\"[^\"]*\")?\)")
IMAGE = re.compile(r"!\[[^\]]*\]\((?:[^()]|\([^()]*\))*\)")
BARE_URL = re.compile(r"<?https?://\S+>?")
EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)")
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
BOLD_ONLY = re.compile(r"^(\*\*|__)(?P<inner>[^*_].*?)\1[:.]?$", re.DOTALL)

COPYRIGHT = re.compile(r"^(©|\(c\)\s|copyright\b)", re.IGNORECASE)
STAMP = re.compile(
    r"^(\W*)(last\s+)?(updated?|effective|modified|revised|published|version\s+date|date)\b",
    re.IGNORECASE,
)
FORM_CHROME = re.compile(
    r"^(please select|subscribe|sign up|join the mailing list|newsletter|email\\?\*?$|"
    r"skip to|back to top|share (this|on)|cookie (settings|preferences)|your privacy choices|"
    r"download the app|log ?in\b|sign in\b|table of contents$|on this page$)",
    re.IGNORECASE,
)

# A lead-in shorter than this that ends with ':' only introduces the list below it.
LEAD_IN_MAX_WORDS = 12
# A paragraph needs this many words to be a provision (list items need one).
PARAGRAPH_MIN_WORDS = 4

# An inline enumeration marker: "(1)", "(iv)", "(b)", "b)" or "2)" at the start of the clause or
# after a space, colon, semicolon or comma (so "Section 2(a)" and "f(x)" are not markers).
ENUM_MARKER = re.compile(
    r"(?:^|(?<=[\s:;,—]))(\((?P<p>\d{1,2}|[ivxlc]{1,7}|[a-z])\)|(?P<b>\d{1,2}|[a-z])\))(?=\s)"
)
ROMAN = [
    "i",
    "ii",
    "iii",
    "iv",
    "v",
    "vi",
    "vii",
    "viii",
    "ix",
    "x",
    "xi",
    "xii",
    "xiii",
    "xiv",
    "xv",
    "xvi",
    "xvii",
    "xviii",
    "xix",
    "xx",
]
# Fewer parts than this is no enumeration (a lone "(a)" is a reference, not a list).
ENUM_MIN_PARTS = 2
# Words each part needs after its marker.
ENUM_MIN_WORDS = 2


@dataclass(frozen=True)
class Block:
    kind: str  # heading | item | paragraph | row
    start: int
    end: int
    level: int = 0  # heading level; indentation for items


@dataclass(frozen=True)
class Segment:
    """One provision as found in one version's text."""

    start: int
    end: int
    text: str
    kind: str  # item | paragraph | row
    heading_path: tuple[str, ...] = ()
    lead_in: str = ""
    position: int = 0
    normalized: str = field(default="", compare=False)
    text_hash: str = field(default="", compare=False)
    # For an enumerated part of a longer clause ("(ii) …" inside one sentence): the position
    # of the clause it is part of, in the same version. None for a clause of its own.
    parent: int | None = None


def normalize_text(text: str) -> str:
    """The comparison form of a clause: link targets, emphasis and spacing removed.

    Two spans with the same normalized text are the same wording (a changed tracking URL or
    bold marker is not a new wording of a clause).
    """
    text = IMAGE.sub(" ", text)
    text = LINK.sub(lambda m: m.group(1), text)
    text = BARE_URL.sub(" ", text)
    text = EMPHASIS.sub("", text)
    text = text.replace("\\", "")
    return " ".join(text.split())


# The part of a longer clause that introduces one of its enumerated parts, as context.
CONTEXT_MAX_CHARS = 300


def clause_context(
    text: str,
    *,
    start: int,
    lead_in: str = "",
    heading_path=(),
    parent: tuple[int, int] | None = None,
) -> str:
    """What a clause is read under, for classifying it: a short bullet ("illegal pornographic
    content") means little alone.

    An enumerated part is read under the words of its clause before it (``parent``: that
    clause's span in ``text``), an item under its list's lead-in ("You may not:"), anything
    else under its nearest heading. Empty when there is none.
    """
    if parent is not None:
        before = normalize_text(text[parent[0] : start])[-CONTEXT_MAX_CHARS:]
        return before or normalize_text(text[parent[0] : parent[1]])[:CONTEXT_MAX_CHARS]
    if lead_in:
        return normalize_text(lead_in)
    return heading_path[-1] if heading_path else ""


def segment_contexts(text: str, segments: list[Segment]) -> list[str]:
    """``clause_context`` of each of ``split_provisions(text)``'s segments."""
    spans = {s.position: (s.start, s.end) for s in segments}
    return [
        clause_context(
            text,
            start=s.start,
            lead_in=s.lead_in,
            heading_path=s.heading_path,
            parent=spans[s.parent] if s.parent is not None else None,
        )
        for s in segments
    ]


def hash_text(normalized: str) -> str:
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def clean_heading(text: str) -> str:
    return normalize_text(text).strip(" :.#") or text.strip()


def _lines(text: str):
    """Yield (start offset, line without its line break)."""
    offset = 0
    for line in text.splitlines(keepends=True):
        yield offset, line.rstrip("\r\n")
        offset += len(line)


def _content_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def split_blocks(text: str) -> list[Block]:
    """Cut Markdown into headings, list items, table rows and paragraphs, with exact spans."""
    blocks: list[Block] = []
    current: list | None = None  # [kind, start, end, level]
    after_blank = False
    in_fence = False

    def close():
        nonlocal current
        if current is not None:
            kind, start, end, level = current
            end = _content_end(text, start, end)
            if end > start:
                blocks.append(Block(kind, start, end, level))
            current = None

    for offset, line in _lines(text):
        line_end = offset + len(line)
        stripped = line.strip()
        if FENCE.match(line):
            close()
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if not stripped:
            after_blank = True
            if current is not None and current[0] != "item":
                close()
            continue
        indent = len(line) - len(line.lstrip(" \t"))
        setext = SETEXT_UNDERLINE.match(line)
        if setext and current is not None and current[0] == "paragraph" and not after_blank:
            kind, start, end, _ = current
            current = None
            blocks.append(
                Block("heading", start, _content_end(text, start, end), 1 if "=" in line else 2)
            )
            continue
        if THEMATIC_BREAK.match(line):
            close()
            after_blank = False
            continue
        heading = ATX_HEADING.match(line)
        if heading:
            close()
            content_start = offset + heading.start(2)
            blocks.append(
                Block(
                    "heading",
                    content_start,
                    max(content_start, offset + heading.end(2)),
                    len(heading.group(1)),
                )
            )
            after_blank = False
            continue
        item = LIST_ITEM.match(line)
        if item:
            close()
            current = ["item", offset + item.end(), line_end, len(item.group(1))]
            after_blank = False
            continue
        if TABLE_ROW.match(line):
            close()
            if not TABLE_SEPARATOR.match(line):
                blocks.append(Block("row", offset + indent, _content_end(text, offset, line_end)))
            after_blank = False
            continue
        if current is not None and current[0] == "item" and after_blank:
            if indent >= 2:  # a further paragraph of the same list item
                current[2] = line_end
                after_blank = False
                continue
            close()
        if current is None:
            current = ["paragraph", offset + indent, line_end, 0]
        else:
            current[2] = line_end
        after_blank = False
    close()
    return blocks


def _visible_words(text: str) -> list[str]:
    return words(normalize_text(text))


def is_chrome(text: str) -> bool:
    """Site furniture rather than policy: link-only, image-only, copyright, form and menu text."""
    bare = text.strip()
    without_links = LINK.sub("", IMAGE.sub("", bare))
    without_links = BARE_URL.sub("", without_links)
    if not words(without_links):  # only links, images, or punctuation
        return True
    plain = normalize_text(bare)
    if COPYRIGHT.match(plain) or (
        "all rights reserved" in plain.lower() and len(words(plain)) < 20
    ):
        return True
    return bool(FORM_CHROME.match(plain))


def is_stamp(text: str) -> bool:
    plain = normalize_text(text)
    return bool(STAMP.match(plain)) and len(words(plain)) <= 14


def _bold_heading(text: str) -> str | None:
    """A paragraph that is only bold text acts as a heading (common in converted terms)."""
    match = BOLD_ONLY.match(text.strip())
    if not match or "\n" in text.strip():
        return None
    inner = match.group("inner")
    if "**" in inner or len(words(inner)) > 15:
        return None
    return clean_heading(inner)


def _footer_start(flags: list[bool]) -> int:
    """Index where a trailing run of chrome begins (the site footer), or len(flags).

    The footer is the earliest chrome block after which at least four blocks are chrome and at
    most one in ten is not (a marketing blurb between footer menus is footer too).
    """
    n = len(flags)
    start = n
    chrome_after = 0
    other_after = 0
    for i in range(n - 1, -1, -1):
        if flags[i]:
            chrome_after += 1
        else:
            other_after += 1
        if (
            flags[i]
            and chrome_after >= 4
            and other_after <= max(1, (chrome_after + other_after) // 10)
        ):
            start = i
    return start


@dataclass(frozen=True)
class BlockFacts:
    chrome: bool
    normalized: str
    word_count: int
    text_hash: str
    bold_heading: str | None
    stamp: bool


@lru_cache(maxsize=200_000)
def block_facts(raw: str) -> BlockFacts:
    """What the splitter needs to know about one block's text (cached: most blocks recur
    unchanged in every version of a document)."""
    normalized = normalize_text(raw)
    return BlockFacts(
        chrome=is_chrome(raw),
        normalized=normalized,
        word_count=len(words(normalized)),
        text_hash=hash_text(normalized),
        bold_heading=_bold_heading(raw),
        stamp=is_stamp(raw),
    )


def _enum_value(label: str, scheme: str) -> int | None:
    """The 1-based rank of a marker label in a numbering scheme, or None if it isn't one."""
    if scheme == "digit":
        return int(label) if label.isdigit() else None
    if scheme == "roman":
        return ROMAN.index(label) + 1 if label in ROMAN else None
    if len(label) == 1 and label.isalpha():
        return ord(label) - ord("a") + 1
    return None


def enumerated_parts(text: str) -> list[tuple[int, int]]:
    """Spans (relative to ``text``) of the parts of an inline enumeration, or [].

    A clause that packs several rules into one sentence, "(1) … (2) … (3) …", "(i) … (ii) …"
    or "a) … b) …", has one part per marker: from the marker to the next one (the last part
    runs to the end). The markers must count up from the first of their scheme, in one style
    (all parenthesised or all closing-bracket only), so cross-references such as "see (c)" or
    a stray "(i)" never split a clause.
    """
    found = [
        (m.start(), m.group("p") or m.group("b"), "p" if m.group("p") else "b")
        for m in ENUM_MARKER.finditer(text)
    ]
    best: list[int] = []
    for style in ("p", "b"):
        marks = [(start, label) for start, label, st in found if st == style]
        for scheme in ("digit", "roman", "alpha"):
            run: list[int] = []
            expected = 1
            for start, label in marks:
                if _enum_value(label, scheme) == expected:
                    run.append(start)
                    expected += 1
            if len(run) > len(best):
                best = run
    if len(best) < ENUM_MIN_PARTS:
        return []
    parts = []
    for index, start in enumerate(best):
        end = best[index + 1] if index + 1 < len(best) else len(text)
        end = _content_end(text, start, end)
        body = text[start:end].split(")", 1)[1]
        # Every part must say something ("(a) and (b)" is a cross-reference, not a list).
        if len(words(normalize_text(body))) < ENUM_MIN_WORDS:
            return []
        parts.append((start, end))
    return parts


def _parts_of(parent: Segment, text: str) -> list[Segment]:
    """The enumerated parts of a clause, as segments of their own inside its span.

    Each part's lead-in is the clause's text before its first marker (what the parts
    complete), so a part such as "(iii) to harass others" keeps its context.
    """
    spans = enumerated_parts(parent.text)
    if not spans:
        return []
    stem = normalize_text(parent.text[: spans[0][0]])
    parts = []
    for start, end in spans:
        raw = text[parent.start + start : parent.start + end]
        fact = block_facts(raw)
        parts.append(
            Segment(
                start=parent.start + start,
                end=parent.start + end,
                text=raw,
                kind="part",
                heading_path=parent.heading_path,
                lead_in=stem,
                position=parent.position + 1 + len(parts),
                normalized=fact.normalized,
                text_hash=fact.text_hash,
                parent=parent.position,
            )
        )
    return parts


def split_provisions(text: str) -> list[Segment]:
    blocks = split_blocks(text)
    facts = [block_facts(text[b.start : b.end]) for b in blocks]
    chrome = [b.kind != "heading" and f.chrome for b, f in zip(blocks, facts, strict=True)]
    footer = _footer_start([c or b.kind == "heading" for b, c in zip(blocks, chrome, strict=True)])
    headings: list[tuple[int, str]] = []
    segments: list[Segment] = []
    lead_in = ""
    for index, block in enumerate(blocks[:footer]):
        raw = text[block.start : block.end]
        fact = facts[index]
        if block.kind == "heading":
            title = clean_heading(raw)
            headings = [h for h in headings if h[0] < block.level] + [(block.level, title)]
            lead_in = ""
            continue
        if chrome[index]:
            continue
        if block.kind == "paragraph":
            bold = fact.bold_heading
            if bold:
                headings = [h for h in headings if h[0] < 7] + [(7, bold)]
                lead_in = ""
                continue
            if fact.stamp:
                continue
            plain = fact.normalized
            count = fact.word_count
            next_is_item = index + 1 < len(blocks) and blocks[index + 1].kind == "item"
            if plain.endswith(":") and next_is_item:
                lead_in = plain
                if count < LEAD_IN_MAX_WORDS:
                    continue
            elif count < PARAGRAPH_MIN_WORDS:
                continue
            else:
                lead_in = ""
        if block.kind == "item" and fact.stamp:
            continue
        segment = Segment(
            start=block.start,
            end=block.end,
            text=raw,
            kind=block.kind,
            heading_path=tuple(h[1] for h in headings),
            lead_in=lead_in if block.kind == "item" else "",
            position=len(segments),
            normalized=fact.normalized,
            text_hash=fact.text_hash,
        )
        segments.append(segment)
        if block.kind != "row":
            segments.extend(_parts_of(segment, text))
    return segments
