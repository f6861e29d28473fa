"""parse: an issue's text -> `Issue` (pure).

Two passes, whatever the input form:

1. A reader turns the text into `Block`s: paragraphs, and headings where the form shows
   them (a line of its own, a Markdown or HTML heading). Text flattened to one line is
   one block with everything run together.
2. The structure pass finds item openings ("Title (Authors) (summarized by Name):"),
   the headings standing between one item's end and the next item's title, and the
   newsletter's apparatus (sign-up boilerplate, "Link post", footers), and builds the
   `Issue`: preamble, highlights, sections with subsections, items.

Known heading names (`audio.headings`, plus the show settings' `sections`) are a help
where the form is lost; they are never the only way a heading is found.
"""

from __future__ import annotations

import calendar
import collections
import itertools
import math
import re
from collections.abc import Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from audio import headings as known
from audio.errors import IssueError
from audio.fsutil import EMAIL_SUFFIX, slugify
from audio.model import Issue, Item, Link, Opinion, Section, Subsection
from audio.readers import Block, Format, detect_format, read_blocks, read_email, squash
from audio.script import EMOJI, written_dates

# --------------------------------------------------------------------------- patterns

_NAME_TOKEN = (
    r"(?:[A-Z\u00C0-\u00DE][\w'’.\-]*|(?:de|van|von|der|den|da|del|di|du|la|le|dos|bin|al)\b)"
)
_NAME = rf"{_NAME_TOKEN}(?: {_NAME_TOKEN}){{0,5}}"
_AUTHOR_LIST = rf"{_NAME}(?:(?:,| and|, and| &) {_NAME})*(?:,? et al\.?)?"

# "(Authors)" optionally followed by "(summarized by Name)", optionally by ":"; or a
# link's kind after its title, as TLDR gives it: "(5 minute read)", "(GitHub Repo)".
_ANCHOR = re.compile(
    r"\((?P<kind>\d{1,3} minutes? read|GitHub Repo|Website|Sponsor)\)"  # not "(Authors)"
    rf"|\((?P<authors>{_AUTHOR_LIST})\)"
    r"(?:\s*\((?:summari[sz]ed|written|reviewed) by (?P<summarizer>[^()]{1,80})\))?"
    r"(?P<colon>\s*:)?"
    r"|\((?:summari[sz]ed|written) by (?P<summarizer_only>[^()]{1,80})\)(?P<colon2>\s*:)?"
)

_OPINION = re.compile(
    r"(?:(?<=\s)|^)(?P<name>[A-Z][\w.\-]*(?: [A-Z][\w.\-]*){0,2})['’]s opinion\s*:\s*"
)
_READ_MORE = re.compile(r"(?:(?<=\s)|^)Read more\s*:\s*")
_RESPONSE = re.compile(r"^(?:Response|Reply|Rebuttal)\s*:\s*")

# Words before a "." that do not end a sentence.
_ABBREVIATIONS = {
    "e.g",
    "i.e",
    "et al",
    "al",
    "vs",
    "cf",
    "etc",
    "dr",
    "mr",
    "mrs",
    "ms",
    "prof",
    "st",
    "jr",
    "sr",
    "inc",
    "no",
    "fig",
    "approx",
    "eq",
    "vol",
    "ca",
    "resp",
    "viz",
}

# Link labels that end an item ("Read more: Paper and Author response", "[Paper]").
LINK_LABELS = (
    "Paper",
    "Papers",
    "Blog post",
    "Blog posts",
    "Post",
    "Author response",
    "Code",
    "Github repo",
    "GitHub repo",
    "Github",
    "GitHub",
    "arXiv",
    "Arxiv",
    "Video",
    "Talk",
    "Slides",
    "Website",
    "Summary",
    "Podcast",
    "Transcript",
    "Twitter thread",
    "Thread",
    "Tweet",
    "Dataset",
    "Benchmark",
    "Demo",
    "Project page",
    "Link",
    "Article",
    "Report",
    "Full paper",
    "Related paper",
    "Audio",
    "Announcement",
    "Discussion",
    "Comments",
    "Here",
    "Sequence",
    "Book",
    "Review",
)
_LABEL_RE = re.compile(
    r"(?:\[?(?:"
    + "|".join(re.escape(x) for x in sorted(LINK_LABELS, key=len, reverse=True))
    + r")\]?)(?:(?:,| and|, and| &|;)?\s+|$)",
    re.IGNORECASE,
)

# Newsletter apparatus: sentences and lines that are not content.
_BOILERPLATE = re.compile(
    r"resources here|\bsign up\b|spreadsheet of all summaries|happy to hear feedback|"
    r"send it to me|audio version|may not be up yet|\bsubscribe\b|unsubscribe|"
    r"follow (?:the newsletter|us|me) on twitter|^link post$|"
    r"^welcome to the \w+ (?:issue|edition)|"
    r"(?:i am|i'm|we are|we're) writing an? .{0,60}newsletter|"
    r"forwarded this (?:e-?mail|newsletter)|view (?:this email )?in (?:your )?browser|"
    r"you(?: are|['’]re) receiving this|you received this (?:e-?mail|because)|"
    r"manage (?:your )?preferences|"
    r"update your preferences|copyright ©|all rights reserved|mailing address|"
    r"\bis an? (?:weekly|monthly|daily|biweekly|fortnightly) (?:publication|newsletter)|"
    r"why am i getting this|add us to your address book",
    re.IGNORECASE,
)
_FOOTER = re.compile(
    r"(?:^|\s)(?:FEEDBACK\b|PODCAST\b|"
    r"(?i:An audio podcast version of the \w[\w ]{0,40}is available|Copyright ©|"
    r"Love [\w ]{1,30}\? Tell your friends|Want to advertise (?:in|with) |"
    r"Forward (?:this|it) (?:e-?mail |newsletter |issue )?to a friend|"
    r"If you (?:don't|do not) want to receive future |"
    r"Want to change how you receive these emails|"
    r"You(?: are|['’]re) receiving this (?:e-?mail|newsletter|because)|"
    r"You received this (?:e-?mail|newsletter|because)|"
    r"unsubscribe from this list|Our mailing address is|"
    r"Was this (?:e-?mail |newsletter |issue )?forwarded to you|"
    r"(?:What did|How did) you (?:think|like|feel) (?:of|about) (?:today'?s|this(?: week'?s)?)"
    r" (?:e-?mail|newsletter|issue|edition)))"
)


# --------------------------------------------------------------------------- events


@dataclass(frozen=True)
class _Heading:
    name: str
    level: int | None  # 1 section, 2 subsection, None: decide from context
    explicit: bool = False


@dataclass(frozen=True)
class _Opening:
    title: str
    authors: str | None
    summarizer: str | None
    url: str | None = None
    brief: bool = False  # a one-line item of an "Other Recent ..." list


@dataclass(frozen=True)
class _Text:
    text: str
    new_paragraph: bool
    links: tuple[tuple[int, int, str], ...] = ()  # spans of `text`, when known


_Event = _Heading | _Opening | _Text


@dataclass
class _Context:
    """What the structure pass knows while it reads: heading names (`given`: those the
    show settings or the newsletter's own list name, casefolded) and the last heading."""

    levels: dict[str, int]
    names: dict[str, str]
    current: list[str] = field(default_factory=list)
    given: frozenset[str] = frozenset()


# --------------------------------------------------------------------------- entry point


def parse_blocks(
    blocks: Sequence[Block], *, slug: str, extra_sections: Iterable[str] = ()
) -> Issue:
    """Build an `Issue` from the blocks a reader made."""
    extra = tuple(extra_sections)
    # Not "📱", "* * *", nor a row of links: "ADVERTISE // CAREERS // SHOP // FAQ".
    blocks = [b for b in blocks if re.search(r"\w", b.text) and not _link_row(b)]
    meta, body_blocks = _metadata(blocks, _number_from_slug(slug))
    number = meta.get("number") or _number_from_slug(slug)
    newsletter = meta.get("newsletter") or _newsletter_from_text(blocks)
    ctx = _Context(
        known.heading_levels(extra, newsletter),
        known.canonical_names(extra, newsletter),
        given=frozenset(n.casefold() for n in (*extra, *known.newsletter_names(newsletter))),
    )
    body_blocks = _drop_footer(body_blocks)
    if any(_openings(b.text) for b in body_blocks if b.level is None):
        events = list(_events_author_form(body_blocks, ctx))
    else:
        marked = any(b.level is not None for b in blocks)  # Markdown or HTML headings
        events = list(_events_label_form(body_blocks, ctx, marked=marked))
    issue = _with_closing(_build(events, ctx, slug=slug))
    issue = replace(issue, title=meta.get("title"), number=number, newsletter=newsletter)
    if not _all_items(issue):
        issue = replace(
            issue, warnings=(*issue.warnings, "no items found: the episode reads the text as is")
        )
    return issue


def _link_row(block: Block) -> bool:
    """Whether a block is a row of three or more short links (a menu), each of one to
    three words, between "|", "//", "•" or "·"; with no number in it, which a line of a
    list of events has ("2024-10-17 | Virtual | Women in Rust")."""
    parts = re.split(r"\s+(?:\||//|•|·)\s+", block.text.strip())
    return (
        block.level is None
        and len(parts) >= 3
        and not re.search(r"\d", block.text)
        and all(1 <= len(p.split()) <= 3 and not p.endswith((".", "!", "?")) for p in parts)
    )


def parse_text(
    text: str, *, slug: str, fmt: Format = "text", extra_sections: Iterable[str] = ()
) -> Issue:
    """Parse an issue's text in the given form (plain text, Markdown or HTML).

    Plain text flattened to one line in which no structure is found is read again with
    the line breaks its marks show put back (`relined`), when that finds sections or
    more items.
    """
    issue = parse_blocks(read_blocks(text, fmt), slug=slug, extra_sections=extra_sections)
    if fmt != "text" or issue.sections or len(issue.highlights) > 1 or not _flattened(text):
        return issue
    again = relined(text)
    if again == text:
        return issue
    second = parse_blocks(read_blocks(again, fmt), slug=slug, extra_sections=extra_sections)
    if second.sections or len(second.highlights) > len(issue.highlights):
        return second
    # With no items either way, the text with its lines back reads with their pauses,
    # unless putting them back lost the newsletter's name.
    none = not _all_items(issue) and not _all_items(second)
    return second if none and issue.newsletter in (None, second.newsletter) else issue


# How an editor signs off: "That's all for this week!", "See you next week,", "Cheers,".
_SIGN_OFF = re.compile(
    r"(?i)(?:that'?s (?:all|it|a wrap)\b|see you\b|until next (?:time|week)|thanks? (?:you )?for "
    r"reading|talk (?:to you )?soon|catch you\b|have a (?:great|good|nice)\b|stay (?:tuned|safe"
    r"|curious)|happy \w+ing\b|cheers\b|(?:best|kind|warm)(?: wishes| regards)?,?$|bye\b"
    r"|(?:sincerely|regards|warmly|yours(?: truly)?),?$)"
)


def _with_closing(issue: Issue) -> Issue:
    """`issue` with the editor's sign-off (`_without_sign_off`) taken from the end of
    the last item read, a highlight's when there are no sections, into `closing`, which
    the outro reads."""
    if not issue.sections:
        items = issue.highlights
        if not items or items[-1].opinions or items[-1].responses:
            return issue
        kept, closing = _without_sign_off(items[-1])
        return replace(issue, highlights=(*items[:-1], *kept), closing=closing)
    section = issue.sections[-1]
    if (signed := _signing_off(section)) is not None:
        return replace(issue, sections=issue.sections[:-1], closing=signed)
    subsections = [k for k, sub in enumerate(section.subsections) if sub.items]
    items = section.subsections[subsections[-1]].items if subsections else section.items
    if not items or items[-1].opinions or items[-1].responses:
        return issue
    kept, closing = _without_sign_off(items[-1])
    if not closing:
        return issue
    items = (*items[:-1], *kept)
    if subsections:
        k = subsections[-1]
        subs = list(section.subsections)
        subs[k] = replace(subs[k], items=items)
        section = replace(section, subsections=tuple(subs))
    else:
        section = replace(section, items=items)
    sections = (*issue.sections[:-1], section)
    return replace(issue, sections=sections, closing=closing)


def _signing_off(section: Section) -> tuple[str, ...] | None:
    """The paragraphs of a last section whose heading signs off ("Thanks for reading!")
    over a few short lines of text, no stories; None for any other section."""
    items = section.items
    paragraphs = [p for i in items for p in (_ended(i.title), *i.summary.split("\n\n")) if p]
    if (
        not _SIGN_OFF.match(section.name)
        or any(sub.items for sub in section.subsections)
        or any(i.url or i.authors or i.links or i.opinions for i in items)
        or sum(map(len, paragraphs)) > 400
    ):
        return None
    return (_ended(section.name), *paragraphs)


def _without_sign_off(item: Item) -> tuple[tuple[Item, ...], tuple[str, ...]]:
    """`item` without the sign-off its text ends with, and that sign-off: its last
    paragraphs from one that signs off, the others short ("See you soon," then "Rowan").
    An item that is only a sign-off (one paragraph, taken for its title: "That's all for
    today, ...") is no item: () and the sign-off."""
    only_words = not (item.summary or item.url or item.authors) and len(item.title) <= 120
    if only_words and _SIGN_OFF.match(item.title):
        return (), (_ended(item.title),)
    paragraphs = item.summary.split("\n\n")
    start = next(
        (
            k
            for k in range(len(paragraphs))
            if _SIGN_OFF.match(paragraphs[k])
            and (k or len(paragraphs[k]) <= 120)  # not a story that opens "That's it:"
            and all(len(p) <= 60 for p in paragraphs[k + 1 :])
        ),
        len(paragraphs),
    )
    summary = "\n\n".join(paragraphs[:start])
    return (replace(item, summary=summary),), tuple(paragraphs[start:])


def _all_items(issue: Issue) -> list[Item]:
    items = list(issue.highlights)
    for section in issue.sections:
        items.extend(section.items)
        for sub in section.subsections:
            items.extend(sub.items)
    return items


# --------------------------------------------------------------------------- metadata

_TITLE_LINE = re.compile(
    r"^\[?(?P<abbr>[A-Z][A-Za-z]{1,8}) ?#(?P<number>\d{1,4})\]?\s*[:\-–—]\s*(?P<title>.+)$"
)
_NAMED_TITLE_LINE = re.compile(
    r"^(?P<name>[A-Z][\w ]{2,60}?(?:Newsletter|Digest|Weekly|Roundup|Update|Bulletin))"
    r"\s*(?:#|No\.?\s*|Issue\s*)(?P<number>\d{1,4})\s*[:\-–—]?\s*(?P<title>.*)$",
    re.IGNORECASE,
)
_WELCOME = re.compile(
    r"Welcome to the (?P<number>\d{1,4})(?:st|nd|rd|th)? (?:issue|edition) of (?:the )?"
    r"(?P<name>[A-Z][\w ]{2,60}?(?:Newsletter|Digest))",
)
_RESOURCES = re.compile(r"Find all (?P<name>[A-Z][\w ]{2,60}?Newsletter) resources")
_ABBREVIATED_NEWSLETTERS = {"AN": "Alignment Newsletter", "MLSN": "ML Safety Newsletter"}


def _metadata(blocks: Sequence[Block], slug_number: int | None = None) -> tuple[dict, list[Block]]:
    """Title, number and newsletter name from a title line (or heading), and the other
    blocks. `slug_number` is the number the file name ends with, if any."""
    meta: dict = {}
    rest = list(blocks)
    while rest and rest[0].level is None and _CHROME.match(rest[0].text):
        rest = rest[1:]  # "View this email in your browser" above the title
    if rest and len(rest[0].text) >= 300:
        rest[0:1] = _split_run_in_title(rest[0])
    rest = _title_line_first(rest, slug_number)
    if rest and len(rest[0].text) < 300:
        first = rest[0].text
        at: int | None = None
        if _TITLE_LINE.match(first):
            meta.update(_title_parts(first, slug_number))
            at = 0
        elif (m := _NAMED_TITLE_LINE.match(first)) and not _ANCHOR.search(first):
            meta["number"] = int(m["number"])
            meta["title"] = m["title"].strip() or None
            meta["newsletter"] = squash(m["name"])
            at = 0
        elif (at := _title_heading(rest)) is not None or _title_line(first, slug_number):
            at = at or 0
            if _dated_below(rest, at):  # "# Axios AI+" over "June 3, 2025"
                rest[at : at + 2] = [Block(f"{squash(rest[at].text)} — {rest[at + 1].text}")]
            meta.update(_title_parts(squash(rest[at].text), slug_number))
        if at is not None:
            # (and the title again, as an e-mail's first line under its subject)
            again = at + 1 < len(rest) and squash(rest[at + 1].text) == squash(rest[at].text)
            rest = rest[:at] + rest[at + 2 if again else at + 1 :]
    for block in blocks[:6]:
        if "number" not in meta and (m := _WELCOME.search(block.text)):
            meta["number"] = int(m["number"])
            meta.setdefault("newsletter", squash(m["name"]))
    if not meta.get("newsletter"):
        meta.pop("newsletter", None)
    return meta, rest


def _dated_below(blocks: Sequence[Block], at: int) -> bool:
    """Whether a title heading is only a name, with the issue's date on the line under
    it: "# Axios AI+" then "June 3, 2025"."""
    under = blocks[at + 1] if at + 1 < len(blocks) else None
    return (
        under is not None
        and under.level is None
        and bool(_DATE_LINE.fullmatch(under.text.strip()))
        and not re.search(r"\d", blocks[at].text)
    )


def _title_line_first(blocks: list[Block], slug_number: int | None) -> list[Block]:
    """`blocks` with a plain-text title line first: one written on two lines, the name
    over the number or date (`_name_over_number`), made one; one that comes after a
    few short lines (a masthead, a sponsor's "Together With Rokt", a row of links)
    moved first, and the masthead (the newsletter's name again) left out: "TLDR",
    "Together With Rokt", "TLDR 2026-04-23"."""
    for k, block in enumerate(blocks[:4]):
        if block.level is not None or len(block.text) > 80 or block.text.endswith("."):
            return blocks
        title, end = block, k + 1
        if end < len(blocks) and _name_over_number(block, blocks[end]):
            title, end = Block(f"{block.text} {blocks[end].text}"), end + 1
        if (k or end > 1) and _title_line(title.text, slug_number):
            name = _title_parts(squash(title.text), slug_number).get("newsletter") or ""
            before = [b for b in blocks[:k] if b.text.casefold() != name.casefold()]
            return [title, *before, *blocks[end:]]
    return blocks


def _name_over_number(first: Block, second: Block) -> bool:
    """Whether a title is written on two lines, the newsletter's name over its number
    or date: "Hacker Newsletter" then "#689 - February 21, 2025"; "Morning Brew" then
    "March 04, 2025"."""
    return (
        first.level is None
        and second.level is None
        and len(first.text) <= 60
        and not first.text.endswith((".", "!", "?", ":"))
        and bool(
            re.match(r"(?:#|(?:Issue|No\.?)\s*)\d{1,4}\b(?!\s*[.)])", second.text)
            or _DATE_LINE.fullmatch(second.text.strip())
        )
    )


# A title heading "Weekly AI #17 — March 3, 2025": the newsletter, its number, a title;
# "Import AI 350: Robots" when the file name ends with that number.
_NUMBERED_HEADING = re.compile(
    r"^(?P<name>[^\W\d][^#]{1,60}?)\s*(?:#|\b(?:No\.?|Issue)\s*)(?P<number>\d{1,4})\b"
    r"\s*[:\-–—|·]?\s*(?P<title>.*)$"
)
_BARE_NUMBERED_HEADING = re.compile(
    r"^(?P<name>[^\W\d][^#:]{1,60}?)\s+(?P<number>\d{1,4})(?:\s*[:\-–—|·]\s*(?P<title>.*))?$"
)


_MONTH = rf"(?:{'|'.join(calendar.month_abbr[1:])})[a-z]*\.?"

_WEEKDAY = r"(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,? )?"
# A date with its year: "2025-03-04", "March 4, 2025", "4 March 2025".
_DATE = rf"(?:\d{{4}}-\d{{2}}-\d{{2}}|{_MONTH} \d{{1,2}},? \d{{4}}|\d{{1,2}} {_MONTH},? \d{{4}})"
# A line that is a date: "March 04, 2025", "Tuesday, March 4, 2025", "2025-03-04".
_DATE_LINE = re.compile(rf"{_WEEKDAY}{_DATE}")
# "TLDR AI 2024-03-04", "The Batch — March 6, 2024": a newsletter's name and a date.
_DATED_TITLE = re.compile(rf"^(?P<name>[^\W\d].{{0,60}}?)[\s,:|·\-–—]+(?P<date>{_DATE})$")


_NUMBER_WORD = re.compile(r"(?i)[\s,:|·\-–—]+(?:issue|no\.?|number|edition|vol\.?|volume)\s*$")


def _title_parts(text: str, slug_number: int | None) -> dict:
    """Title, and the newsletter and number when it names them, of a title line."""
    if m := _TITLE_LINE.match(text):  # "[AN #99]: Title"
        newsletter = _ABBREVIATED_NEWSLETTERS.get(m["abbr"])
        return {"number": int(m["number"]), "title": m["title"].strip(), "newsletter": newsletter}
    m = _NUMBERED_HEADING.match(text)
    if not m and (bare := _BARE_NUMBERED_HEADING.match(text)):
        m = bare if int(bare["number"]) == slug_number else None
    if not m and (dated := _DATED_TITLE.match(text)):
        return {"newsletter": dated["name"].strip(), "title": written_dates(dated["date"])}
    if not m:
        return {"title": text.strip(" :") or None}
    parts = {"number": int(m["number"]), "title": (m["title"] or "").strip(" :") or None}
    name = _NUMBER_WORD.sub("", m["name"]).strip(" ,:|·-–—")  # not "ML Notes — Issue"
    if name.casefold() not in ("issue", "no.", "no", "number", "edition"):
        parts["newsletter"] = name
    return parts


def _title_line(text: str, slug_number: int | None) -> bool:
    """Whether a first line is a title that names an issue number or a newsletter and a
    date ("Weekly AI #18 — March 10", "TLDR AI 2024-03-04"): short, not a sentence."""
    if len(text) > 150 or text.endswith((".", "!", "?")):
        return False
    return bool(_title_parts(squash(text), slug_number).keys() & {"number", "newsletter"})


def _title_heading(blocks: Sequence[Block]) -> int | None:
    """Where the issue's title heading is: the first marked heading, above every other
    heading and not a known section's name, with at most a few short lines before it
    (an e-mail's "View in browser"). None when there is none."""
    at = next((i for i, b in enumerate(blocks[:8]) if b.level is not None), None)
    if at is None or any(len(b.text) > 200 for b in blocks[:at]):
        return None
    first = blocks[at]
    if squash(first.text).casefold() in known.heading_levels():
        return None
    if all(b.level is None or b.level > first.level for b in blocks[at + 1 :]):
        return at
    return None


_TITLE_END = re.compile(
    r"\s(?=Link post\b|Find all\b|Audio version\b|Highlights\b|HIGHLIGHTS\b|Welcome to\b|"
    r"(?:[A-Z][\w\-]* ){1,4}(?:is|are) an? (?:weekly|monthly|daily|biweekly|fortnightly)\b)"
)


# A flattened issue's first words naming it: "Last Week in AI #211 Welcome back! ...",
# "Hacker Newsletter #690 - February 28, 2025 Hi everyone, ..."
_RUN_IN_NAME = re.compile(
    r"(?P<name>[A-Z][\w .&'’-]{1,60}?)(?: ?#| [-–—:|]? ?(?:Issue|No\.?) ?)\d{1,4}"
    rf"(?:\s*[-–—:|]\s*{_DATE})?(?=\s+[A-Z“\"])"
)


# ... or its name and date: "TLDR AI 2025-06-03 Together with ..."
_RUN_IN_DATED = re.compile(rf"(?P<name>[A-Z][\w .&'’+-]{{1,40}}?)[\s,:|·\-–—]+{_DATE}(?=\s+\S)")


def _split_run_in_title(block: Block) -> list[Block]:
    """ "[AN #99]: Title Link post Find all ..." flattened: the title line and the rest
    ("Last Week in AI #211 Welcome back! ...": the name and number, and the rest; "TLDR
    AI 2025-06-03 Together with ...": the name and date, and the rest; a sponsor's line
    inside the title line and a subtitle after it are lines of their own)."""
    m = _TITLE_LINE.match(block.text[:400])
    if not m:
        named = _RUN_IN_NAME.match(block.text) or _RUN_IN_DATED.match(block.text)
        if named:
            masthead = [Block(line) for line in _masthead_lines(named.group())]
            rest = block.text[named.end() :].strip()
            if subtitle := _EMOJI_SUBTITLE.match(rest):  # TLDR's "Google TPU v8 ⚡, ..."
                masthead.append(Block(subtitle[1]))
                rest = rest[subtitle.end() :]
            return [*masthead, Block(rest)]
        return [block]
    end = _TITLE_END.search(block.text, m.start("title"), m.start("title") + 300)
    if not end:
        return [block]
    return [Block(block.text[: end.start()].strip()), Block(block.text[end.end() :].strip())]


# A subtitle of phrases that each end with an emoji, before a capital: "Google TPU v8 ⚡,
# Tesla's research fab 🏭, AI-native interviews 💼 AI is compressing ...".
_EMOJI_PHRASE = rf"[^.!?\n]{{1,80}}? {EMOJI}+"
_EMOJI_SUBTITLE = re.compile(rf"((?:{_EMOJI_PHRASE}, )+{_EMOJI_PHRASE})\s+(?=[A-Z])")


def _masthead_lines(line: str) -> list[str]:
    """A flattened title line as the lines it was: "TLDR Together With Rokt TLDR
    2026-04-23" is the name, its sponsor's line, and the name with the date (the name
    before a sponsor's line and again after it)."""
    sponsor = _SPONSOR_LINE.search(line)
    name = line[: sponsor.start()].strip() if sponsor else ""
    again = line.find(f" {name} ", sponsor.end()) if name else -1
    if again < 0:
        return [line]
    return [name, line[sponsor.start() : again].strip(), line[again:].strip()]


def _newsletter_from_text(blocks: Sequence[Block]) -> str | None:
    for block in blocks[:6]:
        if m := _RESOURCES.search(block.text) or _WELCOME.search(block.text):
            return squash(m["name"])
    return None


def _number_from_slug(slug: str) -> int | None:
    """The issue number a file name ends with ("alignment-newsletter-076" -> 76; not a
    date's day or month: "tldr-ai-2024-03-04", "essay-2025-03")."""
    if re.search(r"\d{4}-\d{1,2}-\d{1,2}$|(?:19|20)\d\d-\d{1,2}$", slug):
        return None  # a date, or a year and month: "essay-2025-03"
    m = re.search(r"(?:^|[-_ #])(\d{1,4})$", slug)
    return int(m.group(1)) if m else None


def _drop_footer(blocks: list[Block]) -> list[Block]:
    """Cut the mailing-list footer (FEEDBACK, PODCAST, copyright, unsubscribe), and the
    sender's postal address right before it.

    The footer is looked for after the last item opening, so that the same words in the
    preamble ("I'm always happy to hear feedback") are left to the boilerplate filter.
    """
    last = 0
    offset = 0
    for i, block in enumerate(blocks):
        if block.level is None and (found := _openings(block.text)):
            last, offset = i, found[-1].end()
    for i in range(last, len(blocks)):
        m = _FOOTER.search(blocks[i].text, offset if i == last else 0)
        if m:
            head = _before_sentence_of(blocks[i].text, m.start())
            head = _TRAILING_BUTTONS.sub("", head)  # "... in June. Subscribe" flattened
            head = _without_address(head)  # the sender's, which the law has a footer give
            kept = blocks[:i]
            if not head and kept and kept[-1].level is None:  # on the line above
                above = _without_address(kept[-1].text)
                kept[-1:] = [replace(kept[-1], text=above)] if above else []
            return [*kept, *([replace(blocks[i], text=head)] if head else [])]
    return blocks


def _before_sentence_of(text: str, pos: int) -> str:
    """`text` before `pos`, or before the sentence that `pos` is inside of, when a
    lowercase word there goes on with it ("Thanks! If you liked it, forward it to a
    friend." -> "Thanks!")."""
    head = text[:pos].rstrip()
    if not text[pos:].lstrip()[:1].islower():
        return head
    ends = list(re.finditer(r"[.!?](?=\s)", head))
    return head[: ends[-1].end()] if ends else ""


# --------------------------------------------------------------------------- author form


def _events_author_form(blocks: Sequence[Block], ctx: _Context) -> Iterator[_Event]:
    """Events of an issue whose items open with "Title (Authors) ...:"."""
    headings = _heading_lines(blocks, ctx)
    titles = _title_lines(blocks, ctx)
    for i, block in enumerate(blocks):
        if (
            block.level is not None
            and _heading_name(block) not in ctx.levels
            and _names_item(block)
        ):
            yield _heading_opening(block)  # "### Title (4 minute read)" over its text
        elif block.level is not None:
            yield _heading_event(block.text, block.level, ctx, explicit=True)
        elif i in titles:
            # A story with no "(Authors)" among those with: "Title" over its text.
            yield _Opening(_clean_title(block.text), None, None)
        elif i in headings:
            yield _heading_event(block.text, None, ctx)
        else:
            yield from _events_in_paragraph(block, ctx)


def _strong_heading(text: str, ctx: _Context) -> bool:
    """A heading by its form alone: in capitals, or a known heading name."""
    text = _EMOJI_LEAD.sub("", text)
    return _caps_word(text.replace(" ", "")) or text.casefold() in ctx.levels


# Emoji before a plain-text heading: "💰 Funding", "🛠️ Tools".
_EMOJI_LEAD = re.compile(rf"^(?:{EMOJI}|\s)+(?=\w)")


def _plain_heading(
    blocks: Sequence[Block], index: int, ctx: _Context, *, lists: bool = True
) -> bool:
    """Whether a paragraph is a heading where no markup says so: in capitals or a known
    name, or (with `lists`) a short line over a list (`_over_a_list`)."""
    text = blocks[index].text
    strong = _strong_heading(text, ctx) or (lists and _over_a_list(blocks, index))
    return strong and _is_heading_line(text, ctx)


def _over_a_list(blocks: Sequence[Block], index: int) -> bool:
    """Whether a plain line of at most five words stands over a list, as its heading:
    "Tools" over "• Lovable 2.0 – build full-stack apps by chatting"."""
    block = blocks[index]
    after = blocks[index + 1] if index + 1 < len(blocks) else None
    return (
        after is not None
        and after.list_item
        and not block.list_item
        and block.level is None
        and len(_EMOJI_LEAD.sub("", block.text).split()) <= 5
    )


def _heading_lines(blocks: Sequence[Block], ctx: _Context) -> set[int]:
    """Indexes of the paragraphs that are headings by their form and position.

    A short title-like line is a heading, unless it is one of a list: a bullet, a line
    after one that ends with ":", or one of three or more such lines in a row (headings
    come one or two at a time: a section and its subsection).
    """
    marked = any(b.level is not None for b in blocks)  # then a guess must be strong
    candidates = [
        b.level is None
        and not b.list_item
        and _is_heading_line(b.text, ctx)
        and (not marked or _strong_heading(b.text, ctx))
        for b in blocks
    ]
    headings: set[int] = set()
    i = 0
    while i < len(blocks):
        if not candidates[i]:
            i += 1
            continue
        j = i
        while j < len(blocks) and candidates[j]:
            j += 1
        run = range(i, j)
        after_colon = i > 0 and blocks[i - 1].text.rstrip().endswith(":")
        all_known = all(blocks[k].text.casefold() in ctx.levels for k in run)
        if all_known or (len(run) <= 2 and not after_colon):
            headings.update(run)
        else:
            # A list may end right before a heading in capitals or a known name.
            tail = j
            while tail > i and j - tail < 2 and _strong_heading(blocks[tail - 1].text, ctx):
                tail -= 1
            headings.update(range(tail, j))
        i = j
    return headings


def _events_in_paragraph(block: Block, ctx: _Context) -> Iterator[_Event]:
    text = block.text
    anchors = _openings(text)
    cursor = 0
    first = True
    for anchor in anchors:
        start = _title_start(text, cursor, anchor.start())
        if start is None:
            continue
        region = text[start : anchor.start()].strip()
        tail, found, title = _split_region(
            region,
            after_read_more=_after_read_more(text, start),
            run_together=len(anchors) > 1,
            ctx=ctx,
            guess=anchor["kind"] is None,  # TLDR's titles are not in Title Case
            context=(
                text[max(cursor, start - 1500) : start],
                text[anchor.end() : anchor.end() + 1500],
            ),
        )
        if not title:
            continue
        body = text[cursor:start].strip()
        if tail:
            body = f"{body} {tail}".strip()
        if body:
            yield from _body_events(body, ctx, first=first, run_together=len(anchors) > 1)
            first = False
        yield from found
        title_start = anchor.start() - len(title)
        yield from _title_openings(title, title_start, anchor, block)
        first = False
        cursor = anchor.end()
    rest = text[cursor:].strip()
    if rest and not anchors:
        yield _Text(text.strip(), new_paragraph=True, links=block.links)
    elif rest:
        yield from _body_events(rest, ctx, first=first, run_together=len(anchors) > 1)


_JOINED = re.compile(rf"^(?P<first>.+?)\s*\((?P<authors>{_AUTHOR_LIST})\),? and (?P<second>\S.+)$")


def _title_openings(title: str, start: int, anchor: re.Match, block: Block) -> Iterator[_Opening]:
    """The opening(s) a title makes: "A (Authors A) and B" is two papers read together."""
    summarizer = squash(anchor["summarizer"] or anchor["summarizer_only"] or "") or None
    authors = _clean_authors(anchor["authors"])
    joined = _JOINED.match(title)
    if joined:
        second_start = start + joined.start("second")
        yield _Opening(
            title=_clean_title(joined["first"]),
            authors=_clean_authors(joined["authors"]),
            summarizer=None,
            url=_link_for(block, start, start + joined.end("first")),
        )
        yield _Opening(
            title=_clean_title(joined["second"]),
            authors=authors,
            summarizer=summarizer,
            url=_link_for(block, second_start, anchor.start()),
        )
        return
    yield _Opening(
        title=_sponsored(_clean_title(title), anchor),
        authors=authors,
        summarizer=summarizer,
        url=_link_for(block, start, anchor.start()),
    )


def _sponsored(title: str, anchor: re.Match) -> str:
    """`title`, saying so when the item is an advertisement ("Title (Sponsor)"): the
    listener should know it, as the reader does."""
    return f"{title} (Sponsor)" if anchor["kind"] == "Sponsor" else title


def _body_events(body: str, ctx: _Context, *, first: bool, run_together: bool) -> Iterator[_Event]:
    """An item's text; where items run together, also the headings and authorless items in it.

    In flattened text "... last sentence. News Research Engineer at Ought: Ought is
    hiring ..." is a heading and an item with no authors, known by the heading's name
    and the Title Case lead-in that ends with a colon.
    """
    pos = 0
    for start in _heading_starts(body) if run_together else ():
        if start < pos:
            continue
        chain = _heading_chain(body, start, ctx)
        lead_in = _LEAD_IN.match(body, chain[0]) if chain else None
        if not chain or not lead_in or not _is_title_case(lead_in.group()):
            continue
        before = body[pos:start].strip()
        if before:
            yield _Text(before, new_paragraph=first)
        yield from chain[1]
        yield _Opening(title=lead_in.group().rstrip(": "), authors=None, summarizer=None)
        first = True
        pos = lead_in.end()
    rest = body[pos:].strip()
    if rest:
        yield _Text(rest, new_paragraph=first)


_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*\s+(?=[A-Z])")
_LEAD_IN = re.compile(r"[A-Z0-9“\"][^.!?:]{2,100}:(?=\s)")


def _heading_starts(body: str) -> list[int]:
    """Where a heading may start in flattened text: after a sentence, or its link labels."""
    starts = []
    for m in _SENTENCE_END.finditer(body):
        starts.append(m.end())
        labels_end = m.end() + _labels_end(body[m.end() :])
        if labels_end > m.end():
            starts.append(labels_end)
    return starts


def _openings(text: str) -> list[re.Match]:
    """The "(Authors) (summarized by Name):" matches in `text` that open an item."""
    return [m for m in _ANCHOR.finditer(text) if _is_opening(text, m)]


def _is_opening(text: str, m: re.Match) -> bool:
    """Whether an "(Authors)" match opens an item rather than being a parenthesis in prose."""
    if m["kind"] is not None:
        return _precedes_title(text, m.start())
    if m["summarizer_only"] is not None:
        return m["colon2"] is not None or _followed_by_capital(text, m.end())
    if m["summarizer"] or m["colon"]:
        return _precedes_title(text, m.start())
    authors = m["authors"]
    single_token = " " not in authors.strip() and "," not in authors
    if single_token or authors.isupper():
        return False
    if re.fullmatch(r"(?:[A-Z]{2,}\s?)+", authors):
        return False
    return _precedes_title(text, m.start(), strict=True) and _followed_by_capital(text, m.end())


def _precedes_title(text: str, pos: int, *, strict: bool = False) -> bool:
    """The text right before `pos` can end a title (strictly: a capitalised word or "?")."""
    before = text[max(0, pos - 400) : pos].rstrip()
    if not before or re.search(r"[,;(]$", before):
        return False
    if not strict:
        return True
    # The title runs back to the last sentence end or line start; it starts like one.
    ends = [m.end() for m in re.finditer(r"[.!?:][\"'”’)]*\s+|\n", before)]
    if not ends and pos > len(before):
        return True  # a long title-like run: no sentence end in sight
    head = before[max(ends, default=0) :].lstrip()
    return bool(head) and (head[0].isupper() or head[0].isdigit() or head[0] in "“\"'‘[")


def _followed_by_capital(text: str, pos: int) -> bool:
    rest = text[pos:].lstrip()
    return not rest or rest[0].isupper() or rest[0].isdigit() or rest[0] in "[“\"'‘"


def _title_start(text: str, lower: int, anchor: int) -> int | None:
    """Where the title before `anchor` starts: after the last sentence end or line break."""
    region = text[lower:anchor]
    # The title may end in "?" or "!" right before the authors; that is not a boundary.
    stripped = region.rstrip()
    limit = (
        len(stripped) - 1 if stripped.endswith(("?", "!", ".", "’", "'", "”")) else len(stripped)
    )
    best = 0
    for m in re.finditer(r"[.!?…][\"'”’)\]]*\s+|:\s+|\n", region[:limit]):
        if m.group().startswith(":") and not _READ_MORE.search(
            region[max(0, m.start() - 12) : m.end()]
        ):
            continue
        if m.group()[0] == "." and _is_abbreviation(region, m.start()):
            continue
        best = m.end()
    best = _extend_over_title_question(region, best)
    return lower + best


def _is_abbreviation(text: str, dot: int) -> bool:
    word = re.search(r"([\w.]+)$", text[:dot])
    if not word:
        return False
    w = word.group(1).lower()
    if w in _ABBREVIATIONS or w.rstrip(".") in _ABBREVIATIONS:
        return True
    if re.fullmatch(r"[a-z]", w):  # an initial: "John S. Wentworth"
        return text[dot - 1].isupper()
    return bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", w))  # "U.S", "A.I"


def _extend_over_title_question(region: str, start: int) -> int:
    """Take "Title? Subtitle" whole when a question in Title Case ends the last sentence."""
    if start < 2 or region[start - 2 : start].strip() not in ("?", "!"):
        return start
    prev = max(
        (m.end() for m in re.finditer(r"[.!?][\"'”’)]*\s+|\n", region[: start - 2])), default=0
    )
    candidate = region[prev:start].strip()
    if 1 <= len(candidate.split()) <= 12 and _is_title_case(candidate):
        return prev
    return start


def _after_read_more(text: str, start: int) -> bool:
    return bool(re.search(r"Read more\s*:\s*$", text[max(0, start - 14) : start]))


# --------------------------------------------------------------------------- regions


def _split_region(
    region: str,
    *,
    after_read_more: bool,
    run_together: bool,
    ctx: _Context,
    context: tuple[str, str] = ("", ""),
    guess: bool = True,
) -> tuple[str, list[_Heading], str]:
    """Split the text before an item's authors into (tail of the last item, headings, title).

    The region is what stands between the end of the previous item's last sentence and
    the "(Authors)" of this one: possibly link labels of a "Read more:", then headings,
    then the title. Headings are looked for only where items run together in one block
    (text flattened to one line); elsewhere a heading has a block of its own. One that
    the show settings or the newsletter's own list name is looked for after any word
    (the text before it ends the last item, or the preamble); a sentence-case phrase is
    guessed to be one only when `guess` (titles are in Title Case).
    """
    words = list(re.finditer(r"\S+", region))
    if not words:
        return "", [], ""
    starts = [w.start() for w in words]
    if m := re.search(r"(?:^|\s)((?:Response|Reply|Rebuttal)\s*:\s*\S)", region):
        cut = m.start(1)
        tail, found = region[:cut].strip(), []
        head_chain = _heading_chain_ending_at(region[:cut], ctx)
        if head_chain is not None:
            tail, found = head_chain
        return tail, found, region[cut:].strip()
    # Headings start the region, or follow "Read more:" labels; a heading in capitals
    # ("TECHNICAL AI ALIGNMENT") is known by its form wherever it stands.
    candidates = (
        starts
        if after_read_more
        else [0, *(w.start() for w in words if _caps_word(w.group()) or _given_at(region, w, ctx))]
    )
    for start in candidates if run_together else ():
        chain = _heading_chain(region, start, ctx)
        if chain is not None:
            end, found = chain
            title = region[end:].strip()
            if _title_ok(title):
                return region[:start].strip(), found, title
    if after_read_more:
        label_end = _labels_end(region)
        title = region[label_end:].strip()
        if re.match(r"(?:Paper|Blog post|Post|Article|Talk|Video|Podcast|Book)\s*:\s", title):
            # "Paper: Its Title" as the label, run into the next item's title.
            split = _best_title_split(title, *context)
            return (region[:label_end] + title[:split]).strip(), [], title[split:].strip()
        if _title_ok(title):
            return region[:label_end].strip(), [], title
    guessed = _guess_unknown_headings(region, ctx) if run_together and guess else None
    if guessed is not None:
        end, found = guessed
        return "", found, region[end:].strip()
    return "", [], region


def _given_at(region: str, word: re.Match, ctx: _Context) -> bool:
    """Whether a heading the show settings or the newsletter's own list name starts at
    `word` of `region`."""
    if not ctx.given:
        return False  # (the usual case: no casefolding for every word of every title)
    folded = region[word.start() : word.start() + 80].casefold()
    return any(folded.startswith(name) for name in ctx.given)


def _caps_word(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 3 and word.isupper() and _mostly_letters(word)


def _mostly_letters(text: str) -> bool:
    """Whether most of `text`'s characters (spaces aside) are letters."""
    chars = text.replace(" ", "")
    return sum(c.isalpha() for c in chars) >= 0.6 * len(chars)


def _content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z][a-z\-]{3,}", text.lower()) if w not in _MINOR]


def _best_title_split(text: str, preceding: str, following: str) -> int:
    """Where a link label's title ends and the next item's title begins, in "Paper: A B".

    Both are Title Case, so the words decide: the label names the paper of the item it
    ends, so its words are the words of that item's text; the next title's words are
    those of its own summary. Each word leans to the side where it is relatively more
    frequent, and the split puts the most lean on the right side of each.
    """
    words = list(re.finditer(r"\S+", text))
    before, after = _content_words(preceding), _content_words(following)

    def lean(word: str) -> float:
        if word not in before and word not in after:
            return 0.0
        rate_before = (before.count(word) + 0.5) / (len(before) + 1)
        rate_after = (after.count(word) + 0.5) / (len(after) + 1)
        return math.log(rate_before / rate_after)

    best, best_score = words[-1].start() if len(words) > 1 else 0, -math.inf
    for k in range(2, len(words)):
        word = words[k].group()
        if not (word[0].isupper() or word[0].isdigit()):
            continue
        left = _content_words(text[: words[k].start()])
        right = _content_words(text[words[k].start() :])
        if not left or not right:
            continue
        score = sum(map(lean, left)) - sum(map(lean, right))
        if score > best_score:
            best, best_score = words[k].start(), score
    return best


def _heading_chain(region: str, start: int, ctx: _Context) -> tuple[int, list[_Heading]] | None:
    """Known headings at `start`: a section, a subsection, or a section then a subsection."""
    found: list[_Heading] = []
    pos = start
    last_level = 0
    while True:
        match = _known_heading_at(region, pos, ctx)
        if match is None:
            break
        name, end, level = match
        if level <= last_level or (found and name == found[-1].name):
            break
        if not found and ctx.current and ctx.current[-1].casefold() == name.casefold():
            break
        if found and found[-1].name == known.HIGHLIGHTS:
            break  # Highlights have no subsections
        found.append(_Heading(name, level))
        last_level = level
        pos = end
        while pos < len(region) and region[pos] == " ":
            pos += 1
        if level == 2:
            break
    return (pos, found) if found else None


def _heading_chain_ending_at(text: str, ctx: _Context) -> tuple[str, list[_Heading]] | None:
    """Headings at the end of `text` (before "Response: ..."), with what precedes them."""
    for m in re.finditer(r"(?:^|\s)(?=\S)", text):
        start = m.end()
        chain = _heading_chain(text, start, ctx)
        if chain and text[chain[0] :].strip() == "":
            return text[:start].strip(), chain[1]
    return None


def _known_heading_at(region: str, pos: int, ctx: _Context) -> tuple[str, int, int] | None:
    """The longest known heading name starting at `pos` and ending at a word boundary."""
    best = None
    rest = region[pos : pos + 80]
    folded = rest.casefold()
    for key, level in ctx.levels.items():
        if folded.startswith(key) and (len(rest) == len(key) or rest[len(key)] == " "):
            written = rest[: len(key)]
            # Headings keep their own spelling, or are in capitals; "Adversarial Examples
            # Are Not Bugs" is a title, not the heading "Adversarial examples".
            if written != ctx.names[key] and not written.isupper():
                continue
            if best is None or len(key) > len(best[0]):
                best = (key, level)
    if best is None:
        return None
    key, level = best
    return ctx.names[key], pos + len(key), level


def _labels_end(region: str) -> int:
    """Where the link labels at the start of `region` ("Paper and Author response") end."""
    pos = 0
    while m := _LABEL_RE.match(region, pos):
        if m.end() == pos:
            break
        pos = m.end()
    return pos


def _guess_unknown_headings(region: str, ctx: _Context) -> tuple[int, list[_Heading]] | None:
    """A sentence-case phrase run into a Title Case title: "Value alignment Title Of Paper".

    Only taken when the evidence is strong: the phrase is one to four words whose words
    after the first are lower case (or acronyms), and the rest reads as a Title Case title
    with at least two capitalised words.
    """
    words = region.split()
    for k in range(min(4, len(words) - 2), 0, -1):
        head, title_words = words[:k], words[k:]
        if not all(w.islower() or w.isupper() or w in ("(AI)", "(Alignment)") for w in head[1:]):
            continue
        if not head[0][0].isupper() or len(title_words) < 2:
            continue
        title = " ".join(title_words)
        caps = sum(1 for w in title_words if w[0].isupper() and not w.isupper())
        if head[-1].lower() in _MINOR or any(w.lower() in _MINOR for w in head[:1]):
            continue
        if k >= 2 and head[-1].islower() and caps >= 2 and _is_title_case(title):
            end = len(" ".join(head))
            return end, [_Heading(" ".join(head), None)]
    return None


_MINOR = {
    "a",
    "an",
    "the",
    "and",
    "or",
    "but",
    "nor",
    "of",
    "in",
    "on",
    "for",
    "to",
    "with",
    "from",
    "by",
    "at",
    "as",
    "via",
    "vs",
    "vs.",
    "into",
    "onto",
    "over",
    "per",
    "is",
    "are",
    "do",
    "does",
    "be",
    "not",
    "than",
    "that",
    "up",
    "out",
    "its",
    "their",
    "we",
    "can",
    "it",
}


def _is_title_case(text: str) -> bool:
    """Most words capitalised, apart from short function words.

    >>> _is_title_case("How Well do Feature Visualizations Support Causal Understanding?")
    True
    >>> _is_title_case("This paper tries to evaluate whether it helps")
    False
    """
    words = [w.strip("\"'“”‘’()[]:,?!.") for w in text.split()]
    words = [w for w in words if w and w[0].isalpha()]
    if not words or not words[0][0].isupper():
        return False
    major = [w for w in words[1:] if w.lower() not in _MINOR]
    if not major:
        return True
    capitalised = sum(1 for w in major if w[0].isupper())
    return capitalised / len(major) >= 0.6


def _title_ok(title: str) -> bool:
    return bool(title) and (title[0].isupper() or title[0].isdigit() or title[0] in "“\"'‘[")


def _clean_title(title: str) -> str:
    title = squash(title).strip(" :")
    if len(title) >= 2 and title[0] in '“"' and title[-1] in '”"':
        title = title[1:-1]
    return title


def _clean_authors(authors: str | None) -> str | None:
    return squash(authors) if authors else None


def _link_for(block: Block, start: int, end: int) -> str | None:
    """The URL of a link that covers the title, when the reader kept one."""
    for link_start, link_end, url in block.links:
        if link_start < end and link_end > start:
            return url
    return None


# --------------------------------------------------------------------------- headings


# A date, as a post's byline gives it: "Jan 15", "Jan 15, 2025", "Wednesday, March 5".
_SHORT_DATE = re.compile(rf"{_WEEKDAY}{_MONTH} \d{{1,2}}(?:,? \d{{4}})?")
# A line that names the issue's sponsor: "Together with Acme", "Presented by Acme".
_SPONSOR_LINE = re.compile(
    r"(?i)(?:together with|presented by|brought to you by|sponsored by|in partnership with"
    r"|powered by)\s+\S"
)


def _is_heading_line(text: str, ctx: _Context) -> bool:
    """A paragraph that is a heading: a known name, ALL CAPS, or a short title-like line."""
    text = _EMOJI_LEAD.sub("", text)
    if text.casefold() in ctx.levels:
        return True
    if len(text) > 80 or len(text.split()) > 9 or _ANCHOR.search(text):
        return False
    if re.search(r"[.!?:,;]$", text) or _READ_MORE.match(text) or _BOILERPLATE.search(text):
        return False
    if _SPONSOR_LINE.match(text):
        return False  # "Together With Rokt": read in the introduction
    if _SHORT_DATE.fullmatch(text):
        return False  # a post's date: "Jan 15"
    if _labels_end(text) >= len(text.rstrip()):
        return False  # a line of link labels: "[Paper] [Blog post]"
    if text.isupper() and len(text) >= 3:
        return _mostly_letters(text)  # not a market's line: "NASDAQ 18,350.19 -2.64%"
    return text[0].isupper() and not re.search(r"https?://", text)


# How a heading is numbered: "1. ", "2) ", "3/ ", "#4 — ", "5 - ".
_ENUMERATION = re.compile(r"^(?:#?\d{1,2}[.)/]|#\d{1,2}\s*[—–:-]?|\d{1,2}\s+[—–-])\s+")


def _heading_event(
    text: str, level: int | None, ctx: _Context, *, explicit: bool = False
) -> _Heading:
    name = squash(text).strip("#*_ ").rstrip(":")
    name = _ENUMERATION.sub("", name) or name  # "1. The big story", "#2 — Papers"
    if name.isupper():
        # An e-mail's "TECHNICAL AI ALIGNMENT": the name in its usual spelling.
        name = ctx.names.get(name.casefold()) or _title_case(name)
    known_level = ctx.levels.get(name.casefold())
    return _Heading(name, level if explicit else known_level, explicit)


_ACRONYMS = {"AI", "ML", "RL", "NLP", "AGI", "IDA", "CIRL", "LLM", "LLMS", "GPT", "US", "UK", "EU"}
# Names whose capitals are not only the first letter, as a heading in capitals hides them.
_CAMEL_CASE = {
    name.upper(): name
    for name in (
        *("OpenAI", "DeepMind", "DeepSeek", "xAI", "GitHub", "YouTube", "LinkedIn"),
        *("ChatGPT", "HuggingFace", "PyTorch", "TensorFlow", "iPhone", "iOS", "macOS", "GovAI"),
    )
}


def _title_case(text: str) -> str:
    """A heading in capitals in the usual spelling of a title: "UNITED STATES AND THE EU"
    -> "United States and the EU" (a known heading has its own: "Technical AI
    alignment")."""
    words = text.split()
    out = []
    for i, word in enumerate(words):
        bare = word.strip("()")
        if bare in _ACRONYMS:
            out.append(word)
        elif bare in _CAMEL_CASE:
            out.append(word.replace(bare, _CAMEL_CASE[bare]))
        elif i > 0 and bare.lower() in _MINOR:
            out.append(word.lower())
        else:
            out.append(
                word.capitalize() if not word.startswith("(") else "(" + word[1:].capitalize()
            )
    return " ".join(out)


# --------------------------------------------------------------------------- label form


def _events_label_form(
    blocks: Sequence[Block], ctx: _Context, *, marked: bool = False
) -> Iterator[_Event]:
    """Events of an issue whose items end with a link label ("... Paper"), no authors.

    The ML Safety Newsletter form: Title Case title, text, "Paper"; "Other Recent ...
    News/Papers" blocks of one-line items; "Other News" with "Title." lead-ins. An issue
    with `marked` headings, or whose lines open items with "Title:", is read by its
    blocks instead (`_events_label_blocks`).
    """
    text = "\n".join(b.text for b in blocks if b.level is None)
    if marked:
        # With marked headings (Markdown/HTML, the title's at least) the blocks carry
        # the structure.
        yield from _events_label_blocks(blocks, ctx)
        return
    preamble, rest = _split_preamble(text)
    chunks = _split_on_labels(rest)
    if len(chunks) < 2 and not _OTHER_BLOCK.search(rest):
        titles = _title_lines(blocks, ctx)
        lead_ins = sum(bool(_lead_in_opening(b)) for b in blocks)
        headings = sum(_plain_heading(blocks, i, ctx) for i in range(len(blocks)))
        if lead_ins >= 2 or len(titles) >= 2 or headings + bool(titles or lead_ins) >= 2:
            # Paragraphs on lines of their own, items opened by "Title:" lines or by
            # title lines over their text, or text under headings in capitals.
            yield from _events_label_blocks(blocks, ctx, titles=titles)
            return
        if (unflattened := _unflatten(text) or _unflatten_titled(text, ctx)) is not None:
            # Flattened, with headings in capitals and stories in labelled parts; or
            # with no such headings, each story's title before its first part's label.
            lines, titles = unflattened
            yield from _events_label_blocks(lines, ctx, titles=titles)
            return
        # No item ends with a link label: there is no structure to find. Its paragraphs
        # are read as they are.
        for block in blocks:
            if block.level is None:
                yield _Text(block.text, new_paragraph=True, links=block.links)
        return
    if preamble:
        yield _Text(preamble, new_paragraph=True)
    events = (e for chunk in chunks for e in _label_chunk_events(chunk, ctx))
    yield from _sections_from_other_blocks(events)


# In text flattened to one line: a heading in capitals at a sentence's or a line's
# start, of up to 8 words, before a word with a capital or the line's end ("... 4 new
# AI tools. LATEST DEVELOPMENTS OPENAI GPT-4.5 comes"; "OTHER PROGRESS IN AI
# UNSUPERVISED LEARNING", a section and a subsection); a sentence.
_FLAT_HEADING = re.compile(
    r"(?:(?<=[.!?:] )|^)(?P<head>(?:[A-Z][A-Z&'’-]+ ){0,7}[A-Z][A-Z&'’-]+)(?= [A-Z0-9\"“]|\n)",
    re.MULTILINE,
)
_FLAT_SENTENCE = re.compile(r"(?:(?<=[.!?] )|^)[A-Z\"“]")


def _caps_heading(words: str) -> bool:
    """Whether a run of words in capitals may be a heading: four letters or more, and
    mostly letters (not a market's "S&P 5,849.72")."""
    return sum(c.isalpha() for c in words) >= 4 and _mostly_letters(words)


# Words that end a heading's name, not begin the next one's ("LATEST DEVELOPMENTS").
_HEADING_WORDS = {
    *("news", "updates", "developments", "hits", "tools", "links", "stories", "research"),
    *("today", "reads", "jobs", "events", "papers", "picks", "week", "briefs", "bits"),
    *("more", "else", "safety", "policy", "ai", "alignment", "governance", "opportunities"),
}


def _recurring_flat_labels(text: str) -> list[tuple[int, str]]:
    """Where the labels of stories' parts start in flattened text, and the labels: the
    longest run of words before a colon, from a capital, that comes before another colon
    too ("The Rundown" in "Plus users The Rundown: ..." and in "in search The Rundown:
    ..."); not "Name's opinion"."""
    colons = [m.start() for m in re.finditer(r"(?<=\w):\s", text)]
    choices: list[list[tuple[int, str]]] = []
    for colon in colons:
        words = list(re.finditer(r"[\w'’.-]+", text[max(0, colon - 80) : colon]))[-5:]
        offset = max(0, colon - 80)
        choices.append(
            [
                (offset + w.start(), text[offset + w.start() : colon])
                for w in words
                if w.group()[:1].isupper()
            ]
        )
    counts = collections.Counter(label.casefold() for found in choices for _, label in found)
    recurring = []
    for found in choices:
        kept = [(start, label) for start, label in found if counts[label.casefold()] >= 2]
        kept = [(k, label) for k, label in kept if not _PLAIN_OPINION.match(f"{label}: ")]
        if kept:
            recurring.append(kept[0])  # the longest: it starts first
    return recurring


def _unflatten(text: str) -> tuple[list[Block], set[int]] | None:
    """Text flattened to one line, with no "(Authors)" and no link labels, as the lines
    it was: its headings in capitals, each story's title (what stands between a heading
    and the first label of the story's parts), each labelled part ("The details: ...",
    a label that recurs), and the editor's sign-off; with the indexes of the titles.
    None unless it has two headings and four labelled parts."""
    heads = [m for m in _FLAT_HEADING.finditer(text) if _caps_heading(m["head"])]
    recurring = _recurring_flat_labels(text)
    if len(heads) < 2 or len(recurring) < 4:
        return None
    first_label = recurring[0][1].casefold()  # "The Rundown:" opens each story
    cuts = {start: "label" for start, _ in recurring}
    for m in heads:
        cuts[m.start()] = "heading"
        cuts.setdefault(m.end() + 1, "after heading")
        words = m["head"].split()
        if len(words) >= 3 and words[-1].casefold() not in _HEADING_WORDS:
            # "LATEST DEVELOPMENTS OPENAI": a section, then the name of its first part
            cuts[m.end() - len(words[-1])] = "heading"
    if (sign_off := _flat_sign_off(text)) is not None:
        cuts.setdefault(sign_off, "sign-off")
    starts = sorted({0, *cuts})
    lines: list[Block] = []
    titles: set[int] = set()
    for start, end in itertools.pairwise([*starts, len(text)]):
        piece = text[start:end].strip()
        if not piece:
            continue
        nxt = text[end:].lstrip()
        opens_story = nxt.casefold().startswith(first_label + ":")
        if cuts.get(start) == "after heading" and opens_story and len(piece.split()) <= 15:
            titles.add(len(lines))  # "GPT-4.5 comes to Plus users" before "The Rundown:"
        lines.append(Block(piece))
    return lines, titles


# A known label of a story's part after a sentence in flattened text: "... users. How
# it works: The model ...".
_FLAT_PART = re.compile(r"(?:(?<=[.!?…)] )|(?<=\n))(?P<title>[A-Z][^.!?:\n]{2,40}):(?= \S)")
# Where a sentence ends before a title: "... learning! Andrew News Meta Releases ...".
_FLAT_BREAK = re.compile(r"[.!?…]['’\"”)]?(?=\s)|\n")


def _unflatten_titled(text: str, ctx: _Context) -> tuple[list[Block], set[int]] | None:
    """Text flattened to one line with no headings in capitals, whose stories each open
    with the same label after their title ("Meta Releases Llama 3.1 What's new: ..."),
    as the lines it was: each story's title (the words from the sentence before it to
    its first label), with a known section's name that comes before a title as its
    heading ("Andrew News Meta Releases ...": the sign-off's name, then "News"); each
    part with a label that recurs or is known ("How it works:"); and the sign-off; with
    the indexes of the titles. None unless two stories or more open so."""
    recurring = _recurring_flat_labels(text)
    if not recurring:
        return None
    first = recurring[0][1].casefold()
    cuts = {start for start, _ in recurring}  # where lines start: each part's label, ...
    cuts |= {m.start() for m in _FLAT_PART.finditer(text) if _part_label(m["title"])}
    titled: set[int] = set()  # ... and each story's title, with what comes before it
    for start, label in recurring:
        if label.casefold() != first:
            continue
        ends = [m.end() for m in _FLAT_BREAK.finditer(text, max(0, start - 200), start)]
        begin = ends[-1] if ends else max(0, start - 200)
        run = text[begin:start].strip()
        words = run.split()
        if not run[:1].isupper() or not 1 <= len(words) <= 15:
            continue
        at = begin + text[begin:start].index(run)
        title = at
        if (heading := _name_before_title(words, ctx)) is not None:
            before, size = heading
            offsets = [m.start() for m in re.finditer(r"\S+", run)]
            # the sign-off's name on its line, the heading, the title
            cuts |= {at, at + offsets[before]}
            title = at + offsets[before + size]
        cuts.add(title)
        titled.add(title)
    if len(titled) < 2:
        return None
    if (sign_off := _flat_sign_off(text)) is not None:
        cuts.add(sign_off)
    lines: list[Block] = []
    titles: set[int] = set()
    for start, end in itertools.pairwise([*sorted({0, *cuts}), len(text)]):
        piece = text[start:end].strip()
        if piece:
            if start in titled:
                titles.add(len(lines))
            lines.append(Block(piece))
    return lines, titles


def _name_before_title(words: Sequence[str], ctx: _Context) -> tuple[int, int] | None:
    """Where a known section's name stands in the words before a story's first label,
    with words of the title after it and at most two words before it (a sign-off's
    name): (index of its first word, its number of words); None when none does."""
    for first in range(min(3, len(words) - 1)):
        for size in range(min(5, len(words) - first - 1), 0, -1):
            if " ".join(words[first : first + size]).casefold() in ctx.levels:
                return first, size
    return None


def _flattened(text: str) -> bool:
    """Whether `text` is mostly one long line (an issue flattened to one line)."""
    longest = max(text.splitlines(), key=len, default="")
    return len(longest) >= 400 and len(longest) >= 0.6 * len(text.strip())


# Marks in flattened text of where its lines were (`relined`): a rule of dashes or the
# like; Mailchimp's "** " before a heading or a link's title; a link's address ending a
# line (with Hacker News' "(comments)" after it), and a bare address starting one; a row
# of short links ("View Online | Sign Up | Advertise"); a signature ("—Neal Freyman"); a
# footer's "Unsubscribe" or "Copyright ©".
_FLAT_RULE = re.compile(r"\s*(?<!\S)([-=_~]{5,}|\*{3,}|\* \* \*)(?=\s|$)\s*")
_FLAT_STARS = re.compile(r"\s+(?=\*\* [A-Z0-9])")
_FLAT_COMMENTS = r"(?:\s+\((?:comments?|discussion)\b[^)]*\))?"
_FLAT_ADDRESS_END = re.compile(
    rf"(?P<address>\(https?://[^\s)]+\)|(?<!\S)https?://\S+?){_FLAT_COMMENTS}\s+(?=[A-Z\"“*/])"
)
_FLAT_ADDRESS_START = re.compile(
    rf"(?<=[\w?!’'\"”])\s+(?=https?://\S+(?<![.,;:!?]){_FLAT_COMMENTS}\s+[A-Z\"“*/])"
)
# "// Show HN Show HN: A tiny ...": a heading after "//", of a word and one in capitals.
_FLAT_SLASHED = re.compile(r"(?<!\S)// [A-Z][\w’'&-]*(?: [A-Z][A-Z0-9]+)?(?= [A-Z0-9\"“])")
_FLAT_SIGNATURE = re.compile(r"(?<=[.!?] )(?=[—–]\s?[A-Z])")
_FLAT_FOOTER = re.compile(r"(?<=\S)\s+(?=Unsubscribe\b|Copyright ©)")
# In its first lines: the issue's date or number ending a line ("#689 - February 21,
# 2025 Hi everyone"), and a greeting starting one ...
_FLAT_DATED = re.compile(rf"(?:{_DATE}|#\d+(?: [-–—] {_DATE})?)(?= [A-Z])")
_FLAT_GREETING = re.compile(
    r"(?<=\S )(?=(?:Good (?:morning|afternoon|evening)|Hi|Hello|Hey|Howdy|Welcome|Dear)\b)"
)
# ... and a byline: "... scientific agents Jack Clark, Nov 20, 2023".
_FLAT_BYLINE = re.compile(rf"(?<=\S)\s+(?=[A-Z][\w’'-]+(?: [A-Z][\w’'-]+){{1,2}}, {_DATE})")
_MASTHEAD_CHARS = 400
# A story's title before ":" after a sentence or a rule, its text after: "... readers.
# Robots that fold laundry: …A new dataset ..." (Import AI's "Title:" lines).
_FLAT_LEAD_IN = re.compile(
    r"(?:(?<=[.!?…)] )|(?<=\n))(?P<title>[A-Z][^.!?:\n]{2,99}[^\s.!?:\d]):(?= […A-Z\"“])"
)


def relined(text: str) -> str:
    """Flattened plain text with the line breaks its marks show put back, on lines of
    their own: its first lines' date or number, buttons, byline and greeting; rules,
    Mailchimp's "** " headings and links, links' addresses, rows of links, signatures,
    footers and headings in capitals; the sign-off; stories' "Title:" when two or more
    open so. Text without such marks is returned as it is.

    >>> print(relined("Brief #13 Hi all. ** EUROPE ------- ** Codes (https://a.eu) The office."))
    Brief #13
    <BLANKLINE>
    Hi all.
    <BLANKLINE>
    ** EUROPE
    -------
    <BLANKLINE>
    ** Codes (https://a.eu)
    The office.
    """
    head, rest = text[:_MASTHEAD_CHARS], text[_MASTHEAD_CHARS:]
    out = _stories_relined(_marks_relined(_masthead_relined(head) + rest))
    out = re.sub(r"[ \t]*\n[ \t]*", "\n", out)
    return re.sub(r"\n{3,}", "\n\n", out).strip("\n") if out != text else text


def _masthead_relined(head: str) -> str:
    """The first lines of flattened text (`relined`), with breaks after the date or
    number that ends the name's line and after a button, and before a byline and a
    greeting."""
    head = _FLAT_DATED.sub(lambda m: m[0] + "\n\n", head)
    head = _FLAT_GREETING.sub("\n\n", head)
    head = _FLAT_BUTTON.sub(lambda m: m[0] + "\n\n", head)
    return _FLAT_BYLINE.sub("\n\n", head)


def _marks_relined(text: str) -> str:
    """Flattened text (`relined`) with breaks where its marks stand."""
    out = _FLAT_STARS.sub("\n\n", text)
    out = _FLAT_RULE.sub(_rule_relined, out)
    out = _FLAT_ADDRESS_END.sub(_address_relined, out)
    out = _FLAT_ADDRESS_START.sub("\n", out)
    out = _FLAT_LINK_ROW.sub(lambda m: f"\n\n{m[0]}\n\n", out)
    out = _FLAT_SIGNATURE.sub("\n\n", out)
    out = _FLAT_FOOTER.sub("\n\n", out)
    out = _FLAT_SLASHED.sub(lambda m: f"\n\n{m[0]}\n\n", out)
    return _FLAT_HEADING.sub(_heading_relined, out)


def _stories_relined(text: str) -> str:
    """Flattened text (`relined`) with its sign-off a paragraph, each "Why it matters:"
    too, and each story's "Title:" a line of its own when two or more open so, its
    "…subtitle…" (Import AI's) under it."""
    if (sign_off := _flat_sign_off(text)) is not None:
        text = f"{text[:sign_off]}\n\n{text[sign_off:]}"
    text = _FLAT_LEAD_IN.sub(_part_relined, text)
    if sum(_opens_story(m["title"]) for m in _FLAT_LEAD_IN.finditer(text)) < 2:
        return text  # one alone may be any sentence's "Note:"
    text = _FLAT_LEAD_IN.sub(_story_relined, text)
    return re.sub(r"(?<=\n)[ \t]*(…[^…\n]{3,200}…)\s+", "\\1\n\n", text)


def _part_relined(m: re.Match) -> str:
    """A story's part's "Label:" ("Why it matters:") starting a paragraph."""
    return f"\n\n{m[0]}" if _part_label(m["title"]) else m[0]


def _story_relined(m: re.Match) -> str:
    """A story's "Title:" on a line of its own."""
    return f"\n\n{m[0]}\n\n" if _opens_story(m["title"]) else m[0]


def _part_label(title: str) -> bool:
    """Whether a "Title:" labels a story's part ("Why it matters:")."""
    return bool(_PART_LABEL.match(title.replace("’", "'")))


def _flat_sign_off(text: str) -> int | None:
    """Where the editor's sign-off starts in flattened text: the first sentence of the
    last 300 characters that signs off ("That's it for today!"), if any."""
    starts = (m.start() for m in _FLAT_SENTENCE.finditer(text, max(0, len(text) - 299)))
    return next((k for k in starts if _SIGN_OFF.match(text, k)), None)


_CLAUSE_END_WORDS = {"that", "following", "the", "a", "an", "of", "to", "and", "or", "is", "are"}
_CLAUSE_END_WORDS |= {"was", "were", "as", "by", "for", "with", "in", "on", "this", "these"}


def _opens_story(title: str) -> bool:
    """Whether "Title:" in flattened text may open a story: of ten words at most, with no
    comma, not ending as a clause does ("... is the following:"), and not a label of a
    story's part ("Why this matters:", "Read more:"), an opinion or a response."""
    words = title.split()
    return (
        len(words) <= 10
        and "," not in title
        and words[-1].casefold() not in _CLAUSE_END_WORDS
        and not _part_label(title)
        and not _PLAIN_OPINION.match(f"{title}:")
        and not _OPINION.match(f"{title}: ")
        and not _RESPONSE.match(f"{title}: ")
    )


def _line_before(m: re.Match, most: int) -> str:
    """The text before a match on its line, or the last `most` characters of it."""
    window = m.string[max(0, m.start() - most) : m.start()]
    return window[window.rfind("\n") + 1 :]


def _rule_relined(m: re.Match) -> str:
    """A rule in flattened text on a line of its own: under a heading's short line (as
    its underline), else after a blank line."""
    line = _line_before(m, 61).strip()
    underline = line and len(line) <= 60 and not line.endswith((".", "!", "?"))
    before = "\n" if underline else "\n\n"
    return f"{before}{m[1]}\n\n"


def _address_relined(m: re.Match) -> str:
    """A link's address ending a line in flattened text, and the break after it: a
    paragraph's after a bare address (under its title) or a button's ("View this email
    in your browser (https://...)"), else a line's (the text under the title follows)."""
    line = _line_before(m, 100).strip(" *")
    button = len(line) < 100 and re.fullmatch(_BUTTON, line, re.IGNORECASE)
    return m[0].rstrip() + ("\n" if m[0][0] == "(" and not button else "\n\n")


_JOINING_CAPS = {"IN", "OF", "FOR", "AND", "ON", "THE", "TO", "WITH", "AT", "BY", "&"}


def _heading_relined(m: re.Match) -> str:
    """A heading in capitals in flattened text on a line of its own, without a last word
    that starts the next line: one a number follows (a table's first row: "MARKETS
    NASDAQ 18,350.19"), or an acronym a word in lower case follows ("POLICY AI
    Governance in 2019"; not "PROGRESS IN AI Reinforcement learning")."""
    head, words = m["head"], m["head"].split()
    after = m.string[m.end() : m.end() + 3]
    if len(words) > 1 and (
        after[1:2].isdigit()
        or (len(words[-1]) <= 3 and words[-2] not in _JOINING_CAPS and after[2:3].islower())
    ):
        head = " ".join(words[:-1])
    if not _caps_heading(head):
        return m[0]
    return f"\n\n{head}\n\n{m[0][len(head) :].lstrip()}"


_OTHER_RECENT = re.compile(r"^Other Recent (?P<topic>.+?) (?:News|Papers|Content|Work|Research)$")


def _sections_from_other_blocks(events: Iterable[_Event]) -> Iterator[_Event]:
    """Name the sections an "Other Recent Robustness News" list closes ("Robustness").

    In this form the section heading itself is often lost; the list at the section's end
    names its topic, so the full items since the previous list form that section.
    """
    pending: list[_Event] = []
    in_brief = False
    for event in events:
        if isinstance(event, _Heading):
            m = _OTHER_RECENT.match(event.name)
            if m and pending:
                yield _Heading(m["topic"], 1)
            yield from pending
            pending = []
            yield event
            in_brief = False
        elif isinstance(event, _Opening):
            in_brief = event.brief
            (yield event) if in_brief else pending.append(event)
        elif in_brief:
            yield event
        else:
            pending.append(event)
    yield from pending


def _title_lines(blocks: Sequence[Block], ctx: _Context) -> set[int]:
    """Indexes of the plain-text lines that title the paragraph under them: short,
    title-like (`_is_heading_line`), not in capitals nor a known heading's name (those
    are sections), and followed by a paragraph of 60 characters or more that does not
    open an item of its own ("Title (Authors): ..." under a subsection's name).

    A numbered or bulleted line titles its paragraph too ("1. Title" over its story),
    unless it follows another short list line: then it is one of a list. Once one line
    titles a paragraph so, another may title a shorter one, of a sentence or more.
    """
    found, shorter = set(), set()
    for i, (block, after) in enumerate(itertools.pairwise(blocks)):
        before = blocks[i - 1] if i else None
        one_of_a_list = (
            block.list_item
            and before is not None
            and before.list_item
            and _is_heading_line(before.text, ctx)
        )
        if (
            block.level is None
            and not one_of_a_list
            and _is_heading_line(block.text, ctx)
            and not _strong_heading(block.text, ctx)
            and after.level is None
            and not after.list_item
            and not _is_heading_line(after.text, ctx)
            and not _openings(after.text)
        ):
            if len(after.text) >= 60:
                found.add(i)
            elif len(after.text) >= 25 and after.text.endswith((".", "!", "?")):
                shorter.add(i)
    return found | shorter if found else found


def _events_label_blocks(
    blocks: Sequence[Block], ctx: _Context, *, titles: Container[int] = ()
) -> Iterator[_Event]:
    """Events of an issue whose blocks carry its structure, with no "(Authors)" openings
    in its paragraphs: headings marked up (Markdown, HTML), or plain text whose stories
    open with "Title:" lines or with the title lines at the indexes `titles`, and whose
    headings are in capitals ("NEWS").

    A heading is an item's title when it names one (`_names_item`) or reads as one
    (`_long_title`; before anything else, it is the issue's subtitle), else a section or
    subsection. A paragraph or list line that opens with a link ("[Title](url): text",
    "[Title](url) by Name - text") or a bold title ("**Title.** text") is an item, and
    so is a short line that ends with ":" ("Tech Tales:"); "Summarized by Name" under
    an item's title names its summarizer, and "Opinion: ..." is its summarizer's (or
    the editor's) opinion. Other paragraphs are text, never cut at a guessed title; an
    e-mail's buttons ("View in browser", "Like"), its copyright line and links that
    only call to follow them ("Read the draft") are left out.
    """
    deepest = max((b.level for b in blocks if b.level is not None), default=0)
    levels = len({b.level for b in blocks if b.level is not None})
    beside_items = _beside_items(blocks, deepest, ctx)
    highlights_level: int | None = None
    held: _Opening | None = None  # an item's title, until the block after it is seen
    started = False  # whether anything came after the title
    summarizer: str | None = None  # the current item's
    news = _news_lines(blocks, ctx)

    # Items that "Title:" lines or bold titles open, unless they label an item's parts.
    parts = [_lead_in_opening(b) or _bold_opening(b) for b in blocks]
    labels = _recurring_labels(parts)
    for index, block in enumerate(blocks):
        titled = False  # whether this block comes right after an item's heading
        if held is not None:
            if block.level is None and (m := _SUMMARIZED_BY.match(block.text)):
                held = replace(held, summarizer=squash(m["name"]))
                summarizer = held.summarizer
                continue
            if block.level is None and held.authors is None and (m := _byline(block.text)):
                held = replace(held, authors=squash(m))  # "Lightman et al., 2023"
                continue
            yield held
            held = None
            titled = True
        if block.level is not None:
            name = _heading_name(block)
            if highlights_level is not None and block.level <= highlights_level:
                highlights_level = None
            if name == known.HIGHLIGHTS.casefold():
                highlights_level = block.level
            under_highlights = highlights_level is not None and block.level > highlights_level
            if under_highlights or (name not in ctx.levels and _names_item(block)):
                held = _heading_opening(block)
            elif name not in ctx.levels and (
                _long_title(block, deepest, levels) or index in beside_items
            ):
                # A title before anything else is the issue's subtitle, else an item's.
                held = _heading_opening(block) if started else None
                if held is None:
                    yield _Text(_ended(squash(block.text)), new_paragraph=True)
            else:
                held = None
                yield _heading_event(block.text, block.level, ctx, explicit=True)
            summarizer = held.summarizer if held else None
            started = True
            continue
        if _CHROME.match(block.text) or not re.search(r"\w", block.text):
            continue  # buttons, a footer line, a separator ("***")
        if _call_to_action(block):
            continue  # "Read the draft", a link that says only where it goes
        if _plain_heading(blocks, index, ctx, lists=not deepest):
            # a plain-text heading in capitals, a known name ("NEWS"), or over a list
            summarizer = None
            yield _heading_event(block.text, None, ctx)
            continue
        started = True
        if index in titles:
            summarizer = None
            yield _Opening(_clean_title(block.text), None, None, _link_for(block, 0, 1))
            continue
        after = blocks[index + 1] if index + 1 < len(blocks) else None
        if _bold_title(block, after):
            summarizer = None
            title = _clean_title(block.text).rstrip(".")
            yield _Opening(title, None, None, _link_for(block, 0, len(block.text)))
            continue
        found = _linked_opening(block)
        if not found and not titled:
            # Not a label of the parts of an item: one that recurs ("The details:" in
            # each story), or that comes right after the item's heading.
            found = parts[index]
            found = [] if found and found[0].title.casefold() in labels else found
        if found:
            summarizer = found[0].summarizer
            yield from found
            continue
        if index in news:
            # A list of one-line news under a heading: each line an item of its own.
            title = _clean_title(block.text).rstrip(".")
            yield _Opening(title, None, None, _link_for(block, 0, len(block.text)), brief=True)
            continue
        text = block.text
        if m := _PLAIN_OPINION.match(text):
            text = f"{summarizer or 'The editor'}'s opinion: {text[m.end() :]}"
        yield _Text(text, new_paragraph=True, links=block.links)
    if held is not None:
        yield held


def _news_lines(blocks: Sequence[Block], ctx: _Context) -> set[int]:
    """Indexes of the lines of a list of one-line news right under a heading ("Quick
    Hits" over "- Mistral released Saba.", "- Google launched ..."): two or more plain
    list lines of 200 characters or less, none a table's row nor opening with a link or
    a bold title; in Markdown or HTML only, where a list is marked as one (plain text
    may lose its bullets, or read wrapped prose as a list)."""
    found: set[int] = set()
    if not any(b.level is not None for b in blocks):
        return found
    for i, block in enumerate(blocks):
        heading = block.level is not None or (
            _strong_heading(block.text, ctx) and _is_heading_line(block.text, ctx)
        )
        if not heading:
            continue
        run = list(
            itertools.takewhile(lambda k: _plain_list_line(blocks[k]), range(i + 1, len(blocks)))
        )
        if len(run) >= 2:
            found.update(run)
    return found


def _plain_list_line(block: Block) -> bool:
    """A list line of text only: no link or bold title opens it, not a table's row."""
    return (
        block.level is None
        and block.list_item
        and not block.row
        and not block.lead
        and len(block.text) <= 200
        and not (block.links and block.links[0][0] == 0)
        and not _lead_in_opening(block)
    )


# An e-mail's buttons (one or a row of them) and its copyright line, which a marked-up
# issue carries as blocks of their own.
_BUTTON = (
    r"(?:view (?:this (?:e-?mail|post|newsletter|issue) )?(?:in|on) (?:your |the )?"
    r"(?:browser|web)|(?:view|read) (?:it |this (?:e-?mail|post|newsletter|issue) )?online"
    r"|(?:open|read) in (?:the )?app|like|comments?|restack|share"
    r"|share this (?:post|issue|newsletter|e-?mail)|listen now|leave a comment"
    r"|give a gift subscription|(?:get|download) the app|start writing"
    r"|subscribe(?: now)?|sign up(?: now)?|advertise|upgrade to paid|unsubscribe"
    r"|forward(?: to a friend)?|tweet"
    r"|listen(?: to this (?:post|episode|issue))?|manage (?:your )?subscription"
    r"|follow (?:us|me) on [\w. ]{1,20}|(?:powered|sent|delivered) (?:by|with|via) [\w. ]{1,20}"
    r"|(?:(?:manage|update|change|email) (?:your )?)?preferences|privacy(?: policy)?"
    r"|terms(?: of (?:service|use))?)[.!]?"
)
# A button in the first lines of flattened text (`relined`), before the next line's
# capital: "View in browser Import AI 350: ...".
_FLAT_BUTTON = re.compile(rf"(?<![\w’'])(?=[A-Z])(?i:{_BUTTON})(?= [A-Z])")
# A row of links in flattened text (`relined`), to its last link (a button's words, or
# one): after a sentence, or anywhere in capitals ("ADVERTISE // CAREERS // FAQ").
_FLAT_LINK_ROW = re.compile(
    rf"(?:(?<=[.!?)] )|^)(?:[\w’'&]+(?: [\w’'&]+){{0,2}} (?:\||//) ){{2,}}(?i:{_BUTTON}|\w+)"
    r"|(?<!\S)(?:[A-Z][A-Z’'&]+(?: [A-Z][A-Z’'&]+){0,2} (?:\||//) ){2,}[A-Z][A-Z’'&]+\b"
)
_COPYRIGHT = r"(?:[\w.&'’ -]{1,40}\s)?©\s*(?:\d{4}|copyright)[^\n]{0,300}"  # "Notes © 2025"
# Buttons in a row ("Like | Comment", or a table's row of them: "Like, Comment"), maybe
# ending with the copyright line; the copyright line; Substack's "Subscribe" box. In a
# plain-text e-mail a button is followed by its address ("Unsubscribe https://...",
# "View this post on the web at https://...").
_BUTTON_ADDRESS = r"(?:\s+(?:at\s+)?\[?https?://\S+?\]?)?"
_CHROME = re.compile(
    rf"(?i)(?:{_BUTTON}{_BUTTON_ADDRESS}(?:[\s|•·,/]+|$))+(?:{_COPYRIGHT})?$|{_COPYRIGHT}$"
    r"|thanks for reading [^\n]{1,80}?[!.] subscribe for free[^\n]{0,120}$"
)
# A postal address, which an e-mail's footer must carry: "Arlington, VA 22201".
_POSTAL_ADDRESS = re.compile(r"\b[A-Z][a-z]+,? [A-Z]{2},? \d{5}(?:-\d{4})?\b")


# A street's line of an address: "3100 Clarendon Blvd.", "123 Main St".
_STREET = re.compile(r"\b\d{1,6} [A-Z][\w.]*(?: [A-Z][\w.]*)*")
# Where a sentence or an address's line starts: "... ai@axios.com. Axios, 3100 ...".
_SENTENCE_START = re.compile(r"(?<=[.!?])\s+(?=[A-Z\d])")


def _without_address(text: str) -> str:
    """`text` without the postal address it ends with, if it does: its last sentence
    when that has the city and ZIP code, and the street's line before it."""
    starts = [0, *(m.end() for m in _SENTENCE_START.finditer(text))]
    k = len(starts) - 1
    if len(text) - starts[k] > 200 or not _POSTAL_ADDRESS.search(text, starts[k]):
        return text
    while k and starts[k] - starts[k - 1] <= 80 and _STREET.search(text, starts[k - 1], starts[k]):
        k -= 1  # "AI Brief, 123 Main St." before "Springfield, IL 62701."
    return text[: starts[k]].rstrip()


# Buttons that a footer's text comes after: "... in June. Subscribe You're receiving".
_TRAILING_BUTTONS = re.compile(rf"(?<=[.!?])(?:\s+(?i:{_BUTTON}))+$")


# What a link says when it is only a way to somewhere else: "Read the draft", "Sign up".
_CALL_TO_ACTION = re.compile(
    r"(?i)[^\w\s]*\s*(?:read|see|view|watch|listen|learn|find out|sign up|register|apply"
    r"|download|get|try|explore|click|join|rsvp|donate|check out|go to|more|continue|keep"
    r"|full story)\b[^.!?:]{0,40}[.!?]?\s*[^\w\s]*"
)


def _call_to_action(block: Block) -> bool:
    """Whether a paragraph (not a list line, which may be an item's linked title) is one
    link, and its text only a call to follow it ("Read the draft", "Register here")."""
    linked = sum(end - start for start, end, _ in block.links)
    return (
        not block.list_item
        and linked >= 0.9 * len(block.text)
        and len(block.text.split()) <= 6
        and bool(_CALL_TO_ACTION.fullmatch(block.text))
    )


# A short bold line that names what follows: "Robots that fold laundry:".
_LEAD_IN_LINE = re.compile(r"(?P<title>[^.!?:\n]{3,100}[^\s.!?:]):$")


# Lead-ins that label a part of an item, not a new one ("Why it matters:").
_PART_LABEL = re.compile(
    r"(?i)(?:the )?(?:summary|tl;?dr|opinion|(?:my|our) take|why (?:it|this) matters"
    r"|what'?s new"
    r"|(?:key )?takeaways?|key points|details|background|context|bottom line|behind the news"
    r"|we'?re thinking|read more|links?|notes?|update"
    # the labels of "smart brevity" (Axios) and The Batch
    r"|how (?:it|this) works|what happened|what (?:it|this) means|big picture"
    r"|between the lines|driving the news|yes,? but|go deeper|zoom (?:in|out)"
    r"|by the numbers|state of play|flashback|reality check|other side|catch up quick"
    r"|what they'?re saying|what'?s next|what to watch|catch|upshot|rundown"
    r"|in (?:this|today'?s|this week'?s)\b.{0,40}|this week|today|also|plus"
    r"|(?:here'?s )?what you need to know\b.{0,40}"
    r"|(?:programming|editor'?s|housekeeping) notes?|sponsor(?:ed)?(?: by)?|p\.?s\.?"
    r"|reminder|announcement)$"
)


def _lead_in_opening(block: Block) -> list[_Event]:
    """An item that a short line ending with ":" opens ("Tech Tales:"), not a list line
    nor a part's label ("Why it matters:"); [] for any other block."""
    m = _LEAD_IN_LINE.match(block.text)
    if block.list_item or not m or len(m["title"].split()) > 12:
        return []
    if _PART_LABEL.match(m["title"].replace("’", "'")):
        return []
    return [_Opening(_clean_title(m["title"]), None, None, _link_for(block, 0, m.end("title")))]


def _bold_opening(block: Block) -> list[_Event]:
    """An item that a paragraph or list line opens with a bold title: "**Title.** Text",
    "**Title:** text", "**Title** - text"; not a part's label ("**Why it matters:**")
    nor bold words that begin a sentence; [] for any other block."""
    if not block.lead:
        return []
    bold, rest = block.text[: block.lead], block.text[block.lead :]
    after = re.match(r"(?:\s*[:.]|\s+[—–-])?\s*", rest)
    title = bold.strip().rstrip(":.—–- ").strip()
    body = rest[after.end() :].strip()
    ended = bold.rstrip()[-1:] in (".", ":", "!", "?") or bool(after.group().strip())
    if not (title and body and ended) or len(title.split()) > 15 or len(title) > 150:
        return []
    if _PART_LABEL.match(title.replace("’", "'")) or _PLAIN_OPINION.match(f"{title}:"):
        return []
    if body[:1].islower() and not body[1:2].isupper():
        body = body[:1].upper() + body[1:]
    url = _link_for(block, 0, len(title))
    return [_Opening(_clean_title(title), None, None, url), _Text(body, new_paragraph=True)]


def _recurring_labels(openings: Sequence[list[_Event]]) -> set[str]:
    """The titles (casefolded) that open two or more of `openings` (the blocks' "Title:"
    lines and bold titles): labels of an item's parts ("The details:" in each story),
    not items' titles."""
    titles = [found[0].title.casefold() for found in openings if found]
    return {title for title in titles if titles.count(title) >= 2}


def _bold_title(block: Block, after: Block | None) -> bool:
    """Whether a paragraph all in bold titles the paragraph after it, as a heading
    would: four to fifteen words (a shorter one names a part, "**Also notable**"), not a
    part's label nor a sponsor's line, over a paragraph of 40 characters or more."""
    text = block.text.rstrip(".:")
    return (
        block.lead >= len(text)
        and not block.list_item
        and 4 <= len(text.split()) <= 15
        and not _PART_LABEL.match(text)
        and not _SPONSOR_LINE.match(text)  # "PRESENTED BY ACME CLOUD": the introduction's
        and after is not None
        and after.level is None
        and len(after.text) >= 40
        and after.lead < len(after.text.rstrip(".:"))
    )


# A line of authors under an item's heading: "Lightman et al., 2023", "by A and B".
_BYLINE = re.compile(
    rf"(?P<by>by )?(?P<authors>{_AUTHOR_LIST})(?P<year>,? \(?(?:19|20)\d\d\)?)?\.?"
)


def _byline(text: str) -> str | None:
    """The authors a line under an item's heading names, when it is only that: with
    "by", "et al", a year, or two names or more; None for any other line."""
    m = _BYLINE.fullmatch(text.strip())
    if m is None:
        return None
    authors = m["authors"]
    several = re.search(r"et al|,| and | & ", authors)
    return f"{authors}{m['year'] or ''}" if m["by"] or m["year"] or several else None


_SUMMARIZED_BY = re.compile(
    r"^\(?(?:summari[sz]ed|written|reviewed) by (?P<name>[^()]{1,80}?)\)?[.:]?$", re.IGNORECASE
)
_PLAIN_OPINION = re.compile(r"^(?:(?:my|our) )?(?:opinion|take)\s*:\s*(?=\S)", re.IGNORECASE)


def _ended(text: str) -> str:
    """`text` ending with sentence punctuation (a heading read as a sentence)."""
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _heading_name(block: Block) -> str:
    """A marked heading's text as `_Context.levels` names it: casefolded, no markup."""
    return squash(block.text).strip("#*_ ").rstrip(":").casefold()


def _names_item(block: Block) -> bool:
    """Whether a marked heading names an item: it has "(Authors)" or is mostly a link."""
    text = block.text.strip()
    if _ANCHOR.search(text):
        return True
    linked = sum(min(end, len(text)) - start for start, end, _ in block.links)
    return bool(text) and linked >= len(text) / 2


def _long_title(block: Block, deepest: int, levels: int) -> bool:
    """Whether a marked heading reads as an item's title rather than a section's name:
    four words or more, at the deepest of two or more levels of headings (not "Other
    Recent Robustness News", which names a list of items)."""
    text = block.text.strip()
    if _OTHER_RECENT.match(text):
        return False
    return levels >= 2 and block.level == deepest and len(text.split()) >= 4


def _beside_items(blocks: Sequence[Block], deepest: int, ctx: _Context) -> set[int]:
    """Indexes of the short headings at the deepest level that are items' titles all the
    same, because a heading beside them (under the same heading) is a long one: "OpenAI
    launches o3-mini" after "DeepSeek R1 shakes up the market"; with two or more levels
    of headings only, as for `_long_title`. With three levels or more, the deepest level
    is the items' wherever one of them reads as an item's title ("#### FlashAttention-2"
    alone under "### Efficiency", as "#### Tree of Thoughts" is under "### Reasoning")."""
    found: set[int] = set()
    levels = len({b.level for b in blocks if b.level is not None})
    if levels < 2:
        return found
    groups: list[list[int]] = [[]]  # the deepest headings under each heading above them
    for index, block in enumerate(blocks):
        if block.level == deepest:
            groups[-1].append(index)
        elif block.level is not None:
            groups.append([])
    named = [[k for k in group if _heading_name(blocks[k]) not in ctx.levels] for group in groups]
    named = [[k for k in ks if not _OTHER_RECENT.match(blocks[k].text.strip())] for ks in named]
    for group in named:
        if len(group) >= 2 and any(_long_title(blocks[k], deepest, 2) for k in group):
            found.update(group)
    if levels >= 3 and found:
        found.update(k for group in named for k in group)
    return found


def _heading_opening(block: Block) -> _Opening:
    """The item a heading names: "Title (Authors) (summarized by Name)", or a linked
    title followed by "(Authors, year)" or "by Authors"; with its link."""
    text = squash(block.text)
    anchor = next(iter(_ANCHOR.finditer(text)), None)
    if anchor is not None and not text[anchor.end() :].strip():
        title = text[: anchor.start()]
        summarizer = anchor["summarizer"] or anchor["summarizer_only"]
        return _Opening(
            _sponsored(_clean_title(title), anchor),
            _clean_authors(anchor["authors"]),
            squash(summarizer) if summarizer else None,
            url=_link_for(block, 0, len(title)),
        )
    if block.links and block.links[0][0] == 0:
        end = block.links[0][1]
        m = _AFTER_HEADING_LINK.fullmatch(text, end)
        if m:
            authors = m["by"] or m["paren"]
            return _Opening(
                _clean_title(text[:end]), _clean_authors(authors), None, url=block.links[0][2]
            )
    return _Opening(_clean_title(text), None, None, url=_link_for(block, 0, len(text)))


_AFTER_HEADING_LINK = re.compile(r"\s*(?:\((?P<paren>[^()]{1,120})\)|by (?P<by>.{1,120}))\s*")


_AFTER_LINKED_TITLE = re.compile(
    r"\s*(?:\((?P<paren>[^()]{1,120})\)|by (?P<by>[^:—–]{1,120}?))?\s*(?::|\s[—–-])\s+"
)
_TITLE_GOES_ON = re.compile(r"(?P<rest>(?:[^.!?:()]|(?<=\d)\.(?=\d)){1,60}):\s+")


def _linked_opening(block: Block) -> list[_Event]:
    """An item that a paragraph opens with a link: "Title: text", "Title (Authors): text",
    "Title by Authors - text" where Title is the link's text (or begins with it: "Ruff
    0.5 is out: text"), or a block that is only a link (a list line of them: one-line
    items); [] for any other block."""
    if not block.links or block.links[0][0] != 0 or _labels_end(block.text) >= len(block.text):
        return []  # (or a line of link labels: "[Paper] [Code]")
    _, end, url = block.links[0]
    if not block.text[end:].strip(" .;,"):
        title = _clean_title(block.text[:end]).rstrip(".")
        return [_Opening(title, None, None, url, brief=block.list_item)]
    m = _AFTER_LINKED_TITLE.match(block.text, end)
    if not m and (longer := _TITLE_GOES_ON.match(block.text, end)):
        m, end = longer, longer.end("rest")  # "[Ruff](url) 0.5 is out: ..."
    if not m or end > 150:
        return []
    authors = m.groupdict().get("by") or m.groupdict().get("paren")
    opening = _Opening(_clean_title(block.text[:end]), _clean_authors(authors), None, url=url)
    body = block.text[m.end() :].strip()
    if body[:1].islower() and not body[1:2].isupper():  # not "iOS", "eBay"
        body = body[:1].upper() + body[1:]  # "[Title](url): a harder version" -> "A harder"
    return [opening, _Text(body, new_paragraph=True)] if body else [opening]


_EDITION_END = re.compile(r"\.\.\.\s*and much more\.?|\band more\.(?=\s)", re.IGNORECASE)


def _split_preamble(text: str) -> tuple[str, str]:
    """The introduction before the first item: up to "... and much more." or boilerplate."""
    m = _EDITION_END.search(text[:3000])
    if m:
        return text[: m.end()].strip(), text[m.end() :].strip()
    sentences = list(_sentences_with_spans(text))
    end = 0
    for s, _start, stop in sentences[:8]:
        if _BOILERPLATE.search(s):
            end = stop
    return text[:end].strip(), text[end:].strip()


def _split_on_labels(text: str) -> list[str]:
    """Chunks of text each ending with an item's link label ("... representations. Paper")."""
    chunks = []
    pos = 0
    for m in re.finditer(
        r"(?<=[.!?”\"')])\s+\[?(?:Paper|Link|Blog post|Code)\]?(?=\s+[A-Z“\"]|\s*$)", text
    ):
        chunks.append(text[pos : m.start()].strip())
        pos = m.end()
    chunks.append(text[pos:].strip())
    return [c for c in chunks if c]


_OTHER_BLOCK = re.compile(
    r"(?:^|(?<=\s))"
    r"(?P<name>Other (?:Recent )?(?:[A-Z][\w\-]* ){0,3}?(?:News|Papers|Content|Work|Research))"
    r"(?=\s+[A-Z“\"])"
)


def _label_chunk_events(chunk: str, ctx: _Context) -> Iterator[_Event]:
    """One chunk: [one-liner block] Title body, or an "Other News" block of lead-ins."""
    blocks = list(_OTHER_BLOCK.finditer(chunk))
    pos = 0
    for i, m in enumerate(blocks):
        before = chunk[pos : m.start()].strip()
        if before:
            yield from _label_items(before, one_liners=i > 0)
        yield _Heading(m["name"], 2 if "Recent" in m["name"] else 1)
        pos = m.end()
    rest = chunk[pos:].strip()
    if rest:
        yield from _label_items(rest, one_liners=bool(blocks))


def _label_items(text: str, *, one_liners: bool) -> Iterator[_Event]:
    """Items in `text`: one-liners until a Title Case title, which opens the last item."""
    sentences = list(_sentences_with_spans(text))
    if not one_liners:
        yield from _titled_item(text)
        return
    lead_ins = [s for s, _, _ in sentences if _lead_in(s)]
    if lead_ins and _lead_in(sentences[0][0]):
        yield from _lead_in_items(sentences)
        return
    for k, (sentence, start, _stop) in enumerate(sentences):
        if _is_title_case(sentence) and len(sentence.split()) >= 3 and k > 0:
            for s, _, _ in sentences[:k]:
                yield _brief(s)
            yield from _titled_item(text[start:])
            return
    for s, _, _ in sentences:
        yield _brief(s)


def _brief(sentence: str) -> _Opening:
    return _Opening(title=sentence.strip().rstrip("."), authors=None, summarizer=None, brief=True)


def _lead_in(sentence: str) -> bool:
    """A short Title Case sentence that names what follows: "Grants." """
    words = sentence.rstrip(".").split()
    return 1 <= len(words) <= 6 and sentence.endswith(".") and _is_title_case(sentence)


def _lead_in_items(sentences: list[tuple[str, int, int]]) -> Iterator[_Event]:
    body: list[str] = []
    for sentence, _, _ in sentences:
        if _lead_in(sentence):
            if body:
                yield _Text(" ".join(body), new_paragraph=True)
                body = []
            yield _Opening(title=sentence.rstrip(". "), authors=None, summarizer=None)
        else:
            body.append(sentence)
    if body:
        yield _Text(" ".join(body), new_paragraph=True)


def _titled_item(text: str) -> Iterator[_Event]:
    """ "Title Case Title Then the summary..." -> an opening and its text."""
    words = list(re.finditer(r"\S+", text))
    end = _title_case_run(text, words)
    if end is None:
        yield _Text(text, new_paragraph=True)
        return
    yield _Opening(title=text[:end].strip().rstrip(":"), authors=None, summarizer=None)
    body = text[end:].strip()
    if body:
        yield _Text(body, new_paragraph=True)


def _title_case_run(text: str, words: list[re.Match]) -> int | None:
    """End of the Title Case title at the start of `text`, or None when there is none."""
    if not words or not words[0].group()[0].isupper():
        return None
    end = None
    for i, w in enumerate(words):
        token = w.group()
        bare = token.strip("\"'“”‘’()[],")
        if i > 0 and token.endswith(":") and not words[i - 1].group().endswith(("?", "!")):
            return words[i - 1].end() if end is not None else None
        if i > 0 and bare[:1].isupper() and i + 1 < len(words):
            nxt = words[i + 1].group().strip("\"'“”‘’()[],")
            # "Morally Moral knowledge from": a capitalised word starting a sentence.
            if nxt.islower() and nxt not in _MINOR and len(nxt) > 2 and not token.endswith("?"):
                return words[i - 1].end()
        if i > 0 and bare and bare[0].islower() and bare.lower() not in _MINOR:
            return end
        end = w.end()
        if token.endswith(("?", "!")) and i + 1 < len(words):
            nxt = words[i + 1].group()
            if not _is_title_case(" ".join(x.group() for x in words[i + 1 : i + 5])):
                return end
    return end


# --------------------------------------------------------------------------- sentences


def _sentences_with_spans(text: str) -> Iterator[tuple[str, int, int]]:
    """Sentences of `text` with their spans; abbreviations and initials do not end one,
    nor does punctuation inside parentheses that the sentence goes on after."""
    start = 0
    for m in re.finditer(r"[.!?…][\"'”’)\]]*(?=\s+|$)", text):
        if m.group()[0] == "." and _is_abbreviation(text, m.start()):
            continue
        if m.group()[-1] in ")]" and re.match(r"\s+[a-z]", text[m.end() :]):
            continue  # "(and comment on posts!) please subscribe." goes on
        end = m.end()
        sentence = text[start:end].strip()
        if sentence:
            yield sentence, start + (len(text[start:end]) - len(text[start:end].lstrip())), end
        start = end
    tail = text[start:].strip()
    if tail:
        yield tail, len(text) - len(text[start:].lstrip()), len(text)


def sentences(text: str) -> list[str]:
    """Split text into sentences (abbreviations, initials and "et al." do not end one).

    >>> sentences("See e.g. the paper by John S. Wentworth. It works! Does it?")
    ['See e.g. the paper by John S. Wentworth.', 'It works!', 'Does it?']
    """
    return [s for s, _, _ in _sentences_with_spans(text)]


# --------------------------------------------------------------------------- build


@dataclass
class _ItemDraft:
    title: str
    authors: str | None
    summarizer: str | None
    url: str | None
    paragraphs: list[str] = field(default_factory=list)
    response: bool = False

    def add(self, text: _Text) -> None:
        if text.new_paragraph or not self.paragraphs:
            self.paragraphs.append(text.text)
        else:
            self.paragraphs[-1] = f"{self.paragraphs[-1]} {text.text}"

    def finish(self) -> Item:
        summary, opinions, links = _split_body("\n\n".join(self.paragraphs))
        return Item(
            title=self.title,
            authors=self.authors,
            summarizer=self.summarizer,
            summary=summary,
            opinions=opinions,
            links=links,
            url=self.url,
        )


@dataclass
class _Group:
    name: str | None
    drafts: list[_ItemDraft] = field(default_factory=list)
    subsections: list[_Group] = field(default_factory=list)


def _build(events: Iterable[_Event], ctx: _Context, *, slug: str) -> Issue:
    preamble: list[str] = []
    highlights = _Group(None)
    sections: list[_Group] = []
    container = highlights
    highlights_heading = None
    current: _ItemDraft | None = None
    top_explicit_level: int | None = None
    pending_headings = 0
    events = list(events)
    # With no heading the parser knows as a subsection, one not marked up is a section,
    # or a subsection right under another heading: "QUICK HITS" after "RESEARCH" (known
    # as a section) is a section too.
    no_known_subsections = not any(isinstance(e, _Heading) and e.level == 2 for e in events)
    for event in events:
        if isinstance(event, _Heading):
            if event.name.casefold() == known.HIGHLIGHTS.casefold():
                container, current = highlights, None
                highlights_heading = event.name
                ctx.current = [known.HIGHLIGHTS]
                continue
            level = _decide_level(
                event,
                sections,
                pending_headings,
                top_explicit_level,
                no_known_subsections=no_known_subsections,
            )
            if event.explicit and level == 1:
                top_explicit_level = event.level
            if level == 1 or not sections:
                sections.append(_Group(event.name))
                container = sections[-1]
                ctx.current = [event.name]
            else:
                sub = _Group(event.name)
                sections[-1].subsections.append(sub)
                container = sub
                ctx.current = [sections[-1].name, event.name]
            current = None
            pending_headings += 1
            continue
        pending_headings = 0
        if isinstance(event, _Opening):
            response = bool(_RESPONSE.match(event.title))
            current = _ItemDraft(
                event.title, event.authors, event.summarizer, event.url, response=response
            )
            container.drafts.append(current)
        elif current is not None:
            current.add(event)
        elif container is highlights and not sections:
            preamble.extend(_preamble_paragraphs(event.text))
        else:
            # Text under a heading before any item: an item without authors.
            current = _draft_from_text(event.text, event.links)
            container.drafts.append(current)
    return Issue(
        slug=slug,
        preamble=tuple(preamble),
        highlights_heading=highlights_heading,
        highlights=_items(highlights.drafts),
        sections=tuple(
            Section(
                name=s.name or "",
                items=_items(s.drafts),
                subsections=tuple(
                    Subsection(sub.name or "", _items(sub.drafts)) for sub in s.subsections
                ),
            )
            for s in sections
        ),
    )


def _decide_level(
    event: _Heading,
    sections: list[_Group],
    pending: int,
    top_explicit: int | None,
    *,
    no_known_subsections: bool = False,
) -> int:
    """Section (1) or subsection (2) for a heading, from its markup, name or position.

    A heading whose name is not known is a subsection of the section before it, unless
    it is the first, or no heading of the issue is known as a subsection
    (`no_known_subsections`); right after another heading it is a subsection."""
    if event.explicit and event.level is not None:
        if top_explicit is None or event.level <= top_explicit:
            return 1
        return 2
    if event.level is not None:
        return event.level
    if pending:
        return 2
    return 1 if not sections or no_known_subsections else 2


def _draft_from_text(text: str, links: tuple[tuple[int, int, str], ...] = ()) -> _ItemDraft:
    """An item from text under a heading with no "(Authors)": "Lead-in: text" or a sentence."""
    m = re.match(r"^(?P<title>[^.:!?]{3,100}?)\s*[:.]\s+(?=[A-Z“\"])", text)
    if m and _is_title_case(m["title"]):
        url = next((u for a, b, u in links if a < m.end("title") and b > 0), None)
        draft = _ItemDraft(m["title"].strip(), None, None, url)
        draft.paragraphs.append(text[m.end() :].strip())
        return draft
    first = sentences(text)[0] if text else text
    draft = _ItemDraft(first.rstrip("."), None, None, None)
    rest = text[len(first) :].strip()
    if rest:
        draft.paragraphs.append(rest)
    return draft


def _items(drafts: list[_ItemDraft]) -> tuple[Item, ...]:
    """Finished items; "Response: ..." items become responses of the item before them."""
    items: list[Item] = []
    for draft in drafts:
        item = draft.finish()
        if draft.response and items:
            items[-1] = replace(items[-1], responses=(*items[-1].responses, item))
        else:
            items.append(item)
    return tuple(items)


def _preamble_paragraphs(text: str) -> list[str]:
    """News sentences of the preamble, without the sign-up and feedback boilerplate."""
    kept = [s for s in sentences(text) if not _BOILERPLATE.search(s)]
    return [" ".join(kept)] if kept else []


# --------------------------------------------------------------------------- item body


def _split_body(body: str) -> tuple[str, tuple[Opinion, ...], tuple[Link, ...]]:
    """Summary, opinions ("Name's opinion: ...") and "Read more:" links of an item's text."""
    links: list[Link] = []
    paragraphs = body.split("\n\n")
    labels = [p for p in paragraphs if p.strip() and _labels_end(p) >= len(p.rstrip())]
    for p in labels:
        links.extend(Link(label) for label in link_labels(p))
    body = "\n\n".join(p for p in paragraphs if p not in labels)
    parts = _OPINION.split(body)
    summary = parts[0]
    opinions = []
    for name, text in zip(parts[1::2], parts[2::2], strict=True):
        text, found = _take_read_more(text)
        links.extend(found)
        opinions.append(Opinion(author=name.strip(), text=_tidy(text)))
    summary, found = _take_read_more(summary)
    summary, trailing = _take_trailing_labels(summary)
    links = [*found, *trailing, *links]
    return _tidy(summary), tuple(o for o in opinions if o.text), tuple(links)


_TRAILING_LABELS = re.compile(
    r"(?<=[.!?)\"”’])\s+(?P<labels>(?:\[?(?:"
    + "|".join(re.escape(x) for x in sorted(LINK_LABELS, key=len, reverse=True))
    + r")\]?\s*)+)$"
)


def _take_trailing_labels(text: str) -> tuple[str, list[Link]]:
    """Link labels after the last sentence ("... values. Paper Blog post")."""
    m = _TRAILING_LABELS.search(text)
    if not m:
        return text, []
    return text[: m.start()], [Link(label) for label in link_labels(m["labels"])]


def _take_read_more(text: str) -> tuple[str, list[Link]]:
    """The "Read more: Paper and Blog post" lists of `text` (each to its paragraph's
    end) as links, and the text without them."""
    links: list[Link] = []
    while m := _READ_MORE.search(text):
        end = text.find("\n\n", m.end())
        end = len(text) if end < 0 else end
        links += [Link(label) for label in link_labels(text[m.end() : end].strip())]
        text = text[: m.start()] + text[end:]
    return text, links


def link_labels(text: str) -> list[str]:
    """The labels of a "Read more:" list: "Paper and Author response" -> two labels.

    >>> link_labels("Paper and Author response")
    ['Paper', 'Author response']
    >>> link_labels("The Secret Sharer: Evaluating and Testing Unintended Memorization")
    ['The Secret Sharer: Evaluating and Testing Unintended Memorization']
    """
    known_labels = []
    pos = 0
    while pos < len(text) and (m := _LABEL_RE.match(text, pos)) and m.end() > pos:
        known_labels.append(m.group().strip(" ,;&[]").removesuffix(" and").strip(" []"))
        pos = m.end()
    if known_labels and pos >= len(text.rstrip(" .")):
        return known_labels
    parts = [p.strip(" .") for p in re.split(r"\s+and\s+|,\s+|;\s+", text) if p.strip(" .")]
    if all(_LABEL_RE.fullmatch(p + " ") or len(p.split()) <= 2 for p in parts):
        return parts
    return [text.strip(" .")] if text.strip(" .") else []


def _tidy(text: str) -> str:
    paragraphs = [squash(p) for p in text.split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


# --------------------------------------------------------------------------- files


def decode_issue(data: bytes, *, name: str) -> tuple[str, tuple[str, ...]]:
    """The text of an issue file's bytes, with warnings; `IssueError` when it is not text.

    UTF-8 (with or without a byte-order mark) is expected; UTF-16 with a byte-order mark
    (what Windows editors call "Unicode") is read too, and a file that is not UTF-8 but
    reads as Windows-1252 is accepted with a warning. Line ends become "\\n". Errors name
    the file (`name`); warnings do not, as their caller adds it.
    """
    warnings: tuple[str, ...] = ()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise IssueError(f"{name}: not valid UTF-16 (byte offset {e.start})") from None
        return text.replace("\r\n", "\n").replace("\r", "\n"), warnings
    if b"\x00" in data[:8192]:
        raise IssueError(f"{name}: not a text file (it contains NUL bytes)")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise IssueError(
                f"{name}: not valid UTF-8 (byte offset {e.start}: {data[e.start : e.start + 1]!r})"
            ) from None
        warnings = (f"not UTF-8 (byte offset {e.start}); read as Windows-1252",)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, warnings


def load_issue(path: Path, *, extra_sections: Iterable[str] = ()) -> Issue:
    """Read and parse an issue file; the episode's slug comes from the file name.

    `IssueError` when the file cannot be read, is not text, or has nothing to read aloud.
    """
    try:
        data = path.read_bytes()
    except OSError as e:
        raise IssueError(f"{path}: cannot read: {e.strerror or e}") from e
    if path.suffix.lower() == EMAIL_SUFFIX:
        try:
            text, fmt = read_email(data)
        except ValueError as e:
            raise IssueError(f"{path}: {e}") from None
        warnings: tuple[str, ...] = ()
    else:
        text, warnings = decode_issue(data, name=str(path))
        fmt = detect_format(text, path.suffix)
    if not text.strip():
        raise IssueError(f"{path}: the issue is empty" + (" (only white space)" if text else ""))
    slug = slugify(path.stem, max_length=80) or "issue"
    issue = parse_text(text, slug=slug, fmt=fmt, extra_sections=extra_sections)
    if not issue.preamble and not _all_items(issue):
        raise IssueError(f"{path}: no text to read aloud (found no paragraphs in it)")
    return replace(issue, warnings=(*warnings, *issue.warnings)) if warnings else issue
