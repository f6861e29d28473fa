"""Build the real-issue evaluation corpus from the stored sources.

For every case in sources.json this reads <name>.source.md (the issue's post body as
Markdown, exactly as the Alignment Forum copy of the StampyAI dataset stores it) and
writes, next to it:

- <name>.expected.json  the ground truth, derived from the Markdown structure only
                        (never from audio.parse): number, title, newsletter, and the
                        ordered items as {"section", "subsection", "title"}.
- <name>.md             the Markdown form: "# [AN #NN]: Title", then the body with its
                        setext headings written as "#"/"##" headings.
- <name>.lines.txt      plain text with the title line, then each heading and paragraph
                        on its own line and blank lines between (links reduced to their
                        text, as innerText gives them).
- <name>.flat.txt       all of it on one line: every text node of the page joined with
                        single spaces (so "here ." where a link stood before a full stop),
                        the way issues/alignment-newsletter-062.txt was copied.

Run it from anywhere with the project's Python:  python tests/data/real/make_forms.py
It only reads and writes files in its own folder.

Ground-truth rules (see also sources.json):
- A heading named "Highlights" (any case, any level) opens the Highlights section.
- Other level-1 headings ("===" or "#") are sections; level 2/3 headings are subsections
  of the current section. Level-4 headings (FEEDBACK, PODCAST) are the newsletter's
  footer and end the content.
- ALL CAPS headings are given the newsletter's usual spelling, from the category list of
  the newsletter's own generator script (e.g. "TECHNICAL AI ALIGNMENT" -> "Technical AI
  alignment"); headings already in mixed case are kept as written.
- An item is a paragraph that opens with a link (bold or not) followed by "*(Authors)*"
  or "(summarized by ...)". Its title is the link text, exactly as written.
- Items before any heading in an issue that has no section headings get section null.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent

# The newsletter's own category names (its generator script's CATEGORY_TREE) plus
# "Highlights": the spelling an ALL CAPS heading is mapped back to.
CANONICAL = [
    "Highlights",
    "Technical AI alignment",
    "Near-term concerns",
    "AI strategy and policy",
    "Malicious use of AI",
    "Other progress in AI",
    "News",
    "Embedded agency sequence",
    "Iterated amplification sequence",
    "Value learning sequence",
    "Fixed point sequence",
    "Summary: Inverse Reinforcement Learning",
    "Problems",
    "Technical agendas and prioritization",
    "Iterated amplification",
    "Scalable oversight",
    "Mesa optimization",
    "Agent foundations",
    "Learning human intent",
    "Reward learning theory",
    "Preventing bad behavior",
    "Handling groups of agents",
    "Game theory",
    "Philosophical deliberation",
    "Interpretability",
    "Adversarial examples",
    "Verification",
    "Robustness",
    "Uncertainty",
    "Forecasting",
    "Critiques (Alignment)",
    "Field building",
    "Miscellaneous (Alignment)",
    "Fairness and bias",
    "Privacy and security",
    "Machine ethics",
    "Exploration",
    "Reinforcement learning",
    "Multiagent RL",
    "Deep learning",
    "Meta learning",
    "Unsupervised learning",
    "Hierarchical RL",
    "Applications",
    "Machine learning",
    "AGI theory",
    "Critiques (AI)",
    "Miscellaneous (AI)",
]
_CANONICAL = {name.casefold(): name for name in CANONICAL}

# --------------------------------------------------------------------------- blocks


@dataclass
class Block:
    kind: str  # "h" heading, "p" paragraph, "li" list item
    text: str
    level: int = 0
    tight: bool = False  # a list item right after another one, no blank line between


_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,3}[.)])\s+(.*)$")
_SETEXT = re.compile(r"^(=+|-+)\s*$")


def blocks_of(markdown: str) -> list[Block]:
    """The Markdown's blocks in order (just what these sources use)."""
    out: list[Block] = []
    para: list[str] = []
    para_kind = "p"
    tight_next = False

    def flush() -> None:
        nonlocal para, para_kind
        if para:
            text = " ".join(line.strip() for line in para).strip()
            out.append(Block(para_kind, text, tight=para_kind == "li" and tight_next))
        para, para_kind = [], "p"

    lines = markdown.split("\n")
    prev_blank = True
    for line in lines:
        if not line.strip():
            flush()
            prev_blank = True
            continue
        if (m := _SETEXT.match(line)) and para and para_kind == "p" and len(para) == 1:
            out.append(Block("h", para[0].strip(), level=1 if m[1][0] == "=" else 2))
            para = []
            prev_blank = False
            continue
        if m := _ATX.match(line):
            flush()
            out.append(Block("h", m[2].strip(), level=len(m[1])))
            prev_blank = False
            continue
        if m := _LIST.match(line):
            was_li = bool(out) and out[-1].kind == "li" and not para
            previous_li_open = para_kind == "li" and bool(para)
            flush()
            tight_next = (previous_li_open or was_li) and not prev_blank
            para, para_kind = [m[1]], "li"
            prev_blank = False
            continue
        para.append(line)
        prev_blank = False
    flush()
    return out


# --------------------------------------------------------------------------- inline


@dataclass
class Node:
    kind: str  # "text", "em", "strong", "link"
    text: str = ""
    children: list[Node] = field(default_factory=list)
    url: str = ""


def _match_bracket(s: str, i: int, open_: str, close: str) -> int:
    depth = 0
    for j in range(i, len(s)):
        if s[j] == open_:
            depth += 1
        elif s[j] == close:
            depth -= 1
            if depth == 0:
                return j
    return -1


def inline(s: str) -> list[Node]:
    """Links, **strong** and *em* of one block's text, as a node tree."""
    nodes: list[Node] = []
    buf: list[str] = []

    def text_flush() -> None:
        if buf:
            nodes.append(Node("text", "".join(buf)))
            buf.clear()

    i = 0
    while i < len(s):
        c = s[i]
        if c == "[":
            end = _match_bracket(s, i, "[", "]")
            if end > 0 and end + 1 < len(s) and s[end + 1] == "(":
                close = _match_bracket(s, end + 1, "(", ")")
                if close > 0:
                    text_flush()
                    nodes.append(
                        Node("link", children=inline(s[i + 1 : end]), url=s[end + 2 : close])
                    )
                    i = close + 1
                    continue
            buf.append(c)
            i += 1
            continue
        if s.startswith("**", i):
            close = s.find("**", i + 2)
            if close > i + 2:
                text_flush()
                nodes.append(Node("strong", children=inline(s[i + 2 : close])))
                i = close + 2
                continue
            buf.append("**")
            i += 2
            continue
        if c == "*":
            close = i + 1
            while True:
                close = s.find("*", close)
                if close < 0 or not s.startswith("**", close):
                    break
                close += 2
            if close > i + 1:
                text_flush()
                nodes.append(Node("em", children=inline(s[i + 1 : close])))
                i = close + 1
                continue
        buf.append(c)
        i += 1
    text_flush()
    return nodes


def leaves(nodes: list[Node]) -> list[str]:
    out: list[str] = []
    for n in nodes:
        if n.kind == "text":
            out.append(n.text)
        else:
            out.extend(leaves(n.children))
    return out


def plain(nodes: list[Node]) -> str:
    """Text as a browser shows it (innerText): inline elements add no spaces."""
    return re.sub(r"\s+", " ", "".join(leaves(nodes))).strip()


def flat(nodes: list[Node]) -> str:
    """Every text node joined with a space, as in the one-line copies."""
    return re.sub(r"\s+", " ", " ".join(leaves(nodes))).strip()


# --------------------------------------------------------------------------- ground truth


def heading_name(raw: str) -> str:
    name = plain(inline(raw))
    letters = [ch for ch in name if ch.isalpha()]
    if letters and all(ch.isupper() for ch in letters):
        try:
            return _CANONICAL[name.casefold()]
        except KeyError:
            raise SystemExit(f"no usual spelling known for the heading {name!r}") from None
    return name


_OPENING_REST = re.compile(r"^\s*\((?:summari[sz]ed|written) by ")


def item_title(nodes: list[Node]) -> str | None:
    """The title if this paragraph opens an item: a link, then "*(Authors)*" or "(summarized by"."""
    seq = [n for n in nodes if not (n.kind == "text" and not n.text.strip())]
    if not seq:
        return None
    first = seq[0]
    if first.kind == "strong":
        inner = [n for n in first.children if not (n.kind == "text" and not n.text.strip())]
        if len(inner) == 1 and inner[0].kind == "link":
            first = inner[0]
    if first.kind != "link":
        return None
    rest = nodes[nodes.index(seq[0]) + 1 :]
    while rest and rest[0].kind == "text" and not rest[0].text.strip():
        rest = rest[1:]
    if not rest:
        return None
    nxt = rest[0]
    if nxt.kind == "em" and re.fullmatch(r"\(.+\)", plain(nxt.children)):
        return plain(first.children)
    if nxt.kind == "text" and _OPENING_REST.match(nxt.text):
        return plain(first.children)
    return None


def ground_truth(blocks: list[Block]) -> list[dict]:
    items: list[dict] = []
    section: str | None = None
    subsection: str | None = None
    for block in blocks:
        if block.kind == "h":
            if block.level >= 4:
                break  # FEEDBACK / PODCAST footer
            name = heading_name(block.text)
            if name.casefold() == "highlights" or block.level == 1:
                section, subsection = name, None
            else:
                if section is None:
                    raise SystemExit(f"subsection {name!r} before any section")
                subsection = name
            continue
        if block.kind != "p":
            continue
        title = item_title(inline(block.text))
        if title is not None:
            items.append({"section": section, "subsection": subsection, "title": title})
    return items


# --------------------------------------------------------------------------- forms


def markdown_form(title_line: str, source: str) -> str:
    body = re.sub(r"(?m)^(?P<h>[^\n]*\S[^\n]*)\n=+[ \t]*$", r"# \g<h>", source)
    body = re.sub(r"(?m)^(?P<h>(?![-*+] )[^\n]*\S[^\n]*)\n-{3,}[ \t]*$", r"## \g<h>", body)
    return f"# {title_line}\n\n{body.strip()}\n"


def lines_form(title_line: str, blocks: list[Block]) -> str:
    out = [title_line]
    for block in blocks:
        text = plain(inline(block.text))
        if block.kind == "li" and block.tight:
            out[-1] = f"{out[-1]}\n{text}"
        else:
            out.append(text)
    return "\n\n".join(out)


def flat_form(title_line: str, blocks: list[Block]) -> str:
    parts = [title_line] + [flat(inline(block.text)) for block in blocks]
    return re.sub(r"\s+", " ", " ".join(parts)).strip()


def build(case: dict) -> dict:
    name = case["name"]
    source = (HERE / f"{name}.source.md").read_text(encoding="utf-8")
    blocks = blocks_of(source)
    abbr = {"Alignment Newsletter": "AN", "ML Safety Newsletter": "MLSN"}[case["newsletter"]]
    title_line = f"[{abbr} #{case['number']}]: {case['title']}"
    expected = {
        "number": case["number"],
        "title": case["title"],
        "newsletter": case["newsletter"],
        "source_url": case["url"],
        "items": ground_truth(blocks),
    }
    files = {
        f"{name}.expected.json": json.dumps(expected, indent=2, ensure_ascii=False) + "\n",
        f"{name}.md": markdown_form(title_line, source),
        f"{name}.lines.txt": lines_form(title_line, blocks),
        f"{name}.flat.txt": flat_form(title_line, blocks),
    }
    for file_name, text in files.items():
        (HERE / file_name).write_text(text, encoding="utf-8")
    return expected


def main() -> int:
    manifest = json.loads((HERE / "sources.json").read_text(encoding="utf-8"))
    for case in manifest["cases"]:
        expected = build(case)
        print(f"{case['name']}: {len(expected['items'])} items")
    return 0


if __name__ == "__main__":
    sys.exit(main())
