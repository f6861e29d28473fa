"""readers: an issue's text in any of its forms -> `Block`s (pure).

Plain text (flattened to one line, or paragraphs on their own lines, or hard-wrapped
e-mail text), Markdown, and HTML (read with the standard library's HTML parser); a
saved e-mail gives its HTML or text part (`read_email`). A block is a paragraph or a
heading; links found in Markdown and HTML are kept as spans of the block's text, so
that an item whose title is a link keeps its URL.
"""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from typing import Literal

Format = Literal["text", "markdown", "html"]


@dataclass(frozen=True)
class Block:
    """A paragraph, or a heading (`level` 1..6) where the input form marks one."""

    text: str
    level: int | None = None
    links: tuple[tuple[int, int, str], ...] = ()
    list_item: bool = False  # a bullet or numbered line: never a heading
    lead: int = 0  # the length of the bold text that opens it ("**Title.** Text"), if any
    row: bool = False  # a table's row, its cells joined ("GPT-4o, 72.6%.")


def squash(text: str) -> str:
    """Collapse runs of whitespace to one space and strip the ends.

    >>> squash("  a\\t b\\n c ")
    'a b c'
    """
    return re.sub(r"\s+", " ", text).strip()


def detect_format(text: str, suffix: str) -> Format:
    """The form of an issue: from its file suffix, sniffing `.txt` files that are not plain.

    >>> detect_format("# Title\\n\\nText", ".txt")
    'markdown'
    >>> detect_format("<!DOCTYPE html><html><body>x</body></html>", ".txt")
    'html'
    >>> detect_format("Highlights Some text (A B): x", ".txt")
    'text'
    """
    suffix = suffix.lower()
    if suffix in (".html", ".htm"):
        return "html"
    if suffix in (".md", ".markdown"):
        return "markdown"
    head = text[:4000].lstrip()
    if (
        re.match(r"(?i)<!doctype html|<html[\s>]", head)
        or len(re.findall(r"(?i)</(?:p|div|h[1-6]|li|a|td)>", head)) >= 3
    ):
        return "html"
    headings = re.findall(r"(?m)^#{1,6} \S", text[:20000])
    links = re.findall(r"\[[^\]\n]+\]\((?:https?://|/|#)[^)\s]*\)", text[:20000])
    return "markdown" if headings or len(links) >= 2 else "text"


def read_email(data: bytes) -> tuple[str, Format]:
    """The newsletter in a saved e-mail (an `.eml` file) and its form: the HTML part, or
    else the plain-text one, decoded; the subject is the HTML's title when it has none,
    or the text's first line. ValueError when the e-mail has neither part."""
    import email
    import email.policy

    if b"\x00" in data[:8192]:
        raise ValueError("not an e-mail (it contains NUL bytes)")
    message = email.message_from_bytes(data, policy=email.policy.default)
    body = message.get_body(preferencelist=("html", "plain"))
    if body is None:
        raise ValueError("an e-mail with no text or HTML part to read")
    try:
        text = body.get_content()
    except (LookupError, UnicodeError) as e:
        raise ValueError(f"its {body.get_content_type()} part cannot be decoded ({e})") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    subject = squash(str(message.get("subject") or ""))
    if body.get_content_type() == "text/html":
        if subject and not re.search(r"(?i)<title[^>]*>\s*[^\s<]", text):
            text = f"<title>{html.escape(subject)}</title>\n{text}"
        return text, "html"
    text = f"{subject}\n\n{text}" if subject else text
    return text, detect_format(text, ".txt")


def email_sent(data: bytes) -> datetime.datetime | None:
    """When a saved e-mail was sent (its Date header, in UTC when it names no zone);
    None when it has no date that can be read."""
    import email.parser
    import email.policy

    try:
        headers = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(data)
        sent = getattr(headers["date"], "datetime", None)
    except (ValueError, TypeError, IndexError):
        return None
    if sent is None:
        return None
    return sent if sent.tzinfo else sent.replace(tzinfo=datetime.UTC)


# Terminal escape sequences (colours, titles), line and page breaks other than "\n",
# and the control characters that remain: none of them is text to read aloud.
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b\n]{0,256}(?:\x07|\x1b\\)|[@-_])?")
_BREAKS = re.compile(r"\r\n?|[\v\f\x1c-\x1e\x85\u2028\u2029]")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufeff\ufffe\uffff]")


def strip_controls(text: str) -> str:
    """`text` without control characters and terminal escapes; other line breaks become "\\n".

    >>> strip_controls("a\\x07b \\x1b[31mred\\x1b[0m\\fpage")
    'ab red\\npage'
    """
    return _CONTROLS.sub("", _BREAKS.sub("\n", _ESCAPES.sub("", text)))


def read_blocks(text: str, fmt: Format) -> list[Block]:
    """The blocks of an issue in the given form (control characters removed first)."""
    text = strip_controls(text)
    if fmt == "html":
        return read_html(text)
    if fmt == "markdown":
        return read_markdown(text)
    return read_plain(text)


# --------------------------------------------------------------------------- plain text

_BULLET = re.compile(r"^(?:[-*•·▪–]|\d{1,2}[.)])\s+")


def read_plain(text: str) -> list[Block]:
    """Paragraphs of plain text: blank-line separated, or one per line.

    Hard-wrapped lines (e-mail text) are joined; bullet lines and lines that stand
    alone (headings) stay blocks of their own.
    """
    blocks: list[Block] = []
    for lines in _chunks(text):
        if len(lines) == 1 and (m := _DECORATED_HEADING.fullmatch(lines[0])):
            blocks.append(Block(m["name"] or m["name2"], level=2))  # "// Favorites", "== News =="
            continue
        lines = _with_links_under(lines)
        if _heads_a_list(lines):
            blocks.append(Block(lines.pop(0)))  # "QUICK HITS" over its bullets
        if _is_list(lines):
            blocks.extend(Block(_BULLET.sub("", line), list_item=True) for line in lines)
            continue
        for paragraph in _paragraphs_of_chunk(lines):
            bullet = _BULLET.match(paragraph)
            block = _linked_line(paragraph[bullet.end() :] if bullet else paragraph)
            blocks.append(replace(block, list_item=True) if bullet else block)
    return blocks


# A line of a plain-text e-mail that stands alone: Mailchimp marks its headings and
# linked titles so ("** TOP STORIES", "** Title (https://...)").
_MARKED_LINE = re.compile(r"^\*\* +(?=\S)")
# A line that is a link's text and its address: "Title (https://example.org/a)".
_LINKED_LINE = re.compile(r"(?P<text>[^()]{1,150}?)\s+\((?P<url>https?://[^\s()]+)\)")


# A heading that a plain-text e-mail marks with rules or slashes: "// Favorites",
# "== News ==", "--- Jobs ---".
_DECORATED_HEADING = re.compile(
    r"//+\s*(?P<name>[^/\s][^/]{0,58}?)\s*/*|(?P<rule>={2,}|-{2,})\s*(?P<name2>[^=-].{0,58}?)\s*(?P=rule)"
)
# A line that is only a link's address, maybe with a note: "https://x.org (comments)".
_URL_LINE = re.compile(r"(?P<url>https?://\S+)(?:\s+\([^()]{0,200}\))?")


def _chunks(text: str) -> Iterator[list[str]]:
    """The lines of each blank-line separated chunk of plain text, whitespace squashed;
    a line marked "** " is a chunk of its own, its mark dropped, and so is a heading
    marked with rules or slashes ("// Favorites")."""
    for chunk in re.split(r"\n\s*\n", text):
        lines: list[str] = []
        for line in (squash(raw) for raw in chunk.splitlines()):
            if (m := _MARKED_LINE.match(line)) or _DECORATED_HEADING.fullmatch(line):
                if lines:
                    yield lines
                yield [line[m.end() :] if m else line]
                lines = []
            elif line:
                lines.append(line)
        if lines:
            yield lines


def _with_links_under(lines: list[str]) -> list[str]:
    """`lines` with a line that is only an address joined to the line above it, as a
    link's text and address are written ("Title (https://...)"); a note after the
    address ("(comments)") is left out."""
    joined: list[str] = []
    for line in lines:
        m = _URL_LINE.fullmatch(line)
        if m and joined and not _URL_LINE.fullmatch(joined[-1]) and "(" not in joined[-1]:
            joined[-1] = f"{joined[-1]} ({m['url']})"
        else:
            joined.append(line)
    return joined


def _linked_line(text: str) -> Block:
    """A paragraph, with its link when it is a link's text and address, as a plain-text
    e-mail writes a link ("Title (https://...)")."""
    if m := _LINKED_LINE.fullmatch(text):
        return Block(m["text"], links=((0, len(m["text"]), m["url"]),))
    return Block(text)


def _heads_a_list(lines: list[str]) -> bool:
    """Whether the first line, with no bullet, heads the bulleted lines under it."""
    return (
        len(lines) >= 2
        and not _BULLET.match(lines[0])
        and _looks_standalone(lines[0])
        and all(_BULLET.match(line) for line in lines[1:])
    )


def _is_list(lines: list[str]) -> bool:
    """Three or more short lines that each start a new phrase: a list (bullets lost).

    Wrapped prose has lines that go on in lower case; a list's lines each start anew.
    """
    return (
        len(lines) >= 3
        and all(len(line) <= 100 for line in lines)
        and all(line[0].isupper() or line[0].isdigit() or _BULLET.match(line) for line in lines)
    )


def _paragraphs_of_chunk(lines: list[str]) -> Iterator[str]:
    if not lines:
        return
    if len(lines) == 1 or any(len(line) > 100 for line in lines[:-1]):
        yield from lines
        return
    current: list[str] = []
    for line in lines:
        starts_new = _BULLET.match(line) or (current and _looks_standalone(current[-1]))
        if starts_new and current:
            yield " ".join(current)
            current = []
        current.append(line)
    if current:
        yield " ".join(current)


def _looks_standalone(line: str) -> bool:
    """A short line that ends without punctuation, or with a colon: a heading or a
    lead-in ("Tech Tales:"), not a wrapped line."""
    if len(line) >= 40:
        return False
    return line.endswith(":") or not re.search(r"[,;.\-–]$|\b(?:a|an|the|and|of|to|in)$", line)


# --------------------------------------------------------------------------- markdown

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
# A "# ..." line with more text than this is a paragraph (a file flattened to one line).
_MAX_HEADING_CHARS = 300
_MD_SETEXT = re.compile(r"^(=+|-+)\s*$")
_MD_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$")
_MD_FENCE = re.compile(r"^(`{3,}|~{3,})")
_MD_TABLE_ROW = re.compile(r"^\|.*\|$")
_MD_TABLE_RULE = re.compile(r"^\|[\s:|-]*-[\s:|-]*\|$")
_MD_LIST = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_MD_TASK = re.compile(r"^\[[ xX]\]\s+")  # a task list's box: "- [x] done"
_MD_LINK = re.compile(r"!?\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_MD_REF_LINK = re.compile(r"\[([^\]]+)\]\[([^\]]*)\]")
# A reference link's definition: "[ruff]: https://github.com/astral-sh/ruff "Ruff"".
_MD_REF_DEFINITION = re.compile(
    r"^\s{0,3}\[(?P<label>[^\]]+)\]:\s*<?(?P<url>[^\s>]+)>?(?:\s+[\"'(].*[\"')])?\s*$"
)
_MD_BOLD_LEAD = re.compile(r"\s*(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_EMPHASIS = re.compile(
    r"(\*\*|\*|~~)(?=\S)(.+?)(?<=\S)\1|(?<!\w)(__|_)(?=\S)(.+?)(?<=\S)\3(?!\w)"
)


# What is read in place of a code block: code read aloud is noise.
CODE_NOTE = "There is a code example in the written issue."


def read_markdown(text: str) -> list[Block]:
    """Blocks of a Markdown issue: ATX and setext headings, paragraphs, list items, and
    table rows (each a line of its own, its cells joined by commas, as a list item); a
    fenced code block is CODE_NOTE; reference links ("[Ruff][ruff]") are resolved; a
    footnote ("[^1]") is read after the paragraph that refers to it ("Footnote: ..."); HTML
    comments and a static site's metadata (YAML front matter, or Pelican's "Title:",
    "Date:" lines) are not read, but its title is the title heading."""
    blocks: list[Block] = []
    paragraph: list[str] = []
    in_item = False

    def flush() -> None:
        if paragraph:
            joined = " ".join(paragraph)
            block = _markdown_inline(_MD_FOOTNOTE_REF.sub("", joined))
            if block.text:
                blocks.append(replace(block, list_item=in_item))
            for label in _MD_FOOTNOTE_REF.findall(joined):  # read where it is referred to
                note = _markdown_inline(notes.pop(label.casefold(), ""))
                if note.text:
                    blocks.append(_footnote(note))
            paragraph.clear()

    text = re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)
    title, lines = _front_matter(text.split("\n"))
    notes, lines = _footnotes(lines)
    references = {
        m["label"].casefold(): m["url"] for m in map(_MD_REF_DEFINITION.match, lines) if m
    }

    def resolve(m: re.Match) -> str:  # "[Ruff][ruff]" -> "[Ruff](https://...)"
        url = references.get((m[2] or m[1]).casefold())
        return f"[{m[1]}]({url})" if url else m[1]

    fence: str | None = None  # the "```" or "~~~" of the code block we are in
    for i, raw in enumerate(lines):
        if fence is None and _MD_REF_DEFINITION.match(raw):
            continue  # a reference link's URL: not text
        line = _MD_REF_LINK.sub(resolve, raw.rstrip())
        stripped = re.sub(r"^\s{0,3}>\s?", "", line).strip()  # block quotes
        if fence is not None:
            if stripped.startswith(fence):
                fence = None
        elif opening := _MD_FENCE.match(stripped):
            flush()
            fence = opening.group(1)
            blocks.append(Block(CODE_NOTE))
        elif heading := _MD_HEADING.match(stripped):
            flush()
            block = _markdown_inline(heading.group(2))
            if block.text:
                level = len(heading.group(1)) if len(block.text) <= _MAX_HEADING_CHARS else None
                blocks.append(Block(block.text, level, block.links))
        elif paragraph and len(paragraph) == 1 and _MD_SETEXT.match(stripped) and i > 0:
            block = _markdown_inline(paragraph[0])
            paragraph.clear()
            blocks.append(Block(block.text, 1 if stripped.startswith("=") else 2, block.links))
        elif _MD_TABLE_ROW.match(stripped):
            flush()
            in_item = False
            if not _MD_TABLE_RULE.match(stripped):  # a row read as one line: "A, B."
                cells = [c.strip() for c in stripped.strip("|").split("|") if c.strip()]
                row = _markdown_inline(", ".join(cells))
                if row.text:
                    end = "" if row.text[-1] in ".!?" else "."
                    blocks.append(replace(row, text=row.text + end, list_item=True, row=True))
        elif not stripped or _MD_RULE.match(stripped):
            flush()
            in_item = False
        elif _MD_LIST.match(stripped):
            flush()
            in_item = True
            paragraph.append(_MD_TASK.sub("", _MD_LIST.sub("", stripped)))
        else:
            paragraph.append(stripped)
    flush()
    return _titled(blocks, title)


_MD_FOOTNOTE_REF = re.compile(r"\[\^([^\]\s]+)\]")
_MD_FOOTNOTE = re.compile(r"^\s{0,3}\[\^(?P<label>[^\]\s]+)\]:\s*(?P<text>.*)$")


def _footnotes(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """The footnotes' texts by label (casefolded), from "[^1]: text" and the indented
    lines under it, and the other lines."""
    notes: dict[str, str] = {}
    rest: list[str] = []
    label: str | None = None
    for line in lines:
        if m := _MD_FOOTNOTE.match(line):
            label = m["label"].casefold()
            notes[label] = m["text"].strip()
        elif label is not None and line.startswith(("    ", "\t")) and line.strip():
            notes[label] = f"{notes[label]} {line.strip()}".strip()
        else:
            label = None
            rest.append(line)
    return notes, rest


# A static site's metadata line: "title: AI Weekly #88" (YAML), "Title: ..." (Pelican).
_METADATA_LINE = re.compile(r"(?P<key>[A-Za-z][\w-]*)\s*:\s*(?P<value>.*)")


def _front_matter(lines: list[str]) -> tuple[str | None, list[str]]:
    """A static site's metadata at the top of `lines`, YAML front matter between two
    "---" lines or Pelican's "Key: value" lines up to the first blank one: its title
    (None without one), and the lines after it (all of them, when there is none)."""
    if lines and lines[0].strip() == "---":
        end = next(
            (k for k in range(1, min(len(lines), 60)) if lines[k].strip() in ("---", "...")), 0
        )
        if not end:
            return None, lines
        meta, rest = lines[1:end], lines[end + 1 :]
    else:
        end = next((k for k, line in enumerate(lines) if not line.strip()), len(lines))
        meta, rest = lines[:end], lines[end:]
        keys = [m["key"].casefold() for m in map(_METADATA_LINE.fullmatch, meta) if m]
        if len(meta) < 2 or len(keys) < len(meta) or "title" not in keys:
            return None, lines
    found = (m for m in map(_METADATA_LINE.fullmatch, meta) if m)
    title = next((m["value"].strip(" \"'") for m in found if m["key"].casefold() == "title"), "")
    return title or None, rest


def _markdown_inline(text: str) -> Block:
    """Plain text of a Markdown line, with its links as spans; images are dropped."""
    text = re.sub(r"<!--.*?-->", "", text)
    text = re.sub(r"<br\s*/?>", " ", text, flags=re.IGNORECASE)
    text = html.unescape(re.sub(r"</?[A-Za-z][^>]*>", "", text))  # "&nbsp;", "&amp;"
    text = re.sub(r"`([^`]*)`", r"\1", text)
    # Links become placeholders first, so that emphasis around them ("**[Title](url)**")
    # is removed without touching the URLs.
    found: list[tuple[str, str]] = []

    def hold(m: re.Match) -> str:
        if m.group(0).startswith("!"):
            return ""
        found.append((_strip_emphasis(m.group(1)), m.group(2)))
        return f"\x00{len(found) - 1}\x00"

    text = _MD_LINK.sub(hold, text)
    bold = _MD_BOLD_LEAD.match(text)
    text = _strip_emphasis(text)
    pieces: list[str] = []
    links: list[tuple[int, int, str]] = []
    length = 0
    for i, piece in enumerate(text.split("\x00")):
        if i % 2:
            label, url = found[int(piece)]
            if url:
                links.append((length, length + len(label), url))
            piece = label
        pieces.append(piece)
        length += len(piece)
    block = _squash_block("".join(pieces), links)
    if bold:
        labels = re.sub("\x00(\\d+)\x00", lambda m: found[int(m[1])][0], bold[2])
        block = _with_lead(block, _strip_emphasis(labels))
    return block


def _with_lead(block: Block, bold: str) -> Block:
    """`block`, knowing that `bold` (as written) is the bold text it opens with."""
    lead = squash(bold)
    return replace(block, lead=len(lead)) if lead and block.text.startswith(lead) else block


def _strip_emphasis(text: str) -> str:
    previous = None
    while previous != text:
        previous = text
        text = _MD_EMPHASIS.sub(lambda m: m.group(2) or m.group(4), text)
    return text.replace("\\", "")


def _squash_block(text: str, links: list[tuple[int, int, str]], level: int | None = None) -> Block:
    """Squash whitespace in `text` and move the link spans along with it."""
    out: list[str] = []
    mapping: list[int] = []  # position in `text` -> position in the squashed text
    space = True
    for ch in text:
        mapping.append(len(out))
        if ch.isspace():
            if not space:
                out.append(" ")
                space = True
            continue
        out.append(ch)
        space = False
    mapping.append(len(out))
    squashed = "".join(out)
    lead = len(squashed) - len(squashed.lstrip())
    result = squashed.strip()
    spans = tuple(
        (max(0, mapping[a] - lead), max(0, min(len(result), mapping[b] - lead)), url)
        for a, b, url in links
        if mapping[b] > mapping[a]
    )
    return Block(result, level, spans)


# --------------------------------------------------------------------------- html

_BLOCK_TAGS = {
    "p",
    "div",
    "li",
    "ul",
    "ol",
    "tr",
    "td",
    "th",
    "table",
    "section",
    "article",
    "header",
    "footer",
    "blockquote",
    "pre",
    "dd",
    "dt",
    "dl",
    "figure",
    "figcaption",
    "main",
    "aside",
    "hr",
    "body",
    "center",
}
_HEADING_TAGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# Elements whose end tag HTML lets an author leave out.
_OPTIONAL_END = {"p", "li", "dt", "dd", "tr", "td", "th", "option"}
_VOID_TAGS = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
_SKIP_TAGS = {"script", "style", "head", "title", "noscript", "template", "svg", "iframe"}
# A web page's chrome: its menus, footer, forms and buttons.
_SKIP_TAGS |= {"nav", "footer", "form", "button", "select", "dialog"}


# Parts of a platform's cards that only show where a link goes: Ghost's bookmark card
# has the site's name, its author and pictures under the title and description; an
# embedded tweet (Substack's) its author's handle, its date and its counts of likes.
_NOT_READ_CLASS = re.compile(
    r"\b(?:kg-bookmark-(?:metadata|thumbnail)|tweet-(?:author-handle|footer|header-avatar))\b"
)


# The id a link to a footnote goes to: "#fn1", "#fn:1", "#footnote-1".
_FOOTNOTE_ID = re.compile(r"(?:fn|footnote)[-:_]?\d")


class _HtmlBlocks(HTMLParser):
    """Collects blocks from HTML: text of block elements, headings, and link spans."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self._text: list[str] = []
        self._links: list[tuple[int, int, str]] = []
        self._href: list[tuple[str | None, int]] = []
        self._skip = 0
        self._heading: int | None = None
        self._items = 0  # depth of <li> elements
        self._pre: list[str] | None = None  # the text of the <pre> element we are in
        self._bold: int | None = None  # where the bold text that opens the block ends
        self._hidden: tuple[str, int] | None = None  # a hidden element's tag and depth
        self._row: int | None = None  # where the blocks of a table row of text start
        self._cells = 0  # how many cells that row has had
        self.title = ""  # the document's <title> (not an SVG drawing's)
        self._in_title = False
        self._svg = 0  # depth of <svg> elements
        # Footnotes: the ids each block cites, and the blocks of each footnote by its id.
        self.cites: dict[int, list[str]] = {}
        self.notes: dict[str, list[int]] = {}
        self._citing: list[str] = []  # the ids the block being read cites
        self._notes: tuple[str, int] | None = None  # the footnotes' element and depth
        self._note: str | None = None  # the id of the footnote being read
        self._quiet: list[bool] = []  # per open <a>: whether its text is a mark
        self._sup: int | None = None  # where the text of the <sup> we are in starts

    def _length(self) -> int:
        return sum(len(t) for t in self._text)

    def _flush(self) -> None:
        text = "".join(self._text)
        if text.strip():
            block = _squash_block(text, self._links, self._heading)
            if block.text and self._bold:
                block = _with_lead(block, text[: self._bold])
            if block.text:
                self.blocks.append(replace(block, list_item=self._items > 0))
                if self._citing:
                    self.cites[len(self.blocks) - 1] = self._citing
                if self._note is not None:
                    self.notes.setdefault(self._note, []).append(len(self.blocks) - 1)
        self._text, self._links, self._bold, self._citing = [], [], None, []

    def _footnote_tags(self, tag: str, attrs: list[tuple[str, str | None]] | None) -> None:
        """Follow footnotes: the element that holds them (class "footnote" or
        "footnotes"), the one that starts each (its id), and the links that cite one
        ("<sup><a href='#fn1'>1</a></sup>") or lead back, whose text is a mark."""
        if attrs is None:
            if tag == "a" and self._quiet:
                self._quiet.pop()
            if self._notes is not None and tag == self._notes[0]:
                depth = self._notes[1] - 1
                self._notes = (tag, depth) if depth else None
                if not depth:
                    self._flush()
                    self._note = None
            return
        values = dict(attrs)
        classes = (values.get("class") or "").split()
        if self._notes is not None:
            if tag == self._notes[0]:
                self._notes = (tag, self._notes[1] + 1)
            if values.get("id") and tag in ("a", "li", "div", "p"):
                self._flush()
                self._note = values["id"]
        elif {"footnote", "footnotes"} & set(classes) or values.get("role") == "doc-endnotes":
            self._flush()
            self._notes = (tag, 1)
        if tag == "a":
            href = values.get("href") or ""
            cites = href.startswith("#") and (
                any("footnote" in c for c in classes) or _FOOTNOTE_ID.match(href[1:])
            )
            leads_back = self._notes is not None and href.startswith("#")  # "1", "↩"
            self._quiet.append(leads_back or bool(cites))
            if cites and self._notes is None:
                self._citing.append(href[1:])

    def _hides(self, tag: str, attrs: list[tuple[str, str | None]] | None) -> bool:
        """Whether the tag starting here (ending, when `attrs` is None) is, or is in, an
        element not shown: an e-mail's preheader ("display: none"), `hidden`, or
        `aria-hidden`, which screen readers pass over too; or a card's part that only
        shows where a link goes (`_NOT_READ_CLASS`)."""
        if self._hidden is not None:
            hidden, depth = self._hidden
            if tag == hidden and attrs is None:
                depth -= 1
            elif attrs is None and hidden in _OPTIONAL_END and tag in _BLOCK_TAGS:
                self._hidden = None  # its parent's end ends it too: "</ul>" a hidden <li>
                return False
            elif tag == hidden or (hidden == "p" and tag in _BLOCK_TAGS | _HEADING_TAGS.keys()):
                # One whose end tag may be left out ends where the next one starts (a
                # <p> where any block does); others nest.
                if hidden in _OPTIONAL_END:
                    self._hidden = None
                    return self._hides(tag, attrs)
                depth += 1
            self._hidden = (hidden, depth) if depth else None
            return True
        if attrs is None or tag in _VOID_TAGS:
            return False
        values = dict(attrs)
        style = re.sub(r"\s+", "", (values.get("style") or "").lower())
        if (
            "hidden" in values
            or (values.get("aria-hidden") or "").lower() == "true"
            or re.search(r"display:none|visibility:hidden|mso-hide:all", style)
            or _NOT_READ_CLASS.search(values.get("class") or "")
        ):
            self._hidden = (tag, 1)
            return True
        return False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._svg += tag == "svg"
        self._in_title = tag == "title" and not self.title and not self._svg
        if self._hides(tag, attrs):
            return
        self._footnote_tags(tag, attrs)
        if tag in ("b", "strong") and self._bold is None and not "".join(self._text).strip():
            self._bold = -1  # ends where the element does
        if tag == "pre" and not self._skip and self._pre is None:
            self._flush()
            self._pre = []
        elif tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _HEADING_TAGS:
            self._flush()
            self._heading = _HEADING_TAGS[tag]
            self._row = None
        elif tag in _BLOCK_TAGS:
            self._flush()
            self._items += tag == "li"
            if tag == "tr":
                self._row, self._cells = len(self.blocks), 0
            elif tag in ("td", "th"):
                self._cells += 1
            else:
                self._row = None  # a row with blocks in it lays out a page, not data
        elif tag == "br":
            self._text.append("\n")
            if self._heading is None:
                self._flush()
        elif tag == "a":
            self._href.append((dict(attrs).get("href"), self._length()))
        elif tag == "sup":
            self._sup = self._length()

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False
        self._svg -= tag == "svg" and self._svg > 0
        if self._hides(tag, None):
            return
        self._footnote_tags(tag, None)
        if tag in ("b", "strong") and self._bold == -1:
            self._bold = self._length()
        if tag == "pre" and self._pre is not None:
            text, self._pre = "".join(self._pre), None
            self.blocks.extend([Block(CODE_NOTE)] if _is_code(text) else read_plain(text))
        elif tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _HEADING_TAGS:
            self._flush()
            self._heading = None
        elif tag in _BLOCK_TAGS:
            self._flush()
            self._items -= tag == "li" and self._items > 0
            if tag == "tr" and self._row is not None:
                if self._cells >= 2 and len(self.blocks) - self._row == self._cells:
                    self._join_row(self._row)  # each cell one line of text
                self._row = None
        elif tag == "a" and self._href:
            href, start = self._href.pop()
            end = self._length()
            if href and end > start and not href.startswith(("mailto:", "javascript:")):
                self._links.append((start, end, href))
        elif tag == "sup" and self._sup is not None:
            self._superscript(self._sup)
            self._sup = None

    def _superscript(self, start: int) -> None:
        """The number a <sup> from `start` holds: a power after a number or a variable
        ("10<sup>6</sup>" is "10^6", "mc<sup>2</sup>" "mc^2"), else a footnote's mark,
        not read ("model<sup>1</sup>")."""
        text = "".join(self._text)
        mark = text[start:]
        if not re.fullmatch(r"\[?\d{1,3}\]?", mark.strip()) or start == 0:
            return
        before = text[:start]
        base = re.search(r"\w*$", before).group()
        power = base.isdigit() or 0 < len(base) <= 2
        kept = f"{before}^{mark.strip()}" if power and "[" not in mark else before
        if any(end > start for _, end, _ in self._links):
            return  # a link over it: leave it be
        self._text = [kept]

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
            return
        if self._hidden is not None or any(self._quiet):
            return
        if self._pre is not None:
            self._pre.append(data)
        elif not self._skip:
            self._text.append(data)

    def _join_row(self, start: int) -> None:
        """The cells of a table row of text, blocks from `start` on, as one line: "GPT-4,
        86.4", as a Markdown table's row is read."""
        cells = self.blocks[start:]
        text, links = "", []
        for cell in cells:
            text += ", " if text else ""
            links += [(a + len(text), b + len(text), url) for a, b, url in cell.links]
            text += cell.text
        self.blocks[start:] = [Block(text, links=tuple(links), list_item=True, row=True)]

    def close(self) -> None:
        super().close()
        self._flush()


def _is_code(text: str) -> bool:
    """Whether preformatted text is code rather than prose (a plain-text newsletter
    wrapped in <pre>): few sentences, or many of the symbols code is made of (URLs
    aside)."""
    text = re.sub(r"\S+://\S+", "", text)
    sentences = len(re.findall(r"[a-z][.!?](?:\s|$)", text))
    symbols = sum(text.count(c) for c in "{}[]();=<>\\|`$")
    return sentences < 3 or symbols > 0.03 * len(text)


def read_html(text: str) -> list[Block]:
    """Blocks of an HTML issue (a web page or an e-mail). An e-mail's subject, in its
    `<title>`, is the title heading when the page opens with no title heading of its own."""
    parser = _HtmlBlocks()
    parser.feed(text)
    parser.close()
    title = squash(parser.title)
    blocks = _with_footnotes(parser.blocks, parser.cites, parser.notes)
    return _titled(blocks, title.rpartition(" | ")[0] or title)  # "... | Site"


def _with_footnotes(
    blocks: list[Block], cites: dict[int, list[str]], notes: dict[str, list[int]]
) -> list[Block]:
    """`blocks` with each footnote read right after the block that cites it ("Footnote:
    ..."), not at the end; a footnote nothing cites stays where it is."""
    cited = {note for ids in cites.values() for note in ids}
    moved = {k for note, at in notes.items() if note in cited for k in at}
    out: list[Block] = []
    for i, block in enumerate(blocks):
        if i not in moved:
            out.append(block)
        for note in cites.get(i, ()):
            for n, k in enumerate(notes.pop(note, ())):
                out.append(_footnote(blocks[k]) if n == 0 else replace(blocks[k], list_item=False))
    return out


def _footnote(block: Block) -> Block:
    """The first block of a footnote, as it is read: "Footnote: text"."""
    lead = "Footnote: "
    links = tuple((a + len(lead), b + len(lead), url) for a, b, url in block.links)
    return replace(block, text=lead + block.text, links=links, list_item=False, lead=0)


def _titled(blocks: list[Block], title: str | None) -> list[Block]:
    """`blocks` under `title` (a page's or a site's), as a heading above every other,
    unless the first of their headings is of the top level: their own title."""
    first = next((b for b in blocks if b.level is not None), None)
    if title and squash(title) and not (first and first.level == 1):
        blocks.insert(0, Block(squash(title), level=0))
    return blocks
