"""HTML -> Markdown exactly as Open Terms Archive writes it (turndown 7.2 + the GFM plugin).

OTA converts with turndown's defaults (setext h1/h2, ``*   `` bullets, ``_em_``, ``**strong**``,
``* * *`` rules, indented code) and joplin-turndown-plugin-gfm (tables, strikethrough), plus one
rule of its own fork: the text inside a link is trimmed. A version stored from a live fetch must
match the Markdown OTA recorded for the same page byte for byte where possible, or the document
would get a spurious version each time the source changes. So this is a port of turndown's
algorithm (whitespace collapsing, flanking whitespace, per-text-node escaping, joining) on top of
markdownify's tag dispatch, quirks included; each quirk copied is marked "turndown:".
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from markdownify import MarkdownConverter

BLOCK = frozenset(
    [
        "address",
        "article",
        "aside",
        "audio",
        "blockquote",
        "body",
        "canvas",
        "center",
        "dd",
        "dir",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "frameset",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "html",
        "isindex",
        "li",
        "main",
        "menu",
        "nav",
        "noframes",
        "noscript",
        "ol",
        "output",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "command",
        "embed",
        "hr",
        "img",
        "input",
        "keygen",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
MEANINGFUL_WHEN_BLANK = frozenset(
    ["a", "table", "thead", "tbody", "tfoot", "th", "td", "iframe", "script", "audio", "video"]
)

# turndown's escapes, applied to each text node separately (so ``^`` is the start of the node).
ESCAPES = [
    (re.compile(r"\\"), r"\\\\"),
    (re.compile(r"\*"), r"\\*"),
    (re.compile(r"^-"), r"\\-"),
    (re.compile(r"^\+ "), r"\\+ "),
    (re.compile(r"^(=+)"), r"\\\1"),
    (re.compile(r"^(#{1,6}) "), r"\\\1 "),
    (re.compile(r"`"), r"\\`"),
    (re.compile(r"^~~~"), r"\\~~~"),
    (re.compile(r"\["), r"\\["),
    (re.compile(r"\]"), r"\\]"),
    (re.compile(r"^>"), r"\\>"),
    (re.compile(r"_"), r"\\_"),
    (re.compile(r"^(\d+)\. "), r"\1\\. "),
]
# JavaScript's \s: ASCII whitespace plus the Unicode spaces Python's \s also matches.
EDGES = re.compile(r"^(([ \t\r\n]*)(\s*))(?:(?=\S)[\s\S]*\S)?((\s*?)([ \t\r\n]*))$")
ALIGN = {"left": ":---", "right": "---:", "center": ":---:"}


def escape(text: str) -> str:
    for pattern, replacement in ESCAPES:
        text = pattern.sub(replacement, text)
    return text


def is_block(node) -> bool:
    return isinstance(node, Tag) and node.name in BLOCK


def text_content(node) -> str:
    if isinstance(node, Tag):
        return "".join(node.strings) if node.name != "template" else ""
    return str(node)


def utf16_len(text: str) -> int:
    """turndown underlines setext headings with ``content.length``: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


# -- whitespace, as turndown's collapse-whitespace does it before converting ----------------


def _next(prev, current, root):
    if (prev is not None and prev.parent is current) or _is_pre(current):
        return current.next_sibling or current.parent
    if isinstance(current, Tag) and current.contents:
        return current.contents[0]
    return current.next_sibling or current.parent


def _is_pre(node) -> bool:
    return isinstance(node, Tag) and node.name == "pre"


def _remove(node):
    following = node.next_sibling or node.parent
    node.extract()
    return following


def collapse_whitespace(root: Tag) -> None:
    if not root.contents or _is_pre(root):
        return
    prev_text = None
    keep_leading = False
    prev = None
    node = _next(None, root, root)
    while node is not root:
        if isinstance(node, NavigableString) and not isinstance(node, Comment):
            text = re.sub(r"[ \r\n\t]+", " ", str(node))
            if (
                (prev_text is None or str(prev_text).endswith(" "))
                and not keep_leading
                and text.startswith(" ")
            ):
                text = text[1:]
            if not text:
                node = _remove(node)
                continue
            node = _set_text(node, text)
            prev_text = node
        elif isinstance(node, Tag):
            if node.name in BLOCK or node.name == "br":
                if prev_text is not None:
                    # turndown: the trailing space goes, but the (maybe empty) node stays.
                    _set_text(prev_text, re.sub(r" $", "", str(prev_text)))
                prev_text = None
                keep_leading = False
            elif node.name in VOID or _is_pre(node):
                prev_text = None
                keep_leading = True
            elif prev_text is not None:
                keep_leading = False
        else:
            node = _remove(node)
            continue
        following = _next(prev, node, root)
        prev = node
        node = following
    if prev_text is not None:
        text = re.sub(r" $", "", str(prev_text))
        if text:
            _set_text(prev_text, text)
        else:
            prev_text.extract()


def _set_text(node: NavigableString, text: str) -> NavigableString:
    if str(node) == text:
        return node
    replacement = NavigableString(text)
    node.replace_with(replacement)
    return replacement


# -- conversion -----------------------------------------------------------------------------


def _join(output: str, replacement: str) -> str:
    head = output.rstrip("\n")
    tail = replacement.lstrip("\n")
    newlines = max(len(output) - len(head), len(replacement) - len(tail))
    return head + "\n\n"[:newlines] + tail


def _has_descendant(node: Tag, names: frozenset) -> bool:
    return node.find(lambda t: t.name in names) is not None


def is_blank(node: Tag) -> bool:
    return (
        node.name not in VOID
        and node.name not in MEANINGFUL_WHEN_BLANK
        and not text_content(node).strip()
        and not _has_descendant(node, VOID)
        and not _has_descendant(node, MEANINGFUL_WHEN_BLANK)
    )


def _flanked(node, *, left: bool) -> bool:
    sibling = node.previous_sibling if left else node.next_sibling
    if sibling is None:
        return False
    if isinstance(sibling, NavigableString):
        value = str(sibling)
        return value.endswith(" ") if left else value.startswith(" ")
    if isinstance(sibling, Tag) and sibling.name not in BLOCK:
        value = text_content(sibling)
        return value.endswith(" ") if left else value.startswith(" ")
    return False


def flanking_whitespace(node: Tag) -> tuple[str, str]:
    if node.name in BLOCK:
        return "", ""
    match = EDGES.match(text_content(node))
    leading, leading_ascii, leading_other = match.group(1), match.group(2), match.group(3)
    trailing, trailing_other, trailing_ascii = match.group(4), match.group(5), match.group(6)
    if leading_ascii and _flanked(node, left=True):
        leading = leading_other
    if trailing_ascii and _flanked(node, left=False):
        trailing = trailing_other
    return leading, trailing


def _in_code(node) -> bool:
    return any(getattr(p, "name", None) == "code" for p in [node, *node.parents])


class TurndownConverter(MarkdownConverter):
    """markdownify's dispatch (``convert_<tag>``) with turndown's rules and whitespace."""

    def convert_soup(self, soup):
        collapse_whitespace(soup)
        text = self.process_children(soup)
        return re.sub(r"[\t\r\n\s]+$", "", re.sub(r"^[\t\r\n]+", "", text))

    def process_children(self, node: Tag) -> str:
        output = ""
        for child in list(node.children):
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                value = str(child)
                replacement = value if _in_code(child.parent) else escape(value)
            elif isinstance(child, Tag):
                replacement = self.process_tag(child)
            else:
                continue
            output = _join(output, replacement)
        return output

    def process_tag(self, node, parent_tags=None):
        content = self.process_children(node)
        leading, trailing = flanking_whitespace(node)
        if leading or trailing:
            content = content.strip()
        if is_blank(node):
            return leading + ("\n\n" if node.name in BLOCK else "") + trailing
        convert = self.get_conv_fn_cached(node.name)
        replacement = convert(node, content) if convert else self.convert_default(node, content)
        return leading + replacement + trailing

    def get_conv_fn(self, tag_name):
        name = "convert_" + re.sub(r"[\[\]:-]", "_", tag_name)
        # Only turndown's rules below: markdownify's own ones follow other conventions.
        if getattr(type(self), name, None) is getattr(MarkdownConverter, name, None):
            return None
        return getattr(self, name)

    # -- turndown's CommonMark rules ------------------------------------------------------

    def convert_default(self, node, content):
        return f"\n\n{content}\n\n" if node.name in BLOCK else content

    def convert_p(self, node, content):
        return f"\n\n{content}\n\n"

    def convert_br(self, node, content):
        return "  \n"

    def convert_heading(self, node, content):
        level = int(node.name[1])
        if level < 3:
            underline = ("=" if level == 1 else "-") * utf16_len(content)
            return f"\n\n{content}\n{underline}\n\n"
        return f"\n\n{'#' * level} {content}\n\n"

    convert_h1 = convert_h2 = convert_h3 = convert_h4 = convert_h5 = convert_h6 = convert_heading

    def convert_blockquote(self, node, content):
        content = re.sub(r"^\n+|\n+$", "", content)
        content = re.sub(r"^", "> ", content, flags=re.MULTILINE)
        return f"\n\n{content}\n\n"

    def convert_list(self, node, content):
        parent = node.parent
        if parent is not None and parent.name == "li" and _last_element(parent) is node:
            return "\n" + content
        return f"\n\n{content}\n\n"

    convert_ul = convert_ol = convert_list

    def convert_li(self, node, content):
        prefix = "*   "
        parent = node.parent
        if parent is not None and parent.name == "ol":
            start = parent.get("start")
            index = _element_index(parent, node)
            try:
                number = int(start) + index if start else index + 1
            except ValueError:
                number = index + 1
            prefix = f"{number}.  "
        content = re.sub(r"^\n+", "", content)
        content = re.sub(r"\n+$", "\n", content)
        content = content.replace("\n", "\n" + " " * len(prefix))
        needs_newline = node.next_sibling is not None and not content.endswith("\n")
        return prefix + content + ("\n" if needs_newline else "")

    def convert_pre(self, node, content):
        first = node.contents[0] if node.contents else None
        if isinstance(first, Tag) and first.name == "code":
            code = text_content(first).replace("\n", "\n    ")
            return f"\n\n    {code}\n\n"
        return f"\n\n{content}\n\n"

    def convert_hr(self, node, content):
        return "\n\n* * *\n\n"

    def convert_a(self, node, content):
        href = node.get("href")
        if not href:
            return content
        href = re.sub(r"([()])", r"\\\1", href)
        title = _clean_attribute(node.get("title"))
        if title:
            title = ' "' + title.replace('"', '\\"') + '"'
        # OTA's turndown fork: the link text is trimmed.
        return f"[{content.strip()}]({href}{title})"

    def convert_em(self, node, content):
        return f"_{content}_" if content.strip() else ""

    convert_i = convert_em

    def convert_strong(self, node, content):
        return f"**{content}**" if content.strip() else ""

    convert_b = convert_strong

    def convert_code(self, node, content):
        parent = node.parent
        has_siblings = node.previous_sibling is not None or node.next_sibling is not None
        if parent is not None and parent.name == "pre" and not has_siblings:
            return content
        if not content:
            return ""
        content = re.sub(r"\r?\n|\r", " ", content)
        extra = " " if re.search(r"^`|^ .*?[^ ].* $|`$", content) else ""
        delimiter = "`"
        runs = re.findall(r"`+", content)
        while delimiter in runs:
            delimiter += "`"
        return f"{delimiter}{extra}{content}{extra}{delimiter}"

    def convert_img(self, node, content):
        alt = _clean_attribute(node.get("alt"))
        src = node.get("src") or ""
        title = _clean_attribute(node.get("title"))
        title_part = f' "{title}"' if title else ""
        return f"![{alt}]({src}{title_part})" if src else ""

    # -- GFM plugin (joplin-turndown-plugin-gfm 1.0.12) ------------------------------------

    def convert_del(self, node, content):
        return f"~~{content}~~"

    convert_s = convert_strike = convert_del

    def convert_table_section(self, node, content):
        return content

    convert_thead = convert_tbody = convert_tfoot = convert_table_section

    def convert_cell(self, node, content):
        if _skip_table(_parent_table(node)):
            return content
        return _cell(content, node)

    convert_td = convert_th = convert_cell

    def convert_tr(self, node, content):
        table = _parent_table(node)
        if _skip_table(table):
            return content
        border = ""
        if _is_heading_row(node):
            count = _column_count(table)
            for i in range(count):
                child = node.contents[i] if count < len(node.contents) else None
                mark = "---"
                align = (child.get("align") or "").lower() if isinstance(child, Tag) else ""
                if align:
                    mark = ALIGN.get(align, mark)
                border += _cell(mark, child, None if child is not None else i)
        return "\n" + content + ("\n" + border if border else "")

    def convert_table(self, node, content):
        if _skip_table(node):
            return content
        content = re.sub(r"\n+", "\n", content)
        lines = content.strip().split("\n")
        second = lines[1] if len(lines) >= 2 else lines
        divider = isinstance(second, str) and second.startswith("| ---")
        columns = _column_count(node)
        header = ""
        if columns and not divider:
            header = "|" + "     |" * columns + "\n" + "|" + " --- |" * columns
        return f"\n\n{header}{content}\n\n"


def _clean_attribute(value) -> str:
    if isinstance(value, list):  # bs4 splits class-like attributes
        value = " ".join(value)
    return re.sub(r"(\n+\s*)+", "\n", value) if value else ""


def _last_element(node: Tag):
    elements = [c for c in node.contents if isinstance(c, Tag)]
    return elements[-1] if elements else None


def _index(parent: Tag, node) -> int:
    """Position by identity (bs4 compares equal-looking nodes as equal)."""
    return next(i for i, child in enumerate(parent.contents) if child is node)


def _element_index(parent: Tag, node: Tag) -> int:
    elements = [c for c in parent.contents if isinstance(c, Tag)]
    return next(i for i, child in enumerate(elements) if child is node)


def _parent_table(node: Tag):
    return node.find_parent("table")


def _rows(table: Tag) -> list[Tag]:
    """HTMLTableElement.rows: rows of the table itself, its thead, tbodies and tfoot."""
    rows = []
    for child in table.children:
        if isinstance(child, Tag):
            if child.name == "tr":
                rows.append(child)
            elif child.name in ("thead", "tbody", "tfoot"):
                rows.extend(c for c in child.children if isinstance(c, Tag) and c.name == "tr")
    return rows


def _skip_table(table) -> bool:
    if table is None:
        return True
    rows = _rows(table)
    if not rows:
        return False  # turndown: ``table.rows`` is an (empty, truthy) collection
    if len(rows) == 1 and len(rows[0].contents) <= 1:
        return True
    return table.find("table") is not None


def _column_count(table: Tag) -> int:
    return max((len(row.contents) for row in _rows(table)), default=0)


def _is_first_tbody(node: Tag) -> bool:
    if node.name != "tbody":
        return False
    previous = node.previous_sibling
    if previous is None:
        return True
    is_thead = isinstance(previous, Tag) and previous.name == "thead"
    return is_thead and not text_content(previous).strip()


def _is_heading_row(row: Tag) -> bool:
    parent = row.parent
    if parent.name == "thead":
        return True
    return (
        parent.contents[0] is row
        and (parent.name == "table" or _is_first_tbody(parent))
        and all(isinstance(c, Tag) and c.name == "th" for c in row.contents)
    )


def _cell(content: str, node, index=None) -> str:
    if index is None:
        index = _index(node.parent, node)
    prefix = "| " if index == 0 else " "
    text = content.strip().replace("\n\r", "<br>").replace("\n", "<br>")
    text = re.sub(r"\|+", r"\\|", text)
    text = text.ljust(3)
    if node is not None:
        try:
            span = int(node.get("colspan") or 1)
        except ValueError:
            span = 1
        text += " |    " * max(0, span - 1)
    return prefix + text + " |"


def to_markdown(root: Tag | BeautifulSoup) -> str:
    """Markdown of ``root``'s children; ``root`` is modified (whitespace collapsed)."""
    return TurndownConverter().convert_soup(root)
