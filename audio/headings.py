"""Heading names a newsletter issue may use, as a help to the parser.

The parser recognises headings by their form and position; these names are a help
where the form is lost, as in text flattened to one line, where "Iterated amplification
Delegating open-ended cognitive work" can only be split by knowing the heading. The
set is open: the show settings add names (`sections = [...]`), and a heading the parser
has never seen is still found where its form shows it (a line of its own, a Markdown or
HTML heading, ALL CAPS).

Names are the categories newsletters in this field use; level 1 is a top-level section,
level 2 a subsection.
"""

from __future__ import annotations

from collections.abc import Iterable

HIGHLIGHTS = "Highlights"

TOP_LEVEL = (
    HIGHLIGHTS,
    "Technical AI alignment",
    "Near-term concerns",
    "AI strategy and policy",
    "AI governance",
    "Other progress in AI",
    "News",
    # generic newsletter parts
    "Announcements",
    "Events",
    "Jobs",
    "Opportunities",
    "Research",
    "Resources",
)

SUBSECTIONS = (
    # Technical AI alignment
    "Problems",
    "Technical agendas and prioritization",
    "Iterated amplification",
    "Iterated amplification sequence",
    "Scalable oversight",
    "Debate",
    "Mesa optimization",
    "Inner alignment",
    "Agent foundations",
    "Embedded agency sequence",
    "Learning human intent",
    "Value learning sequence",
    "Reward learning theory",
    "Preventing bad behavior",
    "Handling groups of agents",
    "Interpretability",
    "Robustness",
    "Monitoring",
    "Alignment",
    "Adversarial examples",
    "Verification",
    "Uncertainty",
    "Forecasting",
    "Field building",
    "Corrigibility",
    "Impact measures",
    "Impact regularization",
    "Safe exploration",
    "Myopia",
    "Deceptive alignment",
    "Critiques (Alignment)",
    "Miscellaneous (Alignment)",
    # Near-term concerns
    "Fairness and bias",
    "Privacy and security",
    "Machine ethics",
    "Malicious use of AI",
    "Autonomous weapons",
    # AI strategy and policy
    "AI governance",
    "Compute",
    # Other progress in AI
    "Exploration",
    "Reinforcement learning",
    "Deep reinforcement learning",
    "Multiagent RL",
    "Hierarchical RL",
    "Imitation learning",
    "Deep learning",
    "Meta learning",
    "Unsupervised learning",
    "Semi-supervised learning",
    "Self-supervised learning",
    "Transfer learning",
    "Generative models",
    "Natural language processing",
    "Computer vision",
    "Robotics",
    "Applications",
    "Machine learning",
    "Neuroscience",
    "Critiques (AI)",
    "Miscellaneous (AI)",
    # News and generic
    "Job postings",
    "Funding",
    "Papers",
    "Podcasts",
    "Events and workshops",
)


# Newsletters whose sections are named differently: their top-level names.
NEWSLETTER_TOP_LEVEL = {
    "ML Safety Newsletter": (
        "Robustness",
        "Monitoring",
        "Alignment",
        "Systemic Safety",
        "Other News",
        "Other Content",
    ),
    "TLDR": (
        "Big Tech & Startups",
        "Science & Futuristic Technology",
        "Programming, Design & Data Science",
        "Miscellaneous",
        "Quick Links",
    ),
    "TLDR AI": (
        "Headlines & Launches",
        "Deep Dives & Analysis",
        "Engineering & Research",
        "Research & Innovation",
        "Miscellaneous",
        "Quick Links",
    ),
}


def newsletter_names(newsletter: str | None) -> tuple[str, ...]:
    """The section names of a newsletter known to name them its own way."""
    return NEWSLETTER_TOP_LEVEL.get(newsletter or "", ())


def heading_levels(extra: Iterable[str] = (), newsletter: str | None = None) -> dict[str, int]:
    """Known heading names (case-folded) mapped to their level: 1 section, 2 subsection.

    Names given in the show settings are sections unless already known.
    """
    levels = {name.casefold(): 2 for name in SUBSECTIONS}
    levels.update({name.casefold(): 1 for name in TOP_LEVEL})
    levels.update({name.casefold(): 1 for name in newsletter_names(newsletter)})
    for name in extra:
        levels.setdefault(name.casefold(), 1)
    return levels


def canonical_names(extra: Iterable[str] = (), newsletter: str | None = None) -> dict[str, str]:
    """Known heading names by their case-folded form, in their usual spelling."""
    names = {name.casefold(): name for name in (*SUBSECTIONS, *TOP_LEVEL)}
    names.update({name.casefold(): name for name in newsletter_names(newsletter)})
    names.update({name.casefold(): name for name in extra})
    return names
