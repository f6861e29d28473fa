"""One issue written in every form an editor pastes: the same structure comes out of each.

tests/data/forms/ holds the issue flattened to one line, with lines of its own, as
Markdown and as HTML (each also as a .txt that must be sniffed). It has every item
opening and every piece of newsletter apparatus the parser knows.
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from audio.errors import IssueError
from audio.fsutil import find_issues
from audio.parse import load_issue, parse_text
from audio.readers import CODE_NOTE, detect_format, read_blocks, read_html, read_markdown
from audio.script import make_segments

FORMS = Path(__file__).resolve().parent / "data" / "forms"
CASES = sorted(FORMS.iterdir())
LINKED = {"forms.md", "forms.md.txt", "forms.html", "forms.html.txt"}


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_every_form_gives_the_same_structure(path):
    issue = load_issue(path)
    assert (issue.number, issue.title, issue.newsletter) == (
        99,
        "Reading the forms of an issue",
        "Alignment Newsletter",
    )
    # Boilerplate, "Link post" and "Audio version here" are dropped; news is kept.
    assert issue.preamble == ("We are hiring a second editor this month.",)
    assert issue.warnings == ()

    (summary,) = issue.highlights
    assert summary.title == "Learning to Summarize"
    assert (summary.authors, summary.summarizer) == ("Nisan Stiennon, Long Ouyang et al", "Rohin")
    assert summary.summary.startswith("The paper trains a reward model on human comparisons")
    assert [(o.author, o.text) for o in summary.opinions] == [("Rohin", "A clean result.")]
    assert [link.label for link in summary.links] == ["Paper", "Blog post"]
    (response,) = summary.responses
    assert (response.title, response.authors, response.summary) == (
        "Response: A Critique of Summaries",
        "Jane Doe",
        "",
    )

    assert [(s.name, [sub.name for sub in s.subsections]) for s in issue.sections] == [
        ("Technical AI alignment", ["Iterated amplification"]),
        ("News", []),
    ]
    amplification = issue.sections[0].subsections[0].items
    assert [(i.title, i.authors, i.summarizer) for i in amplification] == [
        ("Supervising Strong Learners", "Paul Christiano, Buck Shlegeris et al", None),
        ("A Short Note on Debate", "Geoffrey Irving", None),
        ("Value Learning Basics", "Stuart Armstrong", None),
        ("Inverse Reward Design", "Dylan Hadfield-Menell et al", "Rohin"),
    ]
    assert amplification[1].summary == ""
    assert amplification[3].summary == "Two papers on learning values."
    assert [link.label for link in amplification[3].links] == ["Paper", "Blog post"]

    (job,) = issue.sections[1].items
    assert (job.title, job.authors) == ("Research Engineer at Ought", None)
    # The mailing-list footer (FEEDBACK, PODCAST, copyright, unsubscribe) is not content.
    assert job.summary == "Ought is hiring engineers to build tools for reasoning."

    if path.name in LINKED:
        assert summary.url == "https://arxiv.org/abs/2009.01325"
        assert response.url == "https://example.org/critique"
        assert [i.url for i in amplification] == [
            "https://arxiv.org/abs/1810.08575",
            "https://example.org/debate",
            "https://example.org/vlb",
            "https://arxiv.org/abs/1711.02827",
        ]
        assert job.url == "https://ought.org/careers"


@pytest.mark.parametrize(
    "name, fmt",
    [
        ("forms.flat.txt", "text"),
        ("forms.lines.txt", "text"),
        ("forms.md", "markdown"),
        ("forms.md.txt", "markdown"),
        ("forms.html", "html"),
        ("forms.html.txt", "html"),
    ],
)
def test_format_from_suffix_and_content(name, fmt):
    path = FORMS / name
    assert detect_format(path.read_text(encoding="utf-8"), path.suffix) == fmt


def test_markdown_blocks_keep_link_spans():
    (block,) = read_markdown("**[Title *here*](https://a.b/x_y_z)** *(A B)*: text_with_underscores")
    assert block.text == "Title here (A B): text_with_underscores"
    start, end, url = block.links[0]
    assert (block.text[start:end], url) == ("Title here", "https://a.b/x_y_z")


def test_markdown_headings_and_lists():
    blocks = read_markdown("Title\n=====\n\n## Sub ##\n\n- one\n- two\n\n![img](x.png)\n")
    assert [(b.text, b.level) for b in blocks] == [
        ("Title", 1),
        ("Sub", 2),
        ("one", None),
        ("two", None),
    ]


def test_html_reader_skips_scripts_and_keeps_headings():
    blocks = read_html(
        "<html><head><style>p{}</style></head><body><h2>News</h2>"
        "<p>A <a href='https://x.y/'>link</a> &amp; text<br>next line</p>"
        "<script>var x = '(Not Authors)';</script></body></html>"
    )
    assert [(b.text, b.level) for b in blocks] == [
        ("News", 2),
        ("A link & text", None),
        ("next line", None),
    ]
    assert blocks[1].links == ((2, 6, "https://x.y/"),)


def test_markdown_table_rows_are_read_as_lines():
    blocks = read_markdown("| Model | Score |\n|:--|--:|\n| [GPT-4o](https://x.y) | 72.6% |\n")
    assert [(b.text, b.list_item) for b in blocks] == [
        ("Model, Score.", True),
        ("GPT-4o, 72.6%.", True),
    ]
    assert blocks[1].links == ((0, 6, "https://x.y"),)


# A newsletter that is not shaped like the Alignment Newsletter: its title, sections and
# items are marked up as headings and links, its items have no "(Authors):" openings.
MARKED_DIR = Path(__file__).resolve().parent / "data" / "marked"
MARKED = sorted(MARKED_DIR.glob("weekly-ai-017.*"))


@pytest.mark.parametrize("path", MARKED, ids=lambda p: p.name)
def test_the_markup_of_any_newsletter_gives_its_structure(path):
    issue = load_issue(path)
    # The top heading is the issue's title: "Weekly AI #17 — March 3, 2025".
    assert (issue.newsletter, issue.number, issue.title) == ("Weekly AI", 17, "March 3, 2025")
    # A title right under it, before anything else, is its subtitle.
    assert issue.preamble == (
        "Plus: what a record round means for small labs.",
        "Hi all! This week: scaling laws, a new benchmark, and big funding news 🎉.",
    )
    # A heading under "Highlights" is an item: its link, "(Authors, year)", the
    # "Summarized by" line under it, and "Opinion:", which is the summarizer's.
    (chinchilla,) = issue.highlights
    assert (chinchilla.title, chinchilla.authors, chinchilla.summarizer, chinchilla.url) == (
        "Chinchilla revisited",
        "Hoffmann et al., 2022",
        "Bernhard Schölkopf",
        "https://arxiv.org/abs/2203.15556",
    )
    assert chinchilla.summary.startswith("The authors train 400+ models")
    assert [(o.author, o.text) for o in chinchilla.opinions] == [
        ("Bernhard Schölkopf", "I think this matters for RLHF too, i.e. the reward model's size.")
    ]
    # Short headings are sections and subsections; a long one at the deepest level, and a
    # paragraph or list line that opens with a link, are items. No paragraph is cut at a
    # guessed title ("Hi." "all! This week").
    assert [(s.name, [sub.name for sub in s.subsections]) for s in issue.sections] == [
        ("Research", ["Benchmarks"]),
        ("Funding", []),
        ("News", []),
    ]
    (mmlu,) = issue.sections[0].subsections[0].items
    assert (mmlu.title, mmlu.authors, mmlu.url) == (
        "MMLU-Pro",
        "Łukasz Kaiser & Jürgen Schmidhuber",
        "https://example.com/mmlu",
    )
    assert mmlu.summary.startswith(
        "A harder version of MMLU (57 subjects → 14 domains).\n\n"
        "lm-eval-harness v0.4.2 adds it; run pip install lm-eval."
    )
    funding = issue.sections[1].items
    assert [(i.title, i.url, i.summary) for i in funding] == [
        (
            "A lab raises a new round at a record valuation",
            None,
            "The round values the lab at three times last year's figure.",
        ),
        (
            "Open Philanthropy",
            "https://example.org/op",
            "Announced a new fellowship. Applications close in April.",
        ),
        (
            "Small labs get a compute grant",
            "https://example.org/grant",
            "Ten labs get a year of compute.",
        ),
    ]
    # The sign-off, all of the last item's text, closes the episode.
    (news,) = issue.sections[2].items
    assert news.summary == ""
    assert issue.closing == ("Thanks for reading! See you next week.",)
    assert issue.warnings == ()


def test_the_ml_safety_newsletter_in_markdown():
    text = """# ML Safety Newsletter #2

Welcome to the 2nd issue of the ML Safety Newsletter. In this edition, we cover attacks.

## Robustness

### Pyramid Adversarial Training Improves ViT Performance

While adversarial training can help make models robust to attacks, it reduces accuracy.

[Paper](https://arxiv.org/abs/2111.15121)

### Other Recent Robustness News

- [An adversarial attack on speech models.](https://x.org/1)
- [A new corruption benchmark for segmentation.](https://x.org/2)

## Other News

Grants. Open Philanthropy is funding work on robustness.
"""
    issue = parse_text(text, slug="mlsn-2", fmt="markdown")
    assert (issue.newsletter, issue.number) == ("ML Safety Newsletter", 2)
    assert issue.preamble == ("In this edition, we cover attacks.",)
    robustness, news = issue.sections
    (pyramid,) = robustness.items
    assert (pyramid.title, pyramid.summary, [link.label for link in pyramid.links]) == (
        "Pyramid Adversarial Training Improves ViT Performance",
        "While adversarial training can help make models robust to attacks, it reduces accuracy.",
        ["Paper"],
    )
    (other,) = robustness.subsections
    assert other.name == "Other Recent Robustness News"
    assert [(i.title, i.url, i.summary) for i in other.items] == [
        ("An adversarial attack on speech models", "https://x.org/1", ""),
        ("A new corruption benchmark for segmentation", "https://x.org/2", ""),
    ]
    assert news.name == "Other News"
    assert [(i.title, i.summary) for i in news.items] == [
        ("Grants", "Open Philanthropy is funding work on robustness.")
    ]


def test_an_e_mail_from_a_newsletter_platform():
    # Import AI as its e-mail arrives: buttons ("View in browser", "Like", "Restack"), a
    # linked title heading "Import AI 350: ...", bold "Title:" lines that open stories,
    # "Read more:" lines inside the text, and a footer with the sender's address.
    issue = load_issue(MARKED_DIR / "import-ai-350.html")
    assert (issue.newsletter, issue.number, issue.title) == (
        "Import AI",
        350,
        "Robots that fold laundry; a benchmark for scientific agents",
    )
    assert issue.preamble == (
        "Jack Clark, Nov 20, 2023",  # a table's row of text, read as one line
        # The call to subscribe is left out whole, not cut after "(and comment on posts!)".
        "Welcome to Import AI, a newsletter about AI research. Import AI runs on lattes, "
        "ramen, and feedback from readers.",
    )
    assert [(i.title, [link.label for link in i.links]) for i in issue.highlights] == [
        ("Robots that fold laundry", ["FoldBot (arXiv)"]),
        ("A benchmark for scientific agents", ["ScienceAgentBench (arXiv)"]),
        ("Tech Tales", []),
    ]
    assert issue.sections == ()
    # Nothing after a "Read more:" line is lost, and the buttons and footer are not read.
    assert issue.highlights[1].summary.endswith("The best agent solves 32% of them.")
    assert issue.highlights[2].summary == (
        "The Laundry Machine\n\nThe machine folded the shirts and thought about the sea."
    )
    assert issue.closing == ("Thanks for reading!",)  # the sign-off, read in the outro
    text = repr(issue)
    for chrome in ("View in browser", "Like", "Restack", "Share", "Unsubscribe", "©", "Subscribe"):
        assert chrome not in text


def test_a_linked_lead_in_starts_its_text_with_a_capital_unless_the_word_has_one():
    text = (
        "# Apple #3\n\n## News\n\n"
        "- [iPhone](https://a.b): iOS 18 is out.\n- [Mac](https://c.d): faster.\n"
    )
    (news,) = parse_text(text, slug="apple-3", fmt="markdown").sections
    assert [(i.title, i.summary) for i in news.items] == [
        ("iPhone", "iOS 18 is out."),
        ("Mac", "Faster."),
    ]


def test_code_is_not_read_aloud():
    markdown = "Intro.\n\n```python\n# not a heading\nx = f(y) ** 2\n```\n\nAfter.\n"
    assert [(b.text, b.level) for b in read_markdown(markdown)] == [
        ("Intro.", None),
        (CODE_NOTE, None),
        ("After.", None),
    ]
    html = "<p>Intro.</p><pre><code>def f(x):\n    return x ** 2</code></pre><p>After.</p>"
    assert [b.text for b in read_html(html)] == ["Intro.", CODE_NOTE, "After."]
    # A plain-text newsletter that an e-mail wraps in <pre> is prose: it is read.
    prose = (
        "<pre>Notes\n\nWe read a paper (https://x.org/a_b?c=d#e). It was good. We liked it."
        "\nMore soon.\n</pre>"
    )
    assert [b.text for b in read_html(prose)] == [
        "Notes",
        "We read a paper (https://x.org/a_b?c=d#e). It was good. We liked it. More soon.",
    ]


def test_markdown_reference_links_are_resolved_and_their_definitions_not_read():
    text = """# Dev Digest #5

## Tools

1. [Ruff][ruff] 0.5 is out: it is faster again.
2. [uv][] — a new package manager.

[ruff]: https://github.com/astral-sh/ruff
[uv]: <https://github.com/astral-sh/uv> "uv on GitHub"
"""
    blocks = read_markdown(text)
    assert [(b.text, b.links) for b in blocks[2:]] == [
        ("Ruff 0.5 is out: it is faster again.", ((0, 4, "https://github.com/astral-sh/ruff"),)),
        ("uv — a new package manager.", ((0, 2, "https://github.com/astral-sh/uv"),)),
    ]
    # A linked title may be short ("uv"), or go on past its link up to the colon.
    (tools,) = parse_text(text, slug="dev-digest-5", fmt="markdown").sections
    assert [(i.title, i.url, i.summary) for i in tools.items] == [
        ("Ruff 0.5 is out", "https://github.com/astral-sh/ruff", "It is faster again."),
        ("uv", "https://github.com/astral-sh/uv", "A new package manager."),
    ]


def test_the_title_heading_is_found_after_an_e_mails_first_lines():
    html = (FORMS / "forms.html").read_text(encoding="utf-8")
    html = html.replace("<body>", "<body><p><a href='https://x.y'>View in browser</a></p>", 1)
    issue = parse_text(html, slug="forms", fmt="html")
    assert (issue.number, issue.title, issue.newsletter) == (
        99,
        "Reading the forms of an issue",
        "Alignment Newsletter",
    )
    assert issue.preamble == ("We are hiring a second editor this month.",)
    assert [s.name for s in issue.sections] == ["Technical AI alignment", "News"]


BOLD_LEADS_MD = """# Weekly AI #19

Hello all.

## News

**OpenAI raises prices.** The API now costs more for long contexts.

**Why it matters:** long contexts are where agents live.

**Google releases Gemma:** open weights, in two sizes.

- **Mistral** - a new small model.
- **Meta** – a speech model that runs on phones.

**Note** that we skipped last week.
"""

BOLD_LEADS_HTML = """<html><body>
<div style="display: none; max-height: 0">Your weekly dose of AI, plus a hiring update</div>
<span aria-hidden="true">&#847; &zwnj; &#847;</span>
<h1>Weekly AI #19</h1>
<p hidden>A preview line no reader sees.</p>
<p>Hello all.</p>
<h2>News</h2>
<p><strong>OpenAI raises prices.</strong> The API now costs more for long contexts.</p>
<p><b>Why it matters:</b> long contexts are where agents live.</p>
<p><strong>Google releases Gemma</strong>: open weights, in two sizes.</p>
<ul><li><b>Mistral</b> - a new small model.</li>
<li><b>Meta</b> – a speech model that runs on phones.</li></ul>
<p><b>Note</b> that we skipped last week.</p>
<p>Thanks for reading Weekly AI! Subscribe for free to receive new posts.</p>
<p><a href="#">Share this post</a> · <a href="#">Leave a comment</a></p><p>Listen now</p>
</body></html>"""


@pytest.mark.parametrize(
    "text, fmt", [(BOLD_LEADS_MD, "markdown"), (BOLD_LEADS_HTML, "html")], ids=["md", "html"]
)
def test_a_bold_title_opens_an_item_and_hidden_text_is_not_read(text, fmt):
    issue = parse_text(text, slug="weekly-ai-19", fmt=fmt)
    # An e-mail's hidden preheader and the platform's "Subscribe" box are not read.
    assert issue.preamble == ("Hello all.",)
    (news,) = issue.sections
    assert [(i.title, i.summary) for i in news.items] == [
        (
            "OpenAI raises prices",
            # A bold part's label ("Why it matters:") stays in its item.
            "The API now costs more for long contexts.\n\n"
            "Why it matters: long contexts are where agents live.",
        ),
        ("Google releases Gemma", "Open weights, in two sizes."),
        ("Mistral", "A new small model."),
        # Bold words that begin a sentence open nothing.
        ("Meta", "A speech model that runs on phones.\n\nNote that we skipped last week."),
    ]


def test_front_matter_is_not_read_and_short_headings_beside_long_ones_are_items():
    text = """---
title: "AI Weekly #88"
date: 2025-02-03
---

# AI Weekly #88: Reasoning models everywhere

Hey friends.

## Top stories

### DeepSeek R1 shakes up the market
DeepSeek released R1, an open reasoning model.

### OpenAI launches o3-mini
The new model is available to free users.

*That's it for this week! Forward this to a friend who'd enjoy it.*

[Unsubscribe](https://x.example/u) | [View online](https://x.example/88)
"""
    issue = parse_text(text, slug="ai-weekly-88", fmt="markdown")
    assert (issue.number, issue.title) == (88, "Reasoning models everywhere")
    assert issue.preamble == ("Hey friends.",)
    (top,) = issue.sections
    assert (top.name, [(i.title, i.summary) for i in top.items]) == (
        "Top stories",
        [
            ("DeepSeek R1 shakes up the market", "DeepSeek released R1, an open reasoning model."),
            (
                # Three words, but at the level of the items' titles: not a subsection.
                "OpenAI launches o3-mini",
                # The invitation to forward the e-mail and the buttons are not read;
                # the sign-off is read in the closing chapter.
                "The new model is available to free users.",
            ),
        ],
    )
    assert top.subsections == ()
    assert issue.closing == ("That's it for this week!",)


def test_an_in_this_issue_line_is_read_in_the_introduction_not_as_an_item():
    html = """<html><body>
<h1>Policy Brief #12</h1>
<p><strong>In this issue:</strong> the EU AI Act's codes, and US export controls.</p>
<h2>Europe</h2><h3>Codes of practice published</h3><p>The AI Office published a draft.</p>
<p><a href="https://example.eu/code">Read the draft</a></p><p><a href="#">Continue reading →</a></p>
<h2>United States</h2><h3>New export controls</h3><p>Commerce tightened the rules.</p>
</body></html>"""
    issue = parse_text(html, slug="policy-brief-12", fmt="html")
    assert issue.highlights == ()
    assert issue.preamble == ("In this issue: the EU AI Act's codes, and US export controls.",)
    assert [s.name for s in issue.sections] == ["Europe", "United States"]
    # A link that only says "Read the draft" is not read.
    assert [(i.title, i.summary) for i in issue.sections[0].items] == [
        ("Codes of practice published", "The AI Office published a draft.")
    ]
    intro = make_segments(issue)[0].script
    # The episode's own overview does not say "In this issue" a second time.
    assert intro.endswith("In this episode: Europe and United States.")


def test_markdown_html_entities_are_read_as_their_characters():
    (block,) = read_markdown("Tea &amp; cake&nbsp;&mdash; it&#8217;s &lt;b&gt; & more")
    assert block.text == "Tea & cake \u2014 it\u2019s <b> & more"


def test_a_web_pages_menus_footer_and_forms_are_not_read():
    page = """<html><body>
<nav><a href="/">Home</a> <a href="/archive">Archive</a> <a href="/about">About</a></nav>
<header><h1>Weekly AI #20</h1></header>
<article><p>Hello all, a short issue.</p>
<h2>News</h2><h3>A lab raised a round</h3><p>The lab raised money for tools.</p></article>
<form><label>Email</label><input type="email"><button>Subscribe</button></form>
<footer><p>Made with care in Lisbon. Terms. Privacy.</p></footer>
</body></html>"""
    issue = parse_text(page, slug="weekly-ai-20", fmt="html")
    assert (issue.number, issue.preamble) == (20, ("Hello all, a short issue.",))
    (news,) = issue.sections
    assert [(i.title, i.summary) for i in news.items] == [
        ("A lab raised a round", "The lab raised money for tools.")
    ]


def test_a_hidden_element_whose_end_tag_is_left_out_hides_only_itself():
    html = (
        "<h1>Notes #5</h1><p hidden>Preview text<p>Hello.<ul><li hidden>Gone<li>Kept</ul>"
        "<div aria-hidden=true><div>Nested</div>Still hidden</div><p>End."
        "<ul><li>One<li hidden>Two</ul><p>After."
    )
    assert [b.text for b in read_html(html)] == [
        "Notes #5",
        "Hello.",
        "Kept",
        "End.",
        "One",
        "After.",
    ]


@pytest.mark.parametrize(
    "text, fmt",
    [
        (
            "# Notes #6\n\nHello there.\n\n## News\n\n**OpenAI raises its prices again**\n\n"
            "The API now costs more for long contexts, they said.\n\n"
            "**[Google releases the Gemma models](https://g.co)**\n\n"
            "Open weights, in two sizes, for everyone to use.\n\n**Also notable**\n\n"
            "A part's label in bold stays in the item before it, with its text.\n",
            "markdown",
        ),
        (
            "<h1>Notes #6</h1><p>Hello there.</p><h2>News</h2>"
            "<p><b>OpenAI raises its prices again</b></p>"
            "<p>The API now costs more for long contexts, they said.</p>"
            "<p><strong><a href='https://g.co'>Google releases the Gemma models</a></strong></p>"
            "<p>Open weights, in two sizes, for everyone to use.</p><p><b>Also notable</b></p>"
            "<p>A part's label in bold stays in the item before it, with its text.</p>",
            "html",
        ),
    ],
    ids=["md", "html"],
)
def test_a_paragraph_all_in_bold_titles_the_one_after_it(text, fmt):
    (news,) = parse_text(text, slug="notes-6", fmt=fmt).sections
    assert [(i.title, i.url, i.summary) for i in news.items] == [
        (
            "OpenAI raises its prices again",
            None,
            "The API now costs more for long contexts, they said.",
        ),
        (
            "Google releases the Gemma models",
            "https://g.co",
            "Open weights, in two sizes, for everyone to use.\n\nAlso notable\n\n"
            "A part's label in bold stays in the item before it, with its text.",
        ),
    ]


def test_an_html_table_of_text_is_read_a_row_at_a_time():
    html = (
        "<h2>Results</h2><table><tr><th>Model</th><th>Score</th></tr>"
        "<tr><td><a href='https://x.org'>GPT-4</a></td><td>86.4</td></tr></table>"
        # A layout table (an e-mail's) keeps its blocks.
        "<table><tr><td><h3>Layout</h3><p>One.</p></td><td><p>Two.</p></td></tr></table>"
        "<table><tr><td><a href='#'>Like</a></td><td><a href='#'>Share</a></td></tr></table>"
    )
    assert [(b.text, b.level, b.links, b.list_item) for b in read_html(html)] == [
        ("Results", 2, (), False),
        ("Model, Score", None, (), True),
        ("GPT-4, 86.4", None, ((0, 5, "https://x.org"),), True),
        ("Layout", 3, (), False),
        ("One.", None, (), False),
        ("Two.", None, (), False),
        ("Like, Share", None, ((0, 4, "#"), (6, 11, "#")), True),
    ]
    # A row of buttons is still left out.
    issue = parse_text("<h1>Notes #7</h1><p>Hello there.</p>" + html, slug="n-7", fmt="html")
    assert "Like" not in str(issue)


def test_labels_of_an_items_parts_open_no_items():
    # The Rundown's shape: each story under a heading has "**The Rundown:**", "**The
    # details:**" and "**Why it matters:**" parts; "In today's AI rundown:" lists them.
    issue = load_issue(MARKED_DIR / "the-rundown-2025-03-05.md")
    assert (issue.newsletter, issue.title) == ("The Rundown AI", "March 5, 2025")
    assert issue.highlights == ()
    assert issue.preamble[1:] == (
        "In today's AI rundown:",
        "Anthropic's Claude 3.7 Sonnet",
        "OpenAI's GPT-4.5",
        "4 new AI tools",
    )
    anthropic, openai, quick = issue.sections
    # A list of one-line news under a heading: an item for each line; the sign-off closes.
    assert [(i.title, i.summary) for i in quick.items] == [
        ("Mistral released Saba, a model for Arabic and South Asian languages", ""),
        ("Google launched Gemini Code Assist for free", ""),
    ]
    assert issue.closing == ("See you soon,", "Rowan and the Rundown team")
    assert make_segments(issue)[-1].script == (
        "See you soon.\n\nRowan and the Rundown team.\n\n"
        "That was The Rundown AI. Thank you for listening."
    )
    # A heading in capitals keeps a name's own capitals.
    assert [s.name for s in issue.sections] == ["Anthropic", "OpenAI", "Quick Hits"]
    (claude,) = anthropic.items
    assert claude.title == "🤖 Claude 3.7 Sonnet arrives"  # (emoji are not read aloud)
    assert claude.summary.split("\n\n") == [
        "The Rundown: Anthropic released Claude 3.7 Sonnet, its first hybrid reasoning model.",
        "The details:",
        "It has an extended thinking mode.",
        "It scores 70.3% on SWE-bench Verified.",
        "Why it matters: Hybrid reasoning is here, and it's cheap.",
    ]
    assert [i.title for i in openai.items] == ["🧠 GPT-4.5 is out"]
    intro = make_segments(issue)[0].script
    assert intro.endswith("In this episode: Anthropic, OpenAI, and Quick Hits.")


def test_labels_of_parts_that_come_once_open_no_items_and_the_footer_is_not_read():
    # The Batch's and Axios's shape: each story's parts are labelled, some labels only
    # once in an issue ("How it works:"); the footer starts "You're receiving this".
    text = (
        "# The Batch\n\n## News\n\n### Meta Releases Llama 3.1\n\n"
        "**What's new:** Meta released Llama 3.1.\n\n"
        "**How it works:** The model was trained on 15.6T tokens.\n\n"
        "**The big picture:** Open weights at this scale.\n\n"
        "### Google's Gemini Gets Faster\n\n"
        "**What's new:** Google cut Gemini's price.\n\n"
        "**Yes, but:** It is slower.\n\n"
        "## Subscribe\n\n"
        "You’re receiving this email because you signed up. Unsubscribe · Manage preferences\n"
        "© 2024 DeepLearning.AI, 400 Castro St., Mountain View, CA 94041\n"
    )
    issue = parse_text(text, slug="the-batch-300", fmt="markdown")
    news, subscribe = issue.sections
    meta, gemini = news.items
    assert (meta.title, gemini.title) == ("Meta Releases Llama 3.1", "Google's Gemini Gets Faster")
    assert meta.summary.split("\n\n") == [
        "What's new: Meta released Llama 3.1.",
        "How it works: The model was trained on 15.6T tokens.",
        "The big picture: Open weights at this scale.",
    ]
    assert gemini.summary.endswith("Yes, but: It is slower.")
    assert (subscribe.items, subscribe.subsections, issue.closing) == ((), (), ())
    segments = make_segments(issue)
    assert [s.id for s in segments] == ["01-intro", "02-section-news", "03-outro"]
    assert not any("receiving" in s.script or "2024" in s.script for s in segments)


def test_a_name_over_the_date_a_closing_section_and_the_senders_address():
    # Axios's shape: "# Axios AI+" over the date; the last section's heading signs off
    # ("Thanks for reading!") over a few short lines; the footer gives a postal address.
    text = (
        "# Axios AI+\n\nJune 3, 2025\n\nGood morning!\n\n"
        "## 1 big thing: OpenAI's round closes\n\n**OpenAI** closed its funding round.\n\n"
        "**Why it matters:** It is the largest on record.\n\n"
        "## Thanks for reading!\n\n"
        "Thanks to Megan Morrone for editing this newsletter. Reach us at ai@axios.com.\n\n"
        "*Axios, 3100 Clarendon Blvd., Arlington VA 22201. You received this email because "
        "you signed up.*\n"
    )
    issue = parse_text(text, slug="axios-ai-plus-2025-06-03", fmt="markdown")
    assert (issue.newsletter, issue.title, issue.number) == ("Axios AI+", "June 3, 2025", None)
    (story,) = issue.sections
    assert story.name == "1 big thing: OpenAI's round closes"
    assert issue.closing == (
        "Thanks for reading!",
        "Thanks to Megan Morrone for editing this newsletter.",
        "Reach us at ai@axios.com.",
    )
    outro = make_segments(issue)[-1].script
    assert "Arlington" not in outro and outro.endswith(
        "That was Axios AI+. Thank you for listening."
    )
    # The address on a line of its own above the footer is the sender's too; one in a
    # story is read.
    venue = "The meetup is at Moscone Center, San Francisco, CA 94103, on Friday."
    text = text.replace("Arlington VA 22201. You", "Arlington VA 22201.*\n\n*You")
    text = text.replace("**Why it matters:**", f"{venue}\n\n**Why it matters:**")
    issue = parse_text(text, slug="axios-ai-plus-2025-06-03", fmt="markdown")
    assert issue.sections[0].items[0].summary.split("\n\n")[0] == venue
    assert issue.closing[-1] == "Reach us at ai@axios.com."


def test_a_sponsors_line_in_bold_is_read_in_the_introduction_not_as_an_item():
    html = (
        "<h1>AI Brief #42</h1><p>Hi friends,</p>"
        "<p><strong>PRESENTED BY ACME CLOUD</strong></p>"
        "<p>Run your models 3x cheaper on Acme Cloud. <a href='https://acme.example'>Try it"
        " free →</a></p><h2>Top stories</h2><h3><a href='https://a.example'>Claude uses a"
        " computer</a></h3><p>It can click and type.</p>"
    )
    issue = parse_text(html, slug="ai-brief-42", fmt="html")
    assert issue.highlights == ()
    assert issue.preamble[-2:] == (
        "PRESENTED BY ACME CLOUD",
        "Run your models 3x cheaper on Acme Cloud. Try it free →",
    )
    assert make_segments(issue)[0].script.split("\n\n")[2:4] == [
        "PRESENTED BY ACME CLOUD.",
        "Run your models 3 times cheaper on Acme Cloud. Try it free.",
    ]


def _email(subject: str, plain: str | None, html: str | None) -> bytes:
    message = EmailMessage()
    message["From"] = "AI Brief <hello@aibrief.example>"
    message["Subject"] = subject
    if plain is not None:
        message.set_content(plain)
    if html is not None:
        if plain is None:
            message.set_content(html, subtype="html", cte="quoted-printable")
        else:
            message.add_alternative(html, subtype="html", cte="quoted-printable")
    if plain is None and html is None:
        message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf")
    return bytes(message)


def test_a_saved_e_mail_is_read_from_its_html_part_or_its_text(tmp_path):
    # An editor may drop the e-mail as sent (".eml"): its HTML part (quoted-printable
    # here), with the subject as its title; or its plain text, the subject first.
    html = (
        "<html><body><p>Hi friends — café talk first,</p><h2>Top stories</h2>"
        "<h3><a href='https://example.com/a'>Anthropic ships computer use</a></h3>"
        "<p>Claude can now move a cursor and type.</p></body></html>"
    )
    plain = (
        "Hi friends,\n\nTOP STORIES\n\nAnthropic ships computer use\n"
        "Claude can now move a cursor, click and type on a desktop of its own.\n"
    )
    subject = "AI Brief #42: Agents everywhere"
    for name, data in (
        ("both.eml", _email(subject, plain, html)),
        ("html.eml", _email(subject, None, html)),
        ("plain.eml", _email(subject, plain, None)),
    ):
        (tmp_path / name).write_bytes(data)
        issue = load_issue(tmp_path / name)
        assert (issue.newsletter, issue.number, issue.title) == (
            "AI Brief",
            42,
            "Agents everywhere",
        )
        (top,) = issue.sections
        assert [i.title for i in top.items] == ["Anthropic ships computer use"], name
    assert load_issue(tmp_path / "html.eml").preamble == ("Hi friends — café talk first,",)
    assert load_issue(tmp_path / "both.eml").sections[0].items[0].url == "https://example.com/a"
    assert load_issue(tmp_path / "plain.eml").preamble == ("Hi friends,",)
    assert find_issues(tmp_path) == tuple(
        tmp_path / n for n in ("both.eml", "html.eml", "plain.eml")
    )
    (tmp_path / "pdf.eml").write_bytes(_email(subject, None, None))
    with pytest.raises(IssueError, match=r"pdf\.eml: an e-mail with no text or HTML part"):
        load_issue(tmp_path / "pdf.eml")
    (tmp_path / "zip.eml").write_bytes(b"PK\x03\x04\x00\x00 not a message")
    with pytest.raises(IssueError, match=r"zip\.eml: not an e-mail \(it contains NUL bytes\)"):
        load_issue(tmp_path / "zip.eml")


def test_markdown_task_boxes_and_line_breaks_are_not_read():
    blocks = read_markdown("- [ ] a task\n- [x] done task\n\nLine one<br>line two<BR/>three.")
    assert [b.text for b in blocks] == ["a task", "done task", "Line one line two three."]


def test_a_static_sites_metadata_gives_the_title_and_comments_are_not_read():
    # This Week in Rust's form: Pelican's "Title:" lines, comments for the editors over
    # several lines, and a later heading of the top level.
    text = """Title: This Week in Rust 570
Number: 570
Date: 2024-10-23

Hello and welcome to another issue.

## Updates from Rust Community

<!--

Dear community contributors:
Please read README.md for guidance on submissions.

-->

### Rust Walkthroughs
* [Demystifying Alignment and Memory Layout in Rust](https://example.dev/part-1)

# Quote of the Week

<!-- QOTW goes here -->
A quote, this week.
"""
    issue = parse_text(text, slug="this-week-in-rust-570", fmt="markdown")
    assert (issue.newsletter, issue.number, issue.title) == ("This Week in Rust", 570, None)
    assert issue.preamble == ("Hello and welcome to another issue.",)
    assert "contributors" not in str(issue) and "QOTW" not in str(issue)
    assert [s.name for s in issue.sections] == ["Updates from Rust Community", "Quote of the Week"]


def test_an_e_mails_subject_is_its_title_when_no_heading_gives_one():
    html = (
        "<html><head><title>Policy Brief #14: Chips and codes</title></head><body>"
        "<p>Hello all.</p><h2>Europe</h2><h3>Codes of practice published</h3>"
        "<p>The AI Office published a draft.</p></body></html>"
    )
    issue = parse_text(html, slug="policy-brief-14", fmt="html")
    assert (issue.newsletter, issue.number, issue.title) == (
        "Policy Brief",
        14,
        "Chips and codes",
    )
    assert issue.preamble == ("Hello all.",)
    # A drawing's title is not the page's.
    drawn = html.replace("<p>Hello all.</p>", "<svg><title>Logo</title></svg><p>Hello all.</p>")
    assert parse_text(drawn, slug="policy-brief-14", fmt="html").title == "Chips and codes"
    bare = drawn.replace("<title>Policy Brief #14: Chips and codes</title>", "")
    assert "Logo" not in str(parse_text(bare, slug="policy-brief-14", fmt="html"))
    # A web page's title ends with its site's name.
    site = html.replace("Chips and codes</title>", "Chips and codes | Substack</title>")
    assert parse_text(site, slug="policy-brief-14", fmt="html").title == "Chips and codes"
    # A page whose own heading names it keeps that.
    page = html.replace("<p>Hello all.</p>", "<h1>Policy Brief #14: The real title</h1>")
    assert parse_text(page, slug="policy-brief-14", fmt="html").title == "The real title"


def test_an_old_style_e_mail_laid_out_in_a_table():
    # One story to a row, its lines parted by <br>; the subject again as the first row;
    # the sign-off last.
    html = """<html><head><title>Dev Digest #31</title></head><body><table>
<tr><td><font size=5>Dev Digest #31</font></td></tr>
<tr><td>Hi everyone, here are this week's links.</td></tr>
<tr><td><b><a href="https://x.org/rust">Rust 1.80 is out</a></b><br>LazyCell and LazyLock
are now stable.</td></tr>
<tr><td>Cheers,<br>Sam</td></tr>
</table></body></html>"""
    issue = parse_text(html, slug="dev-digest-31", fmt="html")
    assert (issue.newsletter, issue.number) == ("Dev Digest", 31)
    assert issue.preamble == ("Hi everyone, here are this week's links.",)
    assert [(i.title, i.url, i.summary) for i in issue.highlights] == [
        ("Rust 1.80 is out", "https://x.org/rust", "LazyCell and LazyLock are now stable.")
    ]
    assert issue.closing == ("Cheers,", "Sam")


def test_headings_that_give_a_links_kind_are_items_beside_one_line_news():
    # TLDR's Markdown: "### Title (4 minute read)" over its text, then a list of one-line
    # news whose "(1 minute read)" makes the issue's form the "(Authors)" one.
    issue = load_issue(MARKED_DIR / "tldr-ai-2025-06-02.md")
    assert (issue.newsletter, issue.title) == ("TLDR AI", "June 2, 2025")
    # A sponsor's line is not a section: it is read in the introduction.
    assert issue.preamble == ("Together with Acme Cloud",)
    headlines, research, quick = issue.sections
    assert [s.name for s in issue.sections] == [
        "🚀 Headlines & Launches",
        "🧠 Research & Innovation",
        "⚡ Quick Links",
    ]
    assert headlines.subsections == research.subsections == quick.subsections == ()
    assert [(i.title, i.authors, i.summary[:30]) for i in headlines.items] == [
        ("Gemini 2.5 Pro gets Deep Think mode", None, "Google released an experimenta"),
        ("Mistral launches Codestral Embed", None, "Mistral's first embedding mode"),
    ]
    # "(GitHub Repo)" is the link's kind, not its authors.
    (scaling,) = research.items
    assert (scaling.title, scaling.authors) == (
        "Scaling laws for reward model overoptimization, revisited",
        None,
    )
    assert [(i.title, i.url) for i in quick.items][:2] == [
        ("OpenAI o3-pro is now available to Pro users", "https://openai.com"),
        ("Anthropic raised $3.5B at a $61.5B valuation", "https://anthropic.com"),
    ]
    intro, first, *_ = make_segments(issue)
    assert intro.script == (
        "TLDR AI: June 2, 2025.\n\nTogether with Acme Cloud.\n\n"
        "In this issue: Headlines and Launches, Research and Innovation, and Quick Links."
    )
    assert first.script.startswith(
        "Headlines and Launches.\n\nGemini 2.5 Pro gets Deep Think mode.\n\n"
        "Google released an experimental reasoning mode"
    )


def test_a_ghost_e_mail_with_a_bookmark_card_a_byline_and_a_footer():
    issue = load_issue(MARKED_DIR / "robot-notes-41.html")
    assert (issue.newsletter, issue.number, issue.title) == ("Robot Notes", 41, "Hands, finally")
    assert issue.preamble == (
        "By Sam Lee • 5 min read",
        "Welcome back! Three stories this week, and a tool I have been enjoying.",
    )
    research, tools = issue.sections
    # The card's title and description are read; not where its link goes ("arXiv.org").
    dexhand = research.items[0]
    assert dexhand.title == "DexHand: learning in-hand rotation from 10 minutes of play"
    assert "arXiv.org" not in str(issue) and "Jane Roe" not in str(issue)
    # A sign-off that is all of the last story's text closes the episode; the footer
    # ("Robot Notes © 2025 – Unsubscribe", "Powered by Ghost") is not read.
    (mujoco,) = tools.items
    assert mujoco.summary == ""
    assert issue.closing == ("That's all for this week. See you next Friday!", "— Sam")
    assert "Ghost" not in str(issue) and "©" not in str(issue)
    intro = make_segments(issue)[0]
    # A reading time means nothing aloud, and a "•" is a pause.
    assert intro.script.split("\n\n")[1] == "By Sam Lee."


def test_a_plain_text_list_of_links_under_slashed_headings():
    # Hacker Newsletter's text e-mail: the name over "#689 - date", "// Favorites"
    # headings, and each story a title over its address and "(comments)".
    path = MARKED_DIR / "hacker-newsletter-689.txt"
    blocks = read_blocks(path.read_text(), "text")
    assert [(b.text, b.level) for b in blocks if b.level] == [
        ("Favorites", 2),
        ("Show HN", 2),
        ("Code", 2),
    ]
    issue = load_issue(path)
    assert (issue.newsletter, issue.number, issue.title) == (
        "Hacker Newsletter",
        689,
        "February 21, 2025",
    )
    assert [(s.name, [(i.title, i.url) for i in s.items]) for s in issue.sections] == [
        (
            "Favorites",
            [
                (
                    "The Hidden Costs of Coding with Generative AI",
                    "https://sloanreview.mit.edu/article/hidden-costs",
                ),
                ("I built a large language model from scratch", "https://example.com/llm"),
            ],
        ),
        (
            "Show HN",
            [
                (
                    "Show HN: A tiny SQLite clone in 1,000 lines of Rust",
                    "https://github.com/example/tinysql",
                )
            ],
        ),
        (
            "Code",
            [
                ("Why Rust's borrow checker is not your enemy", "https://example.com/borrow"),
                ("Writing a compiler in a weekend", "https://example.com/compiler"),
            ],
        ),
    ]
    assert issue.closing == (
        "That's it for this week. If you enjoyed it, please share with a friend!",
        "Cheers, Kale",
    )
    assert "comments" not in str(issue) and issue.warnings == ()


def test_a_numbered_list_of_links_is_the_issue_and_a_footnote_is_read_where_it_is_cited():
    issue = load_issue(MARKED_DIR / "five-things-118.md")
    assert (issue.newsletter, issue.number, issue.title) == (
        "Five Things",
        118,
        "Agents everywhere",
    )
    assert issue.preamble == (
        "Good morning! Here are the five things I found most interesting this week.",
        "Footnote: Well, four and a half. Number 4 is short.",
    )
    assert [(i.title, i.authors, i.url) for i in issue.highlights][:2] == [
        ("Agents are eating SaaS", None, "https://example.com/agents"),
        ("The state of open weights", "Nathan Lambert", "https://example.com/open"),
    ]
    assert issue.highlights[2].summary == (
        "Practical advice on building evals for LLM apps:\n\n"
        "Start with 20 examples you wrote by hand. Then look at your data."
    )
    assert issue.closing == ("That's all for now. Reply and tell me what I missed!", "— Priya")
    # Five items and nothing else are the issue, not its highlights: no "Highlight:".
    intro, agents, *_, outro = make_segments(issue)
    assert len(make_segments(issue)) == 7
    assert intro.script.endswith(
        "In this issue: Agents are eating SaaS, The state of open weights, A field guide to "
        "evals, Why GPUs are still scarce, and Tiny recursive models."
    )
    assert agents.script.startswith("Agents are eating SaaS.\n\nA long piece")
    assert "Footnote" not in outro.script


SUBSTACK_FOOTNOTES = """<h1>Which AI to use now</h1>
<p>I put together a guide.<a class="footnote-anchor" id="footnote-anchor-1"
href="#footnote-1">1</a> A lot has changed.</p>
<p>Pick one of <a href="https://example.com/three">the big three</a>.</p>
<div class="footnote"><a id="footnote-1" href="#footnote-anchor-1"
class="footnote-number">1</a><div class="footnote-content"><p>I last did this in
<a href="https://example.com/feb">February</a>.</p><p>It was long.</p></div></div>"""

PANDOC_FOOTNOTES = """<h1>Which AI to use now</h1>
<p>I put together a guide.<a href="#fn1" class="footnote-ref" id="fnref1"
role="doc-noteref"><sup>1</sup></a> A lot has changed.</p>
<p>Pick one of <a href="https://example.com/three">the big three</a>.</p>
<section class="footnotes" role="doc-endnotes"><hr><ol><li id="fn1"><p>I last did this
in <a href="https://example.com/feb">February</a>.</p><p>It was long.<a href="#fnref1"
class="footnote-back" role="doc-backlink">↩︎</a></p></li></ol></section>"""


@pytest.mark.parametrize("html", [SUBSTACK_FOOTNOTES, PANDOC_FOOTNOTES], ids=["substack", "pandoc"])
def test_an_html_footnote_is_read_where_it_is_cited_and_its_marks_are_not(html):
    blocks = read_html(html)
    assert [(b.text, b.links) for b in blocks[1:]] == [
        ("I put together a guide. A lot has changed.", ()),
        ("Footnote: I last did this in February.", ((29, 37, "https://example.com/feb"),)),
        ("It was long.", ()),
        ("Pick one of the big three.", ((12, 25, "https://example.com/three"),)),
    ]


def test_tldr_as_its_web_page_gives_it_a_masthead_a_sponsor_and_emoji_lines():
    issue = load_issue(MARKED_DIR / "tldr-2026-04-23.txt")
    # "TLDR" (the masthead) and "Together With Rokt" come before the title line.
    assert (issue.newsletter, issue.title) == ("TLDR", "April 23, 2026")
    assert issue.preamble == (
        "Together With Rokt",
        "Google TPU v8 ⚡, Tesla's research fab 🏭, AI-native interviews 💼",
    )
    # An advertisement says so; a line of emoji ("📱") is not an item.
    (sponsor,) = issue.highlights
    assert sponsor.title == "AI is compressing the path to purchase (Sponsor)"
    # A heading with nothing under it (the sponsor's "Get your guide") is no chapter.
    intro, *_ = segments = make_segments(issue)
    assert [s.title for s in segments if s.kind == "section"] == [
        "Big Tech & Startups",
        "Science & Futuristic Technology",
        "Quick Links",
    ]
    assert intro.script == (
        "TLDR: April 23, 2026.\n\nTogether With Rokt.\n\n"
        "Google TPU v8, Tesla's research fab, AI-native interviews.\n\n"
        "In the highlights: AI is compressing the path to purchase, Sponsor. Then: Big Tech "
        "and Startups, Science and Futuristic Technology, and Quick Links."
    )
    assert "Tesla to Spend 3 Billion dollars on" in segments[2].script


def test_a_beehiiv_e_mails_list_of_what_to_know_and_its_poll():
    issue = load_issue(MARKED_DIR / "the-neuron-2025-05-20.html")
    # "Here's what you need to know ...:" over a list is the introduction, not an item.
    assert issue.highlights == ()
    assert issue.preamble[2:] == (
        "Here's what you need to know about AI today:",
        "Google put AI Mode in search for everyone.",
        "Anthropic shipped Claude 4.",
    )
    # The reader poll ("What did you think about today's email?") and all after it are
    # the footer; the sign-off before it closes the episode.
    assert issue.closing == ("That's all for today, for more AI treats, check out our website.",)
    assert "Loved it" not in str(issue) and "unsubscribe" not in str(issue)
    assert [s.name for s in issue.sections] == [
        "Google goes all in on AI Mode",
        "Treats to try",
        "A Cat's Commentary",
    ]


def test_numbered_headings_and_a_title_that_says_issue():
    issue = load_issue(MARKED_DIR / "ml-notes-12.md")
    # "ML Notes — Issue #12": the newsletter is "ML Notes", not "ML Notes — Issue".
    assert (issue.newsletter, issue.number) == ("ML Notes", 12)
    # "## 1. The big story" is named without its number, in chapters and aloud.
    assert [s.name for s in issue.sections] == [
        "Editor's note",
        "The big story: reasoning models",
        "Papers",
        "Jobs",
    ]
    # "Was this forwarded to you? Subscribe here." is the footer.
    assert "forwarded" not in str(issue)
    jobs = make_segments(issue)[-2]
    assert jobs.script.startswith("Jobs.\n\nResearch Engineer, Interpretability at Anthropic")
    assert jobs.script.endswith("ML Scientist at Mistral, Paris.")


def test_an_embedded_tweet_is_read_as_its_author_and_text():
    html = (MARKED_DIR / "substack-tweet-3.html").read_text()
    assert [b.text for b in read_html(html)] == [
        "The o3 moment",
        "Here is how the week started.",
        "François Chollet",
        "Today OpenAI announced o3, its next-gen reasoning model. We've worked with OpenAI to "
        "test it on ARC-AGI.",
        "That was a big deal.",
    ]


def test_a_daily_e_mails_text_with_a_market_table():
    issue = load_issue(MARKED_DIR / "morning-brew-2025-03-04.txt")
    # The links row, then the name over the date, make the title.
    assert (issue.newsletter, issue.title) == ("Morning Brew", "March 04, 2025")
    assert issue.preamble[0] == "Presented By Acme Bank"
    # Lines of a market's table in capitals are not headings.
    assert [s.name for s in issue.sections] == ["Markets", "Tech", "World"]
    intro, markets, tech, *_ = make_segments(issue)
    assert intro.script.startswith("Morning Brew: March 4, 2025.\n\n")
    assert "NASDAQ 18,350.19 down 2.64 percent." in markets.script
    assert "starting at 999 dollars, 100 dollars less" in tech.script


def test_three_levels_of_headings_and_a_line_of_authors_under_each_item():
    issue = load_issue(MARKED_DIR / "research-digest-7.md")
    # "#### FlashAttention-2", alone and short under "### Efficiency", is an item as
    # "#### Tree of Thoughts" is: the deepest of three levels is the items'.
    assert [
        (s.name, [(sub.name, [(i.title, i.authors) for i in sub.items]) for sub in s.subsections])
        for s in issue.sections
    ] == [
        (
            "Language models",
            [
                (
                    "Reasoning",
                    [
                        ("Let's Verify Step by Step", "Lightman et al., 2023"),
                        ("Tree of Thoughts", "Yao et al., 2023"),
                    ],
                ),
                ("Efficiency", [("FlashAttention-2", "Tri Dao, 2023")]),
            ],
        ),
        ("Vision", []),
    ]
    (sam,) = issue.sections[1].items
    assert (sam.title, sam.authors) == ("Segment Anything", "Kirillov et al., 2023")
    efficiency = make_segments(issue)[2]
    assert efficiency.script == (
        "Language models: Efficiency.\n\nFlashAttention-2, by Tri Dao, 2023.\n\n"
        "Faster attention through better work partitioning."
    )


def test_substacks_plain_text_e_mail():
    issue = load_issue(MARKED_DIR / "one-useful-thing-89.txt")
    # "View this post on the web at https://..." and "Unsubscribe https://..." are
    # buttons with their addresses; the post's date is no story's title.
    assert issue.preamble == (
        "Ethan Mollick",
        "Jan 15",
        "It is time to talk about jagged AGI [https://www.oneusefulthing.org/p/on-jagged-agi]. "
        "The models are superhuman at some tasks and fail at others.",
    )
    # A title line over a short paragraph is a story's too, once another is one.
    assert [(i.title, i.summary) for i in issue.highlights] == [
        (
            "The jagged frontier",
            "We first described the jagged frontier [https://example.com/paper] in a paper "
            "with BCG. Tasks that look equally hard can fall on either side of it.",
        ),
        ("What comes next", "I expect the frontier to keep moving, unevenly."),
    ]
    assert "Unsubscribe" not in str(issue) and "View this post" not in str(issue)
    assert "Thanks for reading" not in str(issue)


def test_a_markdown_footnotes_link_keeps_its_place():
    blocks = read_markdown("Hello there.[^a]\n\n[^a]: See [the paper](https://x.org/p) for more.\n")
    assert [(b.text, b.links) for b in blocks] == [
        ("Hello there.", ()),
        ("Footnote: See the paper for more.", ((14, 23, "https://x.org/p"),)),
    ]


def test_a_superscript_is_a_power_or_a_footnotes_mark():
    html = (
        "<p>The model<sup>1</sup> is big.</p><p>About 10<sup>6</sup> samples, E = "
        "mc<sup>2</sup>.</p><p>It works.<sup>3</sup> The 4<sup>th</sup> time, see<sup>[5]"
        "</sup> this.</p>"
    )
    assert [b.text for b in read_html(html)] == [
        "The model is big.",
        "About 10^6 samples, E = mc^2.",
        "It works. The 4th time, see this.",
    ]


def test_a_table_right_under_a_heading_is_no_list_of_news():
    text = "# Notes #2\n\nHi.\n\n## Results\n\n| Model | Score |\n|---|---|\n| A | 1 |\n| B | 2 |\n"
    (results,) = parse_text(text, slug="notes-2", fmt="markdown").sections
    assert len(results.items) == 1  # the table, read a row at a time, as one item's text
    assert results.items[0].summary.count("\n\n") >= 1


def test_a_markdown_file_flattened_to_one_line_is_read_not_rejected():
    # Its one line opens with "# ", but a heading of 2,000 characters is a paragraph:
    # the issue is read in order, not refused as having "no text to read aloud".
    flat = " ".join((MARKED_DIR / "weekly-ai-017.md").read_text(encoding="utf-8").split())
    ((block,),) = [read_markdown(flat)]
    assert block.level is None and block.text.startswith("Weekly AI #17 — March 3, 2025")
    issue = parse_text(flat, slug="weekly-ai-017", fmt="markdown")
    assert "The authors train 400+ models" in " ".join(issue.preamble)
    assert read_markdown("# " + "word " * 59 + "end")[0].level == 1  # 300 characters


@pytest.mark.parametrize(
    "row",
    [
        '<a href="/u">Unsubscribe</a> · <a href="/p">Preferences</a>',
        '<a href="/p">Manage preferences</a> | <a href="/pp">Privacy Policy</a> | '
        '<a href="/t">Terms of Service</a>',
        '<a href="/p">Update your preferences</a>, <a href="/u">Unsubscribe</a>',
    ],
)
def test_a_row_of_footer_links_after_the_sign_off_is_not_read(row):
    html = f"""<html><body><h1>Market Memo #12</h1><p>Good morning.</p>
<h2>Big Story</h2><h3>Nvidia tops $4T</h3><p>Nvidia briefly topped a $4T valuation.</p>
<p>See you Monday,<br>The Market Memo team</p><p>{row}</p></body></html>"""
    issue = parse_text(html, slug="market-memo-12", fmt="html")
    assert issue.closing == ("See you Monday,", "The Market Memo team")
