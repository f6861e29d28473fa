"""parse: the five sample issues come out right, and the pieces that get them there."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio.errors import IssueError
from audio.model import Issue
from audio.parse import decode_issue, load_issue, parse_text, relined, sentences
from audio.readers import read_blocks

ISSUES = Path(__file__).resolve().parent.parent / "issues"


def _load(name: str) -> Issue:
    return load_issue(ISSUES / name)


def _structure(issue: Issue) -> list[tuple[str, list[str]]]:
    return [(s.name, [sub.name for sub in s.subsections]) for s in issue.sections]


def _titles(items) -> list[str]:
    return [i.title for i in items]


def test_an76_line_form_without_highlights_heading():
    issue = _load("alignment-newsletter-076.txt")
    assert issue.number == 76
    assert issue.newsletter == "Alignment Newsletter"
    assert issue.title == (
        "How dataset size affects robustness, and benchmarking safe exploration by measuring "
        "constraint violations"
    )
    assert issue.highlights_heading is None
    assert _titles(issue.highlights) == [
        "Self-training with Noisy Student improves ImageNet classification",
        "Safety Gym",
    ]
    assert _structure(issue) == [
        (
            "Technical AI alignment",
            [
                "Technical agendas and prioritization",
                "Critiques (Alignment)",
                "Miscellaneous (Alignment)",
            ],
        ),
        ("Other progress in AI", ["Reinforcement learning"]),
    ]
    technical = issue.sections[0]
    assert _titles(technical.items) == [
        "Classifying specification problems as variants of Goodhart’s Law"
    ]
    assert _titles(technical.subsections[0].items) == [
        "Useful Does Not Mean Secure",
        "Verification and Transparency",
    ]
    noisy, gym = issue.highlights
    assert (noisy.authors, noisy.summarizer) == ("Qizhe Xie et al", "Dan H")
    assert [o.author for o in noisy.opinions] == ["Dan H"]
    assert noisy.opinions[0].text.startswith("Some in the safety community")
    assert [o.author for o in gym.opinions] == ["Flo", "Rohin"]
    assert [link.label for link in gym.links] == ["Github repo"]
    # "Rohin's note:" is part of the summary, not an opinion.
    useful = technical.subsections[0].items[0]
    assert "Rohin’s note: Or, if you use your" in useful.summary
    assert issue.preamble == ()


def test_an62_flattened_with_responses():
    issue = _load("alignment-newsletter-062.txt")
    assert (issue.number, issue.title, issue.highlights_heading) == (62, None, "Highlights")
    assert _titles(issue.highlights) == [
        "Call for contributors to the Alignment Newsletter",
        "Adversarial Examples Are Not Bugs, They Are Features",
    ]
    adversarial = issue.highlights[1]
    assert adversarial.authors == (
        "Andrew Ilyas, Shibani Santurkar, Dimitris Tsipras, Logan Engstrom et al"
    )
    assert adversarial.summarizer == "Rohin and Cody"
    assert [link.label for link in adversarial.links] == ["Paper", "Author response"]
    assert _titles(adversarial.responses) == [
        "Response: Learning from Incorrectly Labeled Data",
        "Response: Robust Feature Leakage",
        "Response: Adversarial Examples are Just Bugs, Too",
        "Response: Adversarial Example Researchers Need to Expand What is Meant by ‘Robustness’",
        "Response: Two Examples of Useful, Non-Robust Features",
        "Response: Adversarially Robust Neural Style Transfer",
    ]
    assert _structure(issue) == [
        (
            "Technical AI alignment",
            ["Problems", "Iterated amplification", "Miscellaneous (Alignment)"],
        ),
        ("Near-term concerns", ["Privacy and security", "Machine ethics"]),
        ("AI strategy and policy", []),
        ("Other progress in AI", ["Critiques (AI)"]),
        ("News", []),
    ]
    privacy = issue.sections[1].subsections[0].items[0]
    assert privacy.title == "Evaluating and Testing Unintended Memorization in Neural Networks"
    assert privacy.summary == ""
    assert [link.label for link in privacy.links] == [
        "The Secret Sharer: Evaluating and Testing Unintended Memorization in Neural Networks"
    ]
    assert _titles(issue.sections[2].items) == ["AI Algorithms Need FDA-Style Drug Trials"]
    assert _titles(issue.sections[4].items) == [
        "Ought: why it matters and ways to help",
        "Project Proposal: Considerations for trading off capabilities and safety impacts of AI "
        "research",
    ]
    # The preamble is all boilerplate in this issue.
    assert issue.preamble == ()


def test_an66_flattened():
    issue = _load("alignment-newsletter-066.txt")
    assert _titles(issue.highlights) == ["2-D Robustness"]
    assert _structure(issue) == [
        (
            "Technical AI alignment",
            [
                "Iterated amplification",
                "Mesa optimization",
                "Agent foundations",
                "Adversarial examples",
            ],
        ),
        ("AI strategy and policy", []),
        ("Other progress in AI", ["Hierarchical RL", "Miscellaneous (AI)"]),
        ("News", []),
    ]
    subs = {sub.name: _titles(sub.items) for sub in issue.sections[0].subsections}
    assert subs["Iterated amplification"] == [
        "Finding Generalizable Evidence by Learning to Convince Q&A Models",
        "What are the differences between all the iterative/recursive approaches to AI alignment?",
    ]
    assert subs["Mesa optimization"] == ["Utility ≠ Reward"]
    assert subs["Agent foundations"] == [
        "Theory of Ideal Agents, or of Existing Agents?",
        "Markets are Universal for Logical Induction",
    ]
    news = issue.sections[3].items[0]
    assert (news.title, news.authors, news.summarizer) == ("Open Phil AI Fellowship", None, "Rohin")
    assert issue.preamble[0].startswith("Starting this week, we have a few new summarizers")


def test_an53_flattened():
    issue = _load("alignment-newsletter-053.txt")
    assert _titles(issue.highlights) == [
        "Alignment Newsletter One Year Retrospective",
        "Are Deep Neural Networks Dramatically Overfitted?",
    ]
    assert _structure(issue) == [
        (
            "Technical AI alignment",
            [
                "Technical agendas and prioritization",
                "Iterated amplification",
                "Learning human intent",
                "Interpretability",
                "Adversarial examples",
                "Robustness",
            ],
        ),
        ("Other progress in AI", ["Deep learning"]),
    ]
    subs = {sub.name: _titles(sub.items) for sub in issue.sections[0].subsections}
    assert subs["Learning human intent"] == [
        "Conditional revealed preference",
        "Defeating Goodhart and the closest unblocked strategy problem",
        "Parenting: Safe Reinforcement Learning from Human Input",
    ]
    assert subs["Interpretability"] == [
        "Attention is not Explanation",
        "Right for the Right Reasons: Training Differentiable Models by Constraining their "
        "Explanations",
    ]
    assert issue.preamble == ("Cody Wild is now contributing summaries to the newsletter!",)


def test_mlsn2_label_form():
    issue = _load("ml-safety-newsletter-002.txt")
    assert (issue.newsletter, issue.number) == ("ML Safety Newsletter", 2)
    assert issue.highlights == ()
    assert _structure(issue) == [
        ("Robustness", ["Other Recent Robustness News"]),
        ("Monitoring", ["Other Recent Monitoring Papers"]),
        ("Alignment", ["Other Recent Alignment Papers"]),
        ("Other News", []),
    ]
    robustness, monitoring, alignment, other = issue.sections
    assert _titles(robustness.items) == [
        "Pyramid Adversarial Training Improves ViT Performance",
        "Analyzing Dynamic Adversarial Training Data in the Limit",
    ]
    assert _titles(monitoring.items) == [
        "How Well do Feature Visualizations Support Causal Understanding of CNN Activations?"
    ]
    assert _titles(alignment.items) == [
        "What Would Jiminy Cricket Do? Towards Agents That Behave Morally"
    ]
    assert _titles(monitoring.subsections[0].items) == [
        "Adversarial patches can help to teach models how to locate anomalous regions",
        "A postprocessing method that helps models locate anomalous regions",
        "A dataset that captures instances of deception in negotiation conversations",
    ]
    assert _titles(other.items) == ["Mathematical Reasoning Forecasting", "Grants"]
    assert robustness.items[0].summary.startswith("Top: Visualization of adversarial pyramid")
    assert robustness.items[0].summary.endswith("towards robust representations.")
    # Subscription boilerplate and the greeting are apparatus, not news.
    assert len(issue.preamble) == 1
    assert issue.preamble[0].startswith("In this edition, we cover:")


def test_issue_without_structure_is_an_episode_with_a_warning():
    issue = parse_text("Just a note. Nothing else here.", slug="note")
    assert issue.highlights == () and issue.sections == ()
    assert issue.preamble == ("Just a note. Nothing else here.",)
    assert issue.warnings == ("no items found: the episode reads the text as is",)


@pytest.mark.parametrize(
    "first, newsletter, number, title",
    [
        ("Weekly AI #18 — March 10, 2025", "Weekly AI", 18, "March 10, 2025"),
        ("The Batch Issue 12: Robots that cook", "The Batch", 12, "Robots that cook"),
        ("Issue #5: Hello", None, 5, "Hello"),
        ("We shipped issue #5 of the zine.", None, 5, None),  # a sentence: not a title
        ("The Batch — March 6, 2024", "The Batch", 5, "March 6, 2024"),
        ("Data Elixir - Issue 470", "Data Elixir", 470, None),
    ],
)
def test_a_numbered_first_line_is_the_title(first, newsletter, number, title):
    body = "Hi all! Short issue this week.\n\nNEWS\n\nA Lab (Jane Doe): It raised money.\n"
    text = f"{first}\n\n{body}"
    issue = parse_text(text, slug="issue-5")
    assert (issue.newsletter, issue.number, issue.title) == (newsletter, number, title)
    if title:
        assert issue.preamble == ("Hi all! Short issue this week.",)


IMPORT_AI_AS_TEXT = """Import AI 351: Robots that fold laundry; a benchmark for agents

Welcome to Import AI, a newsletter about AI research.

Robots that fold laundry:
…A new dataset shows how far manipulation has come…
Researchers have trained a robot to fold laundry using 10k demonstrations. The robot
succeeds 85% of the time.
Why this matters: Folding is a hard manipulation task.
Read more: FoldBot (arXiv).

***

A benchmark for scientific agents:
ScienceAgentBench has 102 tasks. The best agent solves 32% of them.

***

Why this matters:
Folding is hard.

Tech Tales:

The Laundry Machine
The machine folded the shirts and thought about the sea.

NEWS

Grants:
Open Philanthropy funds robustness work.
"""


def test_plain_text_whose_stories_open_with_title_lines():
    issue = parse_text(IMPORT_AI_AS_TEXT, slug="import-ai-351")
    assert (issue.newsletter, issue.number, issue.title) == (
        "Import AI",
        351,
        "Robots that fold laundry; a benchmark for agents",
    )
    assert issue.preamble == ("Welcome to Import AI, a newsletter about AI research.",)
    assert [(i.title, i.summary) for i in issue.highlights] == [
        (
            "Robots that fold laundry",
            # Hard-wrapped lines are joined.
            "…A new dataset shows how far manipulation has come… "
            "Researchers have trained a robot to fold laundry using 10k demonstrations. "
            "The robot succeeds 85% of the time. "
            "Why this matters: Folding is a hard manipulation task.",
        ),
        (
            "A benchmark for scientific agents",
            # "Why this matters:" on a line of its own labels a part of the item.
            "ScienceAgentBench has 102 tasks. The best agent solves 32% of them.\n\n"
            "Why this matters:\n\nFolding is hard.",
        ),
        (
            "Tech Tales",
            "The Laundry Machine\n\nThe machine folded the shirts and thought about the sea.",
        ),
    ]
    (news,) = issue.sections
    assert (news.name, [(i.title, i.summary) for i in news.items]) == (
        "News",
        [("Grants", "Open Philanthropy funds robustness work.")],
    )
    assert issue.warnings == ()
    # Without the number in the file's name, "Import AI 351: ..." is not known for the
    # title: it is read first, in the introduction.
    unnumbered = parse_text(IMPORT_AI_AS_TEXT, slug="import-ai")
    assert (unnumbered.title, unnumbered.number) == (None, None)
    assert unnumbered.preamble[0].startswith("Import AI 351: Robots")


TLDR = """TLDR AI 2024-03-04

Headlines & Launches

Claude 3 is here (5 minute read)
Anthropic released three new models. The largest beats GPT-4 on most benchmarks.

Mistral Large (3 minute read)
Mistral released its largest model through an API.

Research & Innovation

Genie: Generative Interactive Environments (12 minute read)
Google DeepMind trained a model that turns images into playable worlds.

Love TLDR? Tell your friends and get rewards!
Want to advertise in TLDR? Reach 500,000 readers.
If you don't want to receive future editions of TLDR AI, please unsubscribe.
"""


def test_tldr_items_open_with_their_reading_time():
    issue = parse_text(TLDR, slug="tldr-ai-2024-03-04")
    # The file's name ends with a date, not an issue number; the first line is the title.
    assert (issue.newsletter, issue.number, issue.title) == ("TLDR AI", None, "March 4, 2024")
    assert [(s.name, [(i.title, i.summary) for i in s.items]) for s in issue.sections] == [
        (
            "Headlines & Launches",
            [
                (
                    "Claude 3 is here",
                    "Anthropic released three new models. The largest beats GPT-4 on most "
                    "benchmarks.",
                ),
                ("Mistral Large", "Mistral released its largest model through an API."),
            ],
        ),
        (
            "Research & Innovation",
            [
                (
                    "Genie: Generative Interactive Environments",
                    # The footer ("Love TLDR?", advertising, unsubscribing) is not read.
                    "Google DeepMind trained a model that turns images into playable worlds.",
                )
            ],
        ),
    ]
    assert issue.preamble == () and issue.warnings == ()


def test_plain_text_whose_stories_have_title_lines_over_them():
    text = """Weekly AI #18 — March 10, 2025

Hi all! A short issue this week.

RESEARCH

A harder benchmark for code generation
The benchmark has 1,000 problems written by hand. Models solve 30% of them.

Scaling laws for robot learning
Robots follow the same power laws as language models, up to a point.

NEWS

The lab raised money to build open tools. Its fellowship closes in April.
"""
    issue = parse_text(text, slug="weekly-ai-18")
    assert issue.preamble == ("Hi all! A short issue this week.",)
    assert [(s.name, [(i.title, i.summary) for i in s.items]) for s in issue.sections] == [
        (
            "Research",
            [
                (
                    "A harder benchmark for code generation",
                    "The benchmark has 1,000 problems written by hand. Models solve 30% of them.",
                ),
                (
                    "Scaling laws for robot learning",
                    "Robots follow the same power laws as language models, up to a point.",
                ),
            ],
        ),
        (
            "News",
            [("The lab raised money to build open tools", "Its fellowship closes in April.")],
        ),
    ]


NUMBERED_STORIES = """Last Week in AI #211

Welcome back! Here is what happened in AI this week.

TOP NEWS

1. Anthropic releases a new model
The company said the model is better at coding and long tasks. Early users report mixed results.
Read more: https://example.com/a

2. EU AI Act enters into force
The first obligations apply from February 2025. Fines reach 7% of global turnover.

RESEARCH

• Scaling laws for sparse models{authors}
The authors find that mixture-of-experts models follow a different curve.

• A survey of interpretability methods
A 90-page overview of mechanistic interpretability, with open problems.

QUICK HITS
- Nvidia stock rose 5% on Tuesday
- Meta open-sourced a speech model
"""


@pytest.mark.parametrize("authors", ["", " (Smith et al.)"], ids=["no authors", "one with"])
def test_numbered_and_bulleted_stories_under_headings_in_capitals(authors):
    # One story with "(Authors)" among stories without: the others are still stories
    # (with none, the issue is read in the other form; both give the same).
    issue = parse_text(NUMBERED_STORIES.format(authors=authors), slug="lwai-211")
    assert (issue.newsletter, issue.number) == ("Last Week in AI", 211)
    structure = [
        (s.name, [(i.title, i.authors, i.summary) for i in s.items]) for s in issue.sections
    ]
    assert structure == [
        (
            "Top News",
            [
                (
                    "Anthropic releases a new model",
                    None,
                    "The company said the model is better at coding and long tasks. "
                    "Early users report mixed results.",
                ),
                (
                    "EU AI Act enters into force",
                    None,
                    "The first obligations apply from February 2025. "
                    "Fines reach 7% of global turnover.",
                ),
            ],
        ),
        (
            "Research",
            [
                (
                    "Scaling laws for sparse models",
                    "Smith et al." if authors else None,
                    "The authors find that mixture-of-experts models follow a different curve.",
                ),
                (
                    "A survey of interpretability methods",
                    None,
                    "A 90-page overview of mechanistic interpretability, with open problems.",
                ),
            ],
        ),
        # "QUICK HITS" over its bullets is a heading, not one of the list; a section, in
        # capitals as "RESEARCH" (a name the parser knows as a section) is.
        (
            "Quick Hits",
            [("Nvidia stock rose 5% on Tuesday", None, "Meta open-sourced a speech model")],
        ),
    ]
    assert all(s.subsections == () for s in issue.sections)


def test_a_list_of_short_lines_over_a_paragraph_is_not_a_story():
    text = """RESEARCH

A harder benchmark for code generation
The benchmark has 1,000 problems written by hand. Models solve 30% of them.

Scaling laws for robot learning
Robots follow the same power laws as language models, up to a point.

- Faster inference
- Better tools

In other news, the lab raised money to build open tools for everyone.
"""
    (research,) = parse_text(text, slug="x").sections
    assert [(i.title, i.summary) for i in research.items] == [
        (
            "A harder benchmark for code generation",
            "The benchmark has 1,000 problems written by hand. Models solve 30% of them.",
        ),
        (
            "Scaling laws for robot learning",
            "Robots follow the same power laws as language models, up to a point.\n\n"
            "Faster inference\n\nBetter tools\n\n"
            "In other news, the lab raised money to build open tools for everyone.",
        ),
    ]


def test_headings_in_capitals_give_sections_over_stories_without_titles():
    one_story = "Notes #3\n\nHello.\n\nNEWS\n\nA new model\n" + "It reads aloud well. " * 4
    issue = parse_text(one_story, slug="notes-3")
    assert [(s.name, [i.title for i in s.items]) for s in issue.sections] == [
        ("News", ["A new model"])
    ]
    untitled = (
        "Notes #3\n\nHello.\n\nNEWS\n\nThe lab released a model. It reads well.\n\n"
        "RESEARCH\n\nRobots follow power laws. It was a surprise.\n"
    )
    issue = parse_text(untitled, slug="notes-3")
    assert (issue.preamble, issue.warnings) == (("Hello.",), ())
    assert [(s.name, [(i.title, i.summary) for i in s.items]) for s in issue.sections] == [
        ("News", [("The lab released a model", "It reads well.")]),
        ("Research", [("Robots follow power laws", "It was a surprise.")]),
    ]
    # One heading alone is not enough: the text is read in order.
    issue = parse_text("Notes #3\n\nHello.\n\nNEWS\n\nThe lab released a model.\n", slug="n")
    assert issue.sections == () and issue.warnings


def test_text_after_a_read_more_line_is_kept():
    text = (
        "NEWS\n\nA Lab (Jane Doe): It raised money.\n\nRead more: Paper and Blog post\n\n"
        "The money goes to tools.\n\nJane's opinion: Good.\n\nRead more: Code\n"
    )
    (item,) = parse_text(text, slug="x").sections[0].items
    assert item.summary == "It raised money.\n\nThe money goes to tools."
    assert [(o.author, o.text) for o in item.opinions] == [("Jane", "Good.")]
    assert [link.label for link in item.links] == ["Paper", "Blog post", "Code"]


def test_items_without_headings_are_all_highlights():
    text = (
        "First Paper (Ada Lovelace) (summarized by Rohin): It computes. "
        "Second Paper (Alan Turing et al): It thinks. Rohin's opinion: I agree."
    )
    issue = parse_text(text, slug="x")
    assert _titles(issue.highlights) == ["First Paper", "Second Paper"]
    assert issue.highlights[1].opinions[0].text == "I agree."
    assert issue.sections == ()


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "See e.g. the paper by John S. Wentworth. It works! Does it?",
            ["See e.g. the paper by John S. Wentworth.", "It works!", "Does it?"],
        ),
        (
            "Smith et al. show this. The U.S. agrees.",
            ["Smith et al. show this.", "The U.S. agrees."],
        ),
        ("No end", ["No end"]),
    ],
)
def test_sentences(text, expected):
    assert sentences(text) == expected


@pytest.mark.parametrize(
    "data, text, warned",
    [
        (b"\xef\xbb\xbfHello\r\nWorld", "Hello\nWorld", False),
        ("Caf\u00e9".encode(), "Café", False),
        ("Caf\u00e9 \u2019s".encode("cp1252"), "Café ’s", True),
    ],
)
def test_decode_issue(data, text, warned):
    got, warnings = decode_issue(data, name="x.txt")
    assert got == text
    assert bool(warnings) == warned


def test_decode_issue_rejects_binary():
    with pytest.raises(IssueError, match=r"x.txt: not a text file"):
        decode_issue(b"\x89PNG\x00\x00", name="x.txt")


def test_a_flattened_issue_opening_with_its_name_and_number():
    text = " ".join(["Last Week in AI #211 Welcome back! Here is what happened."] * 8)
    issue = parse_text(text, slug="lwai-211")
    assert (issue.newsletter, issue.number, issue.title) == ("Last Week in AI", 211, None)
    assert issue.preamble[0].startswith("Welcome back! Here is what happened. Last Week")


def test_a_plain_text_e_mail_with_marked_headings_and_linked_titles():
    # Mailchimp's plain-text part: "View this email in your browser (URL)" above the
    # title, "** HEADING" and "** Title (URL)" lines, and its footer.
    path = Path(__file__).resolve().parent / "data" / "marked" / "policy-brief-13.txt"
    issue = load_issue(path)
    assert (issue.newsletter, issue.number, issue.title) == ("Policy Brief", 13, None)
    assert issue.preamble == ("Hello all, this week the EU moved and the US followed.",)
    assert [(s.name, [(i.title, i.url) for i in s.items]) for s in issue.sections] == [
        (
            "Europe",
            [
                ("Codes of practice published", "https://example.eu/code"),
                ("Member states name regulators", "https://example.eu/reg"),
            ],
        ),
        ("United States", [("New export controls on chips", "https://example.gov/bis")]),
    ]
    (chips,) = issue.sections[1].items
    # "Follow us on Twitter (URL)" and the footer are not read.
    assert chips.summary == (
        "The Commerce Department tightened rules on advanced chips and, for the first "
        "time, on model weights."
    )


def test_a_year_and_month_is_no_issue_number_and_a_footer_inside_a_sentence_takes_it():
    text = """# The Bitter Lesson, Revisited

Hello friends, this month I look back at an essay.

## What Sutton said

General methods that leverage computation win, by a large margin.

He gives chess, Go, speech recognition and computer vision as examples.

Thanks for reading! If you enjoyed this, forward it to a friend.

Jane
"""
    issue = parse_text(text, slug="essay-2025-03", fmt="markdown")
    assert (issue.number, issue.title) == (None, "The Bitter Lesson, Revisited")
    # Not "If you enjoyed this," without the rest of its sentence.
    assert issue.closing == ("Thanks for reading!",)
    assert parse_text(text, slug="essay-12", fmt="markdown").number == 12


TLDR_FLAT = (
    "TLDR AI 2025-06-03 Together with Acme Cloud Headlines & Launches Gemini 2.5 Pro gets "
    "Deep Think mode (4 minute read) Google released an experimental reasoning mode. It "
    "scores 84% on MMMU. Mistral launches Codestral Embed (3 minute read) Mistral's first "
    "embedding model for code is out. Research & Innovation Scaling laws for reward models, "
    "revisited (GitHub Repo) Researchers at Stanford found that best-of-n overoptimizes. "
    "Quick Links OpenAI o3-pro is now available to Pro users (1 minute read) Pro users get "
    "it today. Love TLDR? Tell your friends and get rewards!"
)


def test_a_flattened_tldr_issue_is_split_at_its_own_section_names():
    issue = parse_text(TLDR_FLAT, slug="tldr-ai-2025-06-03")
    assert (issue.newsletter, issue.title) == ("TLDR AI", "June 3, 2025")
    assert issue.preamble == ("Together with Acme Cloud",)
    # "Mistral launches" is not a heading run into the title "Codestral Embed": TLDR's
    # titles are in sentence case.
    assert [(s.name, [i.title for i in s.items]) for s in issue.sections] == [
        (
            "Headlines & Launches",
            ["Gemini 2.5 Pro gets Deep Think mode", "Mistral launches Codestral Embed"],
        ),
        ("Research & Innovation", ["Scaling laws for reward models, revisited"]),
        ("Quick Links", ["OpenAI o3-pro is now available to Pro users"]),
    ]
    assert issue.sections[-1].items[0].summary == "Pro users get it today."


def test_section_names_from_the_settings_split_a_flattened_issue_anywhere():
    text = TLDR_FLAT.replace("TLDR AI", "Daily Bits").replace("TLDR", "Daily Bits")
    names = ["Headlines & Launches", "Research & Innovation", "Quick Links"]
    unaided = parse_text(text, slug="daily-bits-2025-06-03")
    assert "Headlines & Launches" not in [s.name for s in unaided.sections]
    issue = parse_text(text, slug="daily-bits-2025-06-03", extra_sections=names)
    assert (issue.newsletter, issue.preamble) == ("Daily Bits", ("Together with Acme Cloud",))
    assert [s.name for s in issue.sections] == names


RUNDOWN_FLAT = (
    "The Rundown AI March 6, 2025 Good morning, AI enthusiasts. OpenAI just made its biggest "
    "model yet available to Plus users. In today's AI rundown: GPT-4.5 comes to Plus users. "
    "4 new AI tools. LATEST DEVELOPMENTS OPENAI GPT-4.5 comes to Plus users The Rundown: "
    "OpenAI expanded access to GPT-4.5 to its Plus tier. The details: The rollout takes about "
    "a week. Why it matters: More people get the best non-reasoning model. GOOGLE Google "
    "tests AI Mode in search The Rundown: Google is testing a new AI Mode in search. The "
    "details: It uses a custom Gemini 2.0 model. Why it matters: Search is changing fast. "
    "QUICK HITS Mistral released Saba, a model for Arabic. Google launched Gemini Code Assist "
    "for free. That's it for today! See you soon, Rowan and the Rundown team"
)


def test_a_flattened_issue_with_headings_in_capitals_and_labelled_stories():
    # No "(Authors)" and no link labels, but headings in capitals and stories in parts
    # whose labels recur ("The Rundown:", "The details:", "Why it matters:").
    issue = parse_text(RUNDOWN_FLAT, slug="the-rundown-2025-03-06")
    assert (issue.newsletter, issue.title) == ("The Rundown AI", "March 6, 2025")
    assert issue.preamble[-1].endswith("GPT-4.5 comes to Plus users. 4 new AI tools.")
    assert [
        (s.name, [(i.title, i.summary.split("\n\n")) for i in s.items])
        for s in issue.sections
        for s in (s, *s.subsections)
    ] == [
        ("Latest Developments", []),
        (
            "OpenAI",
            [
                (
                    "GPT-4.5 comes to Plus users",
                    [
                        "The Rundown: OpenAI expanded access to GPT-4.5 to its Plus tier.",
                        "The details: The rollout takes about a week.",
                        "Why it matters: More people get the best non-reasoning model.",
                    ],
                )
            ],
        ),
        (
            "Google",
            [
                (
                    "Google tests AI Mode in search",
                    [
                        "The Rundown: Google is testing a new AI Mode in search.",
                        "The details: It uses a custom Gemini 2.0 model.",
                        "Why it matters: Search is changing fast.",
                    ],
                )
            ],
        ),
        (
            "Quick Hits",
            [
                (
                    "Mistral released Saba, a model for Arabic",
                    ["Google launched Gemini Code Assist for free."],
                )
            ],
        ),
    ]
    assert issue.closing == ("That's it for today! See you soon, Rowan and the Rundown team",)
    assert issue.warnings == ()


BATCH_FLAT = (
    "The Batch — Issue 300 Dear friends, Last week I spoke about agentic workflows. Keep "
    "learning! Andrew News Meta Releases Llama 3.1 What's new: Meta released Llama 3.1 in "
    "three sizes. How it works: The 405B model was trained on 15.6T tokens. Why it matters: "
    "Open weights at this scale are new. Google's Gemini Gets Faster What's new: Google cut "
    "Gemini's price by 78%. Behind the news: Alphabet's capex hit $13B. Subscribe You're "
    "receiving this email because you signed up for The Batch."
)


def test_a_flattened_issue_with_titles_before_the_label_each_story_opens_with():
    # No headings in capitals: each story's title runs into its first part's label, and
    # a known section's name ("News") into the title, after the editor's name.
    issue = parse_text(BATCH_FLAT, slug="the-batch-300")
    assert (issue.newsletter, issue.number) == ("The Batch", 300)
    assert issue.preamble == (
        "Dear friends, Last week I spoke about agentic workflows. Keep learning!",
        "Andrew",
    )
    (news,) = issue.sections
    assert news.name == "News"
    assert [(i.title, i.summary.split("\n\n")) for i in news.items] == [
        (
            "Meta Releases Llama 3.1",
            [
                "What's new: Meta released Llama 3.1 in three sizes.",
                "How it works: The 405B model was trained on 15.6T tokens.",
                "Why it matters: Open weights at this scale are new.",
            ],
        ),
        (
            "Google's Gemini Gets Faster",
            [
                "What's new: Google cut Gemini's price by 78%.",
                "Behind the news: Alphabet's capex hit $13B.",
            ],
        ),
    ]
    assert issue.warnings == ()


def test_plain_text_headings_after_an_emoji_or_over_a_list():
    # Ben's Bites' shape: "🔥 The big one", "💰 Funding" (a known name) and "🛠️ Tools"
    # (a short line over bullets) are headings.
    text = (
        "Ben's Bites\nMay 12, 2025\n\nHey folks, big week for agents.\n\n"
        "🔥 The big one\nOpenAI launched Codex, a cloud coding agent that runs tasks in "
        "parallel sandboxes. It's available to Pro users today.\n\n"
        "🛠️ Tools\n• Lovable 2.0 – build apps by chatting\n• Granola – AI meeting notes\n\n"
        "💰 Funding\n• Anysphere raised $900M.\n• Harvey raised $300M.\n\n"
        "That's a wrap! Hit reply if you have thoughts."
    )
    issue = parse_text(text, slug="bens-bites-2025-05-12")
    assert (issue.newsletter, issue.title) == ("Ben's Bites", "May 12, 2025")
    assert [i.title for i in issue.highlights] == ["🔥 The big one"]
    assert [(s.name, [i.title for i in s.items]) for s in issue.sections] == [
        ("🛠️ Tools", ["Lovable 2.0 – build apps by chatting"]),
        ("💰 Funding", ["Anysphere raised $900M"]),
    ]
    assert issue.closing == ("That's a wrap! Hit reply if you have thoughts.",)


def test_a_flattened_issue_with_no_items_is_read_with_its_lines_put_back():
    # No structure found, but the marks of its lines: the name and date, the labels of
    # its parts, the sign-off; the sender's address before the footer is not read.
    text = (
        "Axios AI+ June 3, 2025 Good morning! OpenAI closed its funding round led by "
        "SoftBank, at a $300B valuation, the largest private tech round on record. Why it "
        "matters: It is more than 2x the previous high. Between the lines: The company "
        "expects $12.7B in revenue this year. Apple will unveil iOS 26 at WWDC on Monday. "
        "Yes, but: Siri's LLM upgrade is delayed to 2026. Thanks for reading! Reach us at "
        "ai@axios.com. Axios, 3100 Clarendon Blvd., Arlington VA 22201. You received this "
        "email because you signed up for newsletters from Axios."
    )
    issue = parse_text(text, slug="axios-ai-plus-2025-06-03")
    assert (issue.newsletter, issue.title) == ("Axios AI+", "June 3, 2025")
    assert [p.split(":")[0] for p in issue.preamble] == [
        "Good morning! OpenAI closed its funding round led by SoftBank, at a $300B valuation, "
        "the largest private tech round on record.",
        "Why it matters",
        "Between the lines",
        "Yes, but",
        "Thanks for reading! Reach us at ai@axios.com.",
    ]


def test_a_flattened_issue_opens_with_its_name_number_and_date():
    text = (
        "Hacker Newsletter #690 - February 28, 2025 Hi everyone, here's this week's "
        "collection of the best links. Enjoy! // Favorites The Hidden Costs of Coding "
        "https://example.com/a (comments) I built a large language model from scratch "
        "https://example.com/llm (comments) // Code Writing a compiler in a weekend "
        "https://example.com/compiler (comments) That's it for this week."
    )
    issue = parse_text(text, slug="hacker-newsletter-690")
    assert (issue.newsletter, issue.number, issue.title) == (
        "Hacker Newsletter",
        690,
        "February 28, 2025",
    )
    assert issue.preamble[0].startswith("Hi everyone, here's this week's collection")


MARKED = Path(__file__).resolve().parent / "data" / "marked"


def _flattened(name: str) -> str:
    """A marked sample as an editor may paste it: every line run into one."""
    return " ".join((MARKED / name).read_text(encoding="utf-8").split())


def _outline(issue: Issue) -> tuple:
    return (
        (issue.newsletter, issue.number, issue.title, issue.preamble),
        [(s.name, [(i.title, i.url, i.summary) for i in s.items]) for s in issue.sections],
    )


@pytest.mark.parametrize("name", ["policy-brief-13.txt", "hacker-newsletter-689.txt"])
def test_a_flattened_e_mail_is_read_as_its_lines_were(name):
    # Mailchimp's "** HEADING ----" and "** Title (URL)"; Hacker Newsletter's "// Code"
    # headings and "Title https://... (comments)" links: the marks show where the lines
    # were, so the flattened issue has the same sections, items and introduction.
    slug = name.removesuffix(".txt")
    lined = load_issue(MARKED / name)
    flat = parse_text(_flattened(name), slug=slug)
    assert _outline(flat) == _outline(lined)
    assert len(flat.sections) >= 2


def test_a_flattened_issue_with_headings_in_capitals_keeps_its_sections():
    name = "morning-brew-2025-03-04.txt"
    lined = load_issue(MARKED / name)
    flat = parse_text(_flattened(name), slug=name.removesuffix(".txt"))
    assert (flat.newsletter, flat.title, flat.preamble) == (
        lined.newsletter,
        lined.title,
        lined.preamble,
    )
    assert [s.name for s in flat.sections] == ["Markets", "Tech", "World"]
    assert [s.name for s in flat.sections] == [s.name for s in lined.sections]
    # "MARKETS NASDAQ 18,350.19": the table's first row is no part of the heading. A
    # story's title runs into its first sentence (nothing marks where it ended).
    markets, tech, world = (s.items for s in flat.sections)
    assert markets[0].title.startswith("NASDAQ 18,350.19 -2.64% S&P 5,849.72")
    assert tech[0].title.startswith("Apple unveils a cheaper MacBook Air Apple announced")
    # The signature ends the last story, as in the lined issue; the row of links and the
    # footer after it are not read.
    assert world[-1].summary.endswith("\n\n—Neal Freyman, Matty Merritt")
    assert lined.sections[-1].items[-1].summary.endswith("\n\n—Neal Freyman, Matty Merritt")
    assert "ADVERTISE" not in str(flat) and "Copyright" not in str(flat)


def test_a_flattened_issue_without_marks_keeps_its_text():
    name = "one-useful-thing-89.txt"
    flat = parse_text(_flattened(name), slug="one-useful-thing-89")
    assert flat.sections == () and len(flat.highlights) <= 1
    text = " ".join(flat.preamble + tuple(i.summary for i in flat.highlights))
    assert "The jagged frontier We first described" in text


def test_a_flattened_web_page_with_title_lines_before_its_stories():
    # Import AI's page copied as text and flattened: "Title:" after a sentence or "***"
    # opens each story (two or more do), "…A new dataset…" is its subtitle, "Why this
    # matters:" a part of it; the masthead's button, byline and the footer are lines of
    # their own.
    html = (MARKED / "import-ai-350.html").read_text(encoding="utf-8")
    page = parse_text(html, slug="import-ai-350", fmt="html")
    flat = parse_text(" ".join(b.text for b in read_blocks(html, "html")), slug="import-ai-350")
    assert (flat.newsletter, flat.number, flat.title) == (
        "Import AI",
        350,
        "Robots that fold laundry; a benchmark for scientific agents",
    )
    assert flat.preamble == page.preamble
    assert (
        [i.title for i in flat.highlights]
        == [i.title for i in page.highlights]
        == [
            "Robots that fold laundry",
            "A benchmark for scientific agents",
            "Tech Tales",
        ]
    )
    assert [i.summary for i in flat.highlights[:2]] == [i.summary for i in page.highlights[:2]]
    assert flat.closing == page.closing == ("Thanks for reading!",)


def test_relining_leaves_prose_alone():
    # A sentence's "... is the following:", an opinion, a part's label and an address
    # ending a sentence are not where lines were: flattened prose stays one text.
    prose = (
        "The pattern this analogy is meant to show is the following: In any imperfect "
        "search a feedback loop can appear, as described at https://example.com/a. The "
        "ball rolls down the hill. Rohin's opinion: I think this is worth spelling out. "
        "Why it matters: Searches are everywhere. Notably, they discover that: Agents "
        "overfit. "
    ) * 3
    lines = relined(prose)
    assert "\nhttps" not in lines
    for kept in ("is the following: In any", "Rohin's opinion: I think", "that: Agents"):
        assert kept in lines
    issue = parse_text(prose, slug="notes-3")
    assert issue.sections == () and len(issue.highlights) <= 1
    assert "is the following: In any imperfect search" in " ".join(issue.preamble)


def test_relining_keeps_a_heading_in_capitals_whole_before_a_rule():
    lines = relined("It ended. OTHER PROGRESS IN AI ========== DEEP LEARNING ---------- Nets.")
    assert lines.split("\n\n") == [
        "It ended.",
        "OTHER PROGRESS IN AI",
        "==========",
        "DEEP LEARNING",
        "----------",
        "Nets.",
    ]


def test_a_flattened_masthead_with_a_sponsor_line_between_the_names():
    # TLDR's page as text, flattened: "TLDR Together With Rokt TLDR 2026-04-23 ...".
    # The name stands before the sponsor's line and again, with the date, after it; so
    # the newsletter is TLDR, and its known section names split the rest.
    name = "tldr-2026-04-23.txt"
    lined = load_issue(MARKED / name)
    flat = parse_text(_flattened(name), slug=name.removesuffix(".txt"))
    assert (
        (flat.newsletter, flat.title)
        == (lined.newsletter, lined.title)
        == (
            "TLDR",
            "April 23, 2026",
        )
    )
    # The subtitle of phrases ending with emoji is the introduction's, not run into the
    # first story's title.
    assert flat.preamble == lined.preamble
    assert flat.preamble[:2] == (
        "Together With Rokt",
        "Google TPU v8 ⚡, Tesla's research fab 🏭, AI-native interviews 💼",
    )
    assert (
        [i.title for i in flat.highlights]
        == [i.title for i in lined.highlights]
        == ["AI is compressing the path to purchase (Sponsor)"]
    )
    chapters = [s.name for s in lined.sections if s.items]  # not the sponsor's "Get your guide"
    assert (
        [s.name for s in flat.sections]
        == chapters
        == [
            "Big Tech & Startups",
            "Science & Futuristic Technology",
            "Quick Links",
        ]
    )
