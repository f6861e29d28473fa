"""script: segments, ids, and speech scripts written for the ear."""

from __future__ import annotations

import random
import re
import subprocess
from pathlib import Path

import pytest

from audio import script
from audio.config import Config
from audio.parse import load_issue, parse_text
from audio.script import (
    CITATION_MODES,
    ENGINE_LEXICON,
    ScriptOptions,
    apply_lexicon,
    episode_description,
    episode_title,
    lexicon_words_in,
    make_segments,
    spoken_authors,
    spoken_text,
    to_speech,
)

ISSUES = Path(__file__).resolve().parent.parent / "issues"
SAMPLES = sorted(ISSUES.glob("*.txt"))


@pytest.mark.parametrize(
    "raw, spoken",
    [
        ("Tea & cake", "Tea and cake"),
        ("see https://x.io/a?b=1 now", "see now"),
        ("mesa optimization ( AN #58 ), it is", "mesa optimization, it is"),
        ("like debate ( AN #5 ). The set-up", "like debate. The set-up"),
        ("Smith et al showed", "Smith and colleagues showed"),
        ("e.g. this, i.e. that", "for example this, that is that"),
        ("GPT-3 vs. humans", "GPT-3 versus humans"),
        ("~1 million images", "about 1 million images"),
        ("up to 95%+ accuracy", "up to 95 percent+ accuracy"),
        ("a stipend of $40,000 and", "a stipend of 40,000 dollars and"),
        ("L_p norm ball", "L p norm ball"),
        ("Utility ≠ Reward", "Utility is not Reward"),
        ("the title—every sentence", "the title, every sentence"),
        ("on that -- and get", "on that, and get"),
        ("harm ... and much more.", "harm, and much more."),
        ("they don’t “know” it", "they don't know it"),
        ("the ‘obvious’ ideas", "the obvious ideas"),
        ("here . In particular, sign up , or", "here. In particular, sign up, or"),
        ("features (final-layer activations) match", "features, final-layer activations, match"),
        ("a *bold* [link](https://a.b) and <b>tag</b>", "a bold link and tag"),
        ("from 2019–2020", "from 2019 to 2020"),
        ("disagreements on the (sub)goal level", "disagreements on the subgoal level"),
        ("already have ~zero training error", "already have about zero training error"),
        ("contracts that pay out $1 if", "contracts that pay out 1 dollar if"),
        ("pay $21 or $0.1 or $1 million", "pay 21 dollars or 0.1 dollars or 1 million dollars"),
        ("(e.g. “why a tennis ball?”). Then", "for example why a tennis ball? Then"),
        ("Read more at https://x.org/news or email", "Read more online or email"),
        ("Code is on https://github.com/a/b. Next.", "Code is online. Next."),
        ("Paper (https://arxiv.org/abs/1).", "Paper."),
        (
            "from 70M to 16B params on 5B–500B tokens",
            "from 70 million to 16 billion params on 5 billion to 500 billion tokens",
        ),
        ("an 8k context, 1T params", "an 8 thousand context, 1 trillion params"),
        ("Llama-2-7B, A100 80GB", "Llama-2 7 billion, A100 80 gigabytes"),
        ("Cost: $1.5M, up from $200k", "Cost: 1.5 million dollars, up from 200 thousand dollars"),
        ("raised $5–10M and $3B", "raised 5 to 10 million dollars and 3 billion dollars"),
        ("€3 bn, €1 or £2", "3 billion euros, 1 euro or 2 pounds"),
        (
            "10x cheaper, a 1.5x speedup, a 2x2 matrix",
            "10 times cheaper, a 1.5 times speedup, a 2x2 matrix",
        ),
        ("about 20 tokens/param and/or less", "about 20 tokens per param and or less"),
        (
            "GPUs at $2.10/hr, $20/mo, 5/day, 100 req/s or $10/person",
            "GPUs at 2 dollars and 10 cents per hour, 20 dollars per month, 5 per day, "
            "100 req per second or 10 dollars per person",
        ),
        # not after an amount: alternatives, a subreddit, a sarcasm mark, a score
        (
            "day/night, month/year, r/singularity, great idea /s, 10/10",
            "day or night, month or year, r slash singularity, great idea /s, 10 out of 10",
        ),
        (
            "from Aug. 2, 2026 to Sept. 12th, Dec 2024, Mar. 03 and Sep 30",
            "from August 2, 2026 to September 12th, December 2024, March 3 and September 30",
        ),
        # a link's label or a reading time in parentheses is not read; before a capital
        # it ends a title or a sentence whose point flattening lost
        (
            "Rose 20% (source). The thread (link) says the Air (4 minute read) Apple (5 min read)",
            "Rose 20 percent. The thread says the Air. Apple",
        ),
        (
            "tools (GitHub Repo) for Rust, made of paper (paper)",
            "tools for Rust, made of paper, paper",
        ),
        ("4K video on 8K TVs, 4K tokens", "4 K video on 8 K TVs, 4 thousand tokens"),
        (
            "£1.2m, $5m and €2m, a 5m run",
            "1.2 million pounds, 5 million dollars and 2 million euros, a 5m run",
        ),
        (
            "9am–5pm, 2x-3x, the '24 election, Q4'24, the '90s, 24h, 3mo",
            "9am to 5pm, 2 to 3 times, the 24 election, Q4 24, the nineties, 24 hours, 3 months",
        ),
        (
            "a 3.5GHz, 120Hz, 200W or 1W part, 100 Mbps, 30 fps, 5000 mAh, 10,000ft, 1 lb, 12 oz",
            "a 3.5 gigahertz, 120 hertz, 200 watts or 1 watt part, 100 megabits per second, 30 "
            "frames per second, 5000 milliamp hours, 10,000 feet, 1 pound, 12 ounces",
        ),
        ("Route 5 W, the 5 W's", "Route 5 W, the 5 W's"),
        (
            "10 mg/kg, 5 µg, 120 mmHg, 5 ppm; Roe v. Wade; the WHO, WHO's chief; WHO WE ARE",
            "10 milligrams per kilogram, 5 micrograms, 120 millimeters of mercury, 5 parts per "
            "million; Roe versus Wade; the W.H.O, W.H.O's chief; WHO WE ARE",
        ),
        (
            "Call 1-800-555-0199 or (212) 555-0123, on 10/12/2025, in the 2025/26 season",
            "Call 1, 8 0 0, 5 5 5, 0 1 9 9 or 2 1 2, 5 5 5, 0 1 2 3, on 10 12 2025, in the "
            "2025 26 season",
        ),
        # after an article, before what it measures
        (
            "a 200W charger, a 16GB card, an 8 GB stick with 16GB of RAM",
            "a 200 watt charger, a 16 gigabyte card, an 8 gigabyte stick with 16 gigabytes of RAM",
        ),
        ("RTX 4090, RX 7900 XTX", "RTX 40 90, RX 79 hundred XTX"),
        (
            "NASDAQ ▲ 0.5%, Dow ▼ 1.2%, sales ⬆️ 10%. Read more →",
            "NASDAQ up 0.5 percent, Dow down 1.2 percent, sales up 10 percent. Read more",
        ),
        (
            "Nvidia's $4T moment, Acme's $20 plan; Apple's $3T is more, it's $5 million cheaper",
            "Nvidia's 4 trillion dollar moment, Acme's 20 dollar plan; Apple's 3 trillion "
            "dollars is more, it's 5 million dollars cheaper",
        ),
        (
            "The $5 million deal, the $4T market, their $2B budget; the $5M in funding, paid the "
            "$20.",
            "The 5 million dollar deal, the 4 trillion dollar market, their 2 billion dollar "
            "budget; the 5 million dollars in funding, paid the 20 dollars.",
        ),
        (
            "a 10-yr bond, 10-YR 4.1%, a 3-hr flight",
            "a 10-year bond, 10-year 4.1 percent, a 3-hour flight",
        ),
        (
            "the St. Louis Fed, St. Patrick's Day; on Main St. The house",
            "the Saint Louis Fed, Saint Patrick's Day; on Main St. The house",
        ),
        # Roman numerals, which espeak-ng reads "roman two"
        (
            "World War II and World War I, Title IX, Super Bowl LIX, Phase I, GTA VI",
            "World War 2 and World War 1, Title 9, Super Bowl 59, Phase 1, GTA 6",
        ),
        (
            "King Charles III, Elizabeth II, Pope Leo XIV, Henry V, Louis XIV, Leo XIII",
            "King Charles the 3rd, Elizabeth the 2nd, Pope Leo the 14th, Henry the 5th, "
            "Louis the 14th, Leo the 13th",
        ),
        # not a pronoun, a size, a model's letter, an acronym
        (
            "told John I would, Size XL, Model X, Plan B, the LIV Golf tour, an IV drip",
            "told John I would, Size XL, Model X, Plan B, the LIV Golf tour, an IV drip",
        ),
        ("from Q1–Q3 and H1-H2 of 2025", "from Q1 to Q3 and H1 to H2 of 2025"),
        (
            "Mon, Dec 7 and Tues. Jan. 5, on 5 Jan 2026 and 12 Sept. The end",
            "Monday, December 7 and Tuesday, January 5, on 5 January 2026 and 12 September. "
            "The end",
        ),
        (
            "Dr. Smith met Sen. Warren, Gov. Newsom, Ms Lee and Mrs. Jones",
            "Doctor Smith met Senator Warren, Governor Newsom, Miz Lee and Missus Jones",
        ),
        (
            "King Jr. Day, King Jr., a Sr. Engineer, he was a Jr.",
            "King Junior Day, King Junior, a Senior Engineer, he was a Junior.",
        ),
        (
            "up 25 bps YoY, 3% MoM, 2% QoQ, a 3-4x speedup in 2 wks, 3 yrs, 6 mos or 30 secs",
            "up 25 basis points year over year, 3 percent month over month, 2 percent quarter "
            "over quarter, a 3 to 4 times speedup in 2 weeks, 3 years, 6 months or 30 seconds",
        ),
        # a name, a month not before a day or year, a time
        ("Jan Leike in Aug. The next, Dec. 12:30", "Jan Leike in Aug. The next, Dec. 12:30"),
        (
            "See Fig. 3, Figs. 4 and Eq. 2 in Sec. 5",
            "See Figure 3, Figures 4 and Equation 2 in Section 5",
        ),
        ("big news 🎉 today ✔️", "big news today"),
        (
            "Hey folks 👋 Big week. Acme™ Cloud and 🤖 Claude; NEWS 🛠️ Tools",
            "Hey folks. Big week. Acme Cloud and Claude; NEWS. Tools",
        ),
        ("Acme™ and Foo® ▪ done ●", "Acme and Foo done"),
        ("Welcome *|FNAME|*, to *|LIST:COMPANY|*.", "Welcome, to."),
        ("on 2024-03-04, not 2024-13-01", "on March 4, 2024, not 2024-13-01"),
        ("as shown [12]. Next", "as shown. Next"),
        ("as shown[^note-1].\n\n[^note-1]: The paper.", "as shown.\n\nThe paper."),
        ("Intro\n\n-----\n\n=====\n\nEnd *** now", "Intro\n\nEnd now"),
        ("C# and F# on .NET, 24/7, 50/50", "C sharp and F sharp on dot net, 24 7, 50 50"),
        ("~~old~~ ~5", "old about 5"),
        (
            "the iterative/recursive ones, w/o seeds",
            "the iterative or recursive ones, without seeds",
        ),
        (
            "TCP/IP at 5 km/h in src/audio/parse.py",
            "TCP/IP at 5 kilometers per hour in src/audio/parse.py",
        ),
        # espeak-ng reads "3e-4" as "3 E 4", "10^6" as "10 6" and "1990s" as "nineteen
        # hundred ninety z".
        (
            "lr 3e-4, 1.5E+3 steps, 10^6 or 10^{25} FLOPs, 2^-10, 5 FLOP/s",
            "lr 3 times 10 to the minus 4, 1.5 times 10 to the 3 steps, 10 to the 6 or "
            "10 to the 25 flops, 2 to the minus 10, 5 flop per second",
        ),
        (
            "since the 1990s, the '80s, the 1900s, the 2000s, the mid-70s, her 20s",
            "since the nineteen nineties, the eighties, the nineteen hundreds, the two "
            "thousands, the mid-seventies, her twenties",
        ),
        ("done in 30s, 1000s of users", "done in 30s, 1000s of users"),
        (
            "3/4 and 1/2 of them; 7/10; 16/9; 12/03/2024; 5/20 at noon, on 3/4",
            "three quarters and one half of them; 7 out of 10; 16/9; 12 3 2024; 5/20 at "
            "noon, on 3/4",
        ),
        (
            "16GB, 1 GB, 500 ms, 1 ms, 3 min, 5 GW, 1.5 kWh, 25°C, 100 mph",
            "16 gigabytes, 1 gigabyte, 500 milliseconds, 1 millisecond, 3 minutes, 5 "
            "gigawatts, 1.5 kilowatt hours, 25 degrees Celsius, 100 miles per hour",
        ),
        ("the #1 app, No. 5, issue #3", "the number 1 app, number 5, issue number 3"),
        (
            "Events between 2024-10-23 - 2024-11-20: 2024-10-16 | Berlin | Rust Meetup",
            "Events between October 23, 2024 to November 20, 2024: October 16, 2024, Berlin, "
            "Rust Meetup",
        ),
        (
            "$4.40 per million, $0.50, $0.01, $1.00, €2.50, £0.99, $1,000.50, $1.10M",
            "4 dollars and 40 cents per million, 50 cents, 1 cent, 1 dollar, 2 euros and 50 "
            "cents, 99 pence, 1,000 dollars and 50 cents, 1.10 million dollars",
        ),
        (
            "Google's I/O, A/B tests (Leah Nylen / Bloomberg)",
            "Google's I O, A B tests, Leah Nylen, Bloomberg",
        ),
        (
            "up 5-10% in 2-3 days, 8-10B, won 3-2. Llama-3.1-8B, Qwen2.5-72B, COVID-19, "
            "call 1-800-555-1234",
            "up 5 to 10 percent in 2 to 3 days, 8 to 10 billion, won 3 to 2. Llama-3.1 8 "
            "billion, Qwen2.5 72 billion, COVID-19, call 1, 8 0 0, 5 5 5, 1 2 3 4",
        ),
        (
            "Q: What next? A: Coffee w/ friends b/c 2X cheaper, h/t Jo. AFAIK, IMHO, w/o",
            "Question: What next? Answer: Coffee with friends because 2 times cheaper, hat tip to "
            "Jo. as far as I know, in my humble opinion, without",
        ),
        ("A: More compute.", "Answer: More compute."),
        ("It learns from play data...", "It learns from play data."),
        ("Try it free →.\n\nRead more »", "Try it free.\n\nRead more"),  # (a script's full stop)
        (
            "About 10⁶ samples, E = mc², the model¹ is big",
            "About 10 to the 6 samples, E = mc to the 2, the model is big",
        ),
        ("a 1:00:00 video, 2:05:30 hours", "a 1:00:00 video, 2:05:30 hours"),
        ("Enjoy! // Favorites The Hidden Costs", "Enjoy! Favorites The Hidden Costs"),
        (
            "at 5:00pm ET, 12:00 PM, 9:05 am, 17:00 UTC, 9:00 sharp, 10:30am; v0.4.2",
            "at 5pm ET, 12 PM, 9 oh 5 am, 17 hundred UTC, 9 o'clock sharp, 10:30am; version 0.4.2",
        ),
        (
            "N > 1, x < 5, <b>bold</b>, From<&mut [T]> for Box/Rc/Arc, TCP/IP, r/rust",
            "N greater than 1, x less than 5, bold, From for Box or Rc or Arc, TCP/IP, r slash "
            "rust",
        ),
        (
            "March 04, 2025: NASDAQ 18,350.19 -2.64%, DOW +1.2%, from $999, $100 less",
            "March 4, 2025: NASDAQ 18,350.19 down 2.64 percent, DOW up 1.2 percent, from 999 "
            "dollars, 100 dollars less",
        ),
        (
            "By Sam Lee • March 3 · 5 min read. A 4-minute read, it took 5 min to read",
            "By Sam Lee, March 3. A 4-minute read, it took 5 minutes to read",
        ),
        (
            "raised $3.5B at a $61.5B valuation, a $5 fee, an €8 ticket",
            "raised 3.5 billion dollars at a 61.5 billion dollar valuation, a 5 dollar fee, "
            "an 8 euro ticket",
        ),
        (
            "at $3/M input tokens, $0.25/1M tokens, $15/MTok, $0.02/1K, up 9% y/y and 2% Q/Q",
            "at 3 dollars per million input tokens, 25 cents per million tokens, 15 dollars "
            "per million tokens, 2 cents per thousand, up 9 percent year over year and 2 "
            "percent quarter over quarter",
        ),
        (
            "trained with >10^26 FLOPs, <5% of cases (≥3 runs, ≤2 GPUs); <5% or >10 of them",
            "trained with more than 10 to the 26 flops, less than 5 percent of cases, at "
            "least 3 runs, at most 2 GPUs, less than 5 percent or more than 10 of them",
        ),
        (
            "the U.S. Dept. of Commerce, Acme Corp. and Foo Inc., Smith & Co. The Intl. "
            "Energy Agency, the Nat'l Science Fdn., the govt. of Chile, Stanford Univ. Then",
            "the U.S Department of Commerce, Acme Corporation and Foo Inc, Smith and Company. "
            "The International Energy Agency, the National Science Foundation, the government "
            "of Chile, Stanford University. Then",
        ),
        (
            "a Ph.D. in CS, a Ph.D., got a Ph.D. Then IPv6, FY2024, FY'25, k8s, at 4 p.m. ET "
            "on 9/11",
            "a PhD in CS, a PhD, got a PhD. Then I P v6, F Y 2024, F Y 25, Kubernetes, at 4 pm "
            "ET on 9 11",
        ),
        (
            "a 4½-minute read, 2¼ cups, 1¾ miles",
            "a 4 and a half-minute read, 2 and a quarter cups, 1 and three quarters miles",
        ),
        (
            "819GB/s of bandwidth, 1,000 tok/s, 10 Gb/s links",
            "819 gigabytes per second of bandwidth, 1,000 tokens per second, 10 gigabits per "
            "second links",
        ),
        # espeak-ng ends a sentence at "U.S." before a capital: not before a name
        (
            "The U.S. President met U.K. officials and J.R.R. Tolkien. He moved to the U.S. Then",
            "The U.S President met U.K. officials and J.R.R Tolkien. He moved to the U.S. Then",
        ),
        (
            "pp. 12, p. 7, vol. 3, ca. 1900, approx. 3, ~$5",
            "pages 12, page 7, volume 3, circa 1900, approximately 3, about 5 dollars",
        ),
    ],
)
def test_to_speech(raw, spoken):
    assert to_speech(raw) == spoken


@pytest.mark.parametrize(
    "raw, citations, spoken",
    [
        ("mesa optimization ( AN #58 ), it is", "drop", "mesa optimization, it is"),
        (
            "mesa optimization ( AN #58 ), it is",
            "read",
            "mesa optimization, from Alignment Newsletter 58, it is",
        ),
        (
            "like debate ( AN #5 ). The set-up",
            "read",
            "like debate, from Alignment Newsletter 5. The set-up",
        ),
        ("robustness (MLSN #3).", "drop", "robustness."),
        ("robustness (MLSN #3).", "read", "robustness, from ML Safety Newsletter 3."),
        ("both ( AN #58, #62 ) say", "drop", "both say"),
        ("both ( AN #58, #62 ) say", "read", "both, from Alignment Newsletter 58 and 62, say"),
        ("three (AN #1, #2, #3) say", "read", "three, from Alignment Newsletter 1, 2, and 3, say"),
        (
            "mixed (AN #58, MLSN #3) say",
            "read",
            "mixed, from Alignment Newsletter 58 and ML Safety Newsletter 3, say",
        ),
        ("Safety Gym ([AN #76](https://mailchi.mp/x)) is", "drop", "Safety Gym is"),
        (
            "Safety Gym ([AN #76](https://mailchi.mp/x)) is",
            "read",
            "Safety Gym, from Alignment Newsletter 76, is",
        ),
        (
            "overseer (see delegative RL (AN #57), and shielding).",
            "read",
            "overseer, see delegative RL, from Alignment Newsletter 57, and shielding.",
        ),
    ],
)
def test_citations(raw, citations, spoken):
    assert to_speech(raw, citations=citations) == spoken


def test_citations_unknown_mode():
    with pytest.raises(ValueError, match="citations must be one of"):
        to_speech("x", citations="speak")


def test_citations_option_reaches_the_scripts():
    issue = load_issue(ISSUES / "alignment-newsletter-076.txt")
    dropped = " ".join(s.script for s in make_segments(issue))
    read = " ".join(s.script for s in make_segments(issue, ScriptOptions(citations="read")))
    assert "from Alignment Newsletter" not in dropped
    assert "delegative RL, from Alignment Newsletter 57," in read


@pytest.mark.parametrize(
    "authors, spoken",
    [
        ("Qizhe Xie et al", "Qizhe Xie and colleagues"),
        ("Mingchen Li et al.", "Mingchen Li and colleagues"),
        ("Alex Ray, Joshua Achiam et al", "Alex Ray, Joshua Achiam and colleagues"),
        ("Wei Dai", "Wei Dai"),
    ],
)
def test_spoken_authors(authors, spoken):
    assert spoken_authors(authors) == spoken


def test_lexicon_whole_words_case_sensitive():
    lexicon = [("Rohin", "Roe hin"), ("ViT", "vit")]
    assert apply_lexicon("Rohin's ViT, not rohin or Rohins", lexicon) == (
        "Roe hin's vit, not rohin or Rohins"
    )
    assert lexicon_words_in("ViT here", lexicon) == ("ViT",)


@pytest.mark.parametrize(
    "text, found",
    [
        ("Rohin said", ("Rohin",)),
        ("Rohin's view", ("Rohin",)),
        ("rohin said", ()),  # case-sensitive
        ("ROHIN said", ()),
        ("Rohins said", ()),  # whole words only
        ("McRohin said", ()),
        ("GPT-3 and GPT-3.5", ("GPT-3",)),
        ("GPT-3x", ()),
        ("pre-GPT-3 models", ()),
    ],
)
def test_lexicon_words_in_agrees_with_apply_lexicon(text, found):
    lexicon = [("Rohin", "Roe hin"), ("GPT-3", "GPT three")]
    assert lexicon_words_in(text, lexicon) == found
    assert (apply_lexicon(text, lexicon) != text) == bool(found)


def test_segments_of_an76():
    issue = load_issue(ISSUES / "alignment-newsletter-076.txt")
    segments = make_segments(issue)
    assert [(s.id, s.kind, s.title) for s in segments] == [
        ("01-intro", "intro", "Introduction"),
        (
            "02-highlight-self-training-with-noisy-student",
            "highlight",
            "Self-training with Noisy Student improves ImageNet classification",
        ),
        ("03-highlight-safety-gym", "highlight", "Safety Gym"),
        ("04-section-technical-ai-alignment", "section", "Technical AI alignment"),
        (
            "05-section-technical-agendas-and-prioritization",
            "section",
            "Technical AI alignment: Technical agendas and prioritization",
        ),
        (
            "06-section-critiques-alignment",
            "section",
            "Technical AI alignment: Critiques (Alignment)",
        ),
        (
            "07-section-miscellaneous-alignment",
            "section",
            "Technical AI alignment: Miscellaneous (Alignment)",
        ),
        (
            "08-section-reinforcement-learning",
            "section",
            "Other progress in AI: Reinforcement learning",
        ),
        ("09-outro", "outro", "Closing"),
    ]
    intro = segments[0].script
    assert intro.startswith(
        "Alignment Newsletter, issue 76: How dataset size affects robustness, and benchmarking"
    )
    gym = segments[2].script
    assert gym.startswith(
        "Highlight: Safety Gym, by Alex Ray, Joshua Achiam and colleagues. Summarized by Flo."
    )
    assert "Flo's opinion: I am quite excited about safety gym." in gym
    assert "Github repo" not in gym
    section = segments[4]
    assert section.script.startswith(
        "Technical AI alignment: Technical agendas and prioritization."
    )
    assert (section.section, section.subsection) == (
        "Technical AI alignment",
        "Technical agendas and prioritization",
    )
    assert [i.title for i in section.items] == [
        "Useful Does Not Mean Secure",
        "Verification and Transparency",
    ]
    assert episode_title(issue) == (
        "Alignment Newsletter #76: How dataset size affects robustness, and benchmarking safe "
        "exploration by measuring constraint violations"
    )


def test_highlight_reads_its_responses():
    issue = load_issue(ISSUES / "alignment-newsletter-062.txt")
    segment = make_segments(issue)[2]
    assert segment.id == "03-highlight-adversarial-examples-are-not-bugs"
    assert len(segment.items) == 7
    assert "Response: Learning from Incorrectly Labeled Data, by Eric Wallace." in segment.script


@pytest.mark.parametrize("citations", CITATION_MODES)
@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_scripts_are_plain_text_for_the_ear(path, citations):
    segments = make_segments(load_issue(path), ScriptOptions(citations=citations))
    ids = [s.id for s in segments]
    assert len(set(ids)) == len(ids)
    for segment in segments:
        text = segment.script
        assert text.strip(), segment.id
        assert not re.search(r"https?://|www\.", text), segment.id
        assert not re.search(r"[<>\[\]*_#`()]", text), (
            segment.id,
            re.findall(r".{20}[<>\[\]*_#`()].{20}", text),
        )
        assert "AN #" not in text and " . " not in text and " , " not in text, segment.id


def test_a_marked_up_newsletter_reads_as_its_structure():
    issue = load_issue(Path(__file__).resolve().parent / "data" / "marked" / "weekly-ai-017.md")
    intro, chinchilla, *_ = make_segments(issue)
    assert episode_title(issue) == "Weekly AI #17: March 3, 2025"
    assert intro.script.startswith(
        "Weekly AI, issue 17: March 3, 2025.\n\n"
        "Plus: what a record round means for small labs.\n\n"
        "Hi all! This week: scaling laws, a new benchmark, and big funding news.\n\n"
    )
    assert chinchilla.script == (
        "Highlight: Chinchilla revisited, by Hoffmann and colleagues, 2022. "
        "Summarized by Bernhard Schölkopf.\n\n"
        "The authors train 400+ models from 70 million to 16 billion params on 5 billion to "
        "500 billion tokens, for example to find the compute-optimal ratio, about 20 tokens "
        "per param. See Figure 3 and Table 2. Cost: 1.5 million dollars, roughly 10 times "
        "cheaper.\n\n"
        "Bernhard Schölkopf's opinion: I think this matters for RLHF too, that is the reward "
        "model's size."
    )


@pytest.mark.parametrize("word, respelling", ENGINE_LEXICON, ids=[w for w, _ in ENGINE_LEXICON])
def test_each_engine_respelling_changes_how_espeak_ng_reads_the_word(word, respelling):
    # In running text where espeak-ng misreads the word (how it reads capitals depends
    # on the words around them): the respelling is read otherwise, so it is not there
    # for nothing.
    def phonemes(text: str) -> str:
        # these it misreads at the end of a clause
        clause_end = {"ET": "At 10 AM {}, then.", "IPO": "Its {}.", "AMA": "Our {}."}
        sentences = clause_end.get(word, "At {} and NeurIPS.").format(text)
        command = ["espeak-ng", "-q", "-v", Config().voice, "--ipa", sentences]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout

    assert phonemes(respelling) != phonemes(word)
    assert spoken_text(f"At {word}, then {word}.", ()) == f"At {respelling}, then {respelling}."


def test_the_description_says_also_only_after_highlights():
    plain = load_issue(ISSUES / "ml-safety-newsletter-002.txt")
    assert plain.highlights == ()
    assert episode_description(plain).startswith("In this issue: Robustness, ")
    highlighted = load_issue(ISSUES / "alignment-newsletter-076.txt")
    assert highlighted.highlights
    assert "Also in this issue: " in episode_description(highlighted)


def test_years_are_respelled_as_espeak_ng_reads_them_right():
    assert spoken_text("Deep Blue (1997) won in 1997; 1985-1990; in 1905; in 1900.", ()) == (
        "Deep Blue (19 97) won in 19 97; 19 85-19 90; in 19 oh 5; in 1900."
    )
    # A range as the script writes it ("1985-1990" and "1985–1990" are "1985 to 1990").
    assert spoken_text(to_speech("From 1985-1990, and 1980 to 1985."), ()) == (
        "From 19 85 to 19 90, and 19 80 to 19 85."
    )
    # Counts stay numbers.
    text = "Up to 1536 dimensions, 1,990 steps, 1990.5 units and 1250 of them."
    assert spoken_text(text, ()) == text

    def phonemes(text: str) -> str:
        command = ["espeak-ng", "-q", "-v", Config().voice, "--ipa", text]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout

    # espeak-ng says "nineteen hundred ninety-seven" for 1997, as no one does.
    assert "hˈʌndɹɪd" in phonemes("It won in 1997.")
    assert "hˈʌndɹɪd" not in phonemes(spoken_text("It won in 1997.", ()))


def test_an_acronyms_plural_is_heard_at_the_end_of_a_clause():
    def phonemes(text: str) -> str:
        command = ["espeak-ng", "-q", "-v", Config().voice, "--ipa", text]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout

    # espeak-ng drops the "s" there: "Big LLMs, small" is read "big L L M, small".
    assert phonemes("Big LLMs, small.") == phonemes("Big LLM, small.")
    assert "ˈɛmz" in phonemes(spoken_text("Big LLMs, small.", ()))
    text = "GPUs and CNNs, RNNs. VMs; FAQs! AIs, APIs.\n\nIDEs\n\nNeRFs, H100s."
    assert spoken_text(text, ()) == (
        "GPUs and CN ens, RN ens. V ems; FA cues! AIs, AP eyes.\n\nID ees\n\nNeRFs, H100s."
    )
    # The script and its transcript keep "LLMs": only the spoken text changes.
    assert (
        "LLMs"
        in make_segments(parse_text("# Notes #1\n\nBig LLMs, small.", slug="n-1", fmt="markdown"))[
            0
        ].script
    )


def _guard_corpus() -> list[str]:
    """Paragraphs of every issue and script in the tests' data, and random mixes of
    what the spoken forms rewrite."""
    root = Path(__file__).resolve().parent
    files = [
        *ISSUES.glob("*.txt"),
        *(root / "data").rglob("*.*"),
        *(root / "golden").rglob("*.txt"),
    ]
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in files if p.is_file()]
    paragraphs = [q for t in texts for q in re.split(r"\n\s*\n", t)]
    pieces = [
        *"aZ 09.,;:!?-–—/$€£%&_*#~<>|()[]{}\"'’“”…→×≈≠⁰²⁻•\n",
        *("e.g.", "et al.", "https://x.y/z", "www.a.b", "(AN #12)", "1990s", "5:00pm"),
        *("v1.2.3", "$3B", "€2.50", "10-20%", "FLOP/s", "w/", "h/t", "Q: ", "r/rust"),
        *("Fig. 3", "24/7", " > ", "~1", "km/h", "-2.6%", "1e-5", "x^2", "x_{i}", "😀"),
        *("2024-03-04", "Mar 04", "<b>", "[1]", "*|MC:X|*", "[Paper]", "C#", "No. 5"),
    ]
    rng = random.Random(5)
    mixes = ["".join(rng.choice(pieces) for _ in range(rng.randrange(5, 80))) for _ in range(800)]
    return paragraphs + mixes


def test_the_spoken_forms_skip_only_text_they_cannot_change(monkeypatch):
    # Each rule runs only on text that has what every match of it needs (its guards,
    # from the rule's pattern): the same speech as running every rule everywhere.
    corpus = _guard_corpus()
    guarded = sum(bool(guards) for guards in script._GUARDS.values())
    assert guarded >= 0.9 * len(script.SPOKEN)  # Python's parser still reads them
    for source, guards in script._GUARDS.items():
        pattern = re.compile(source, re.MULTILINE)
        for text in corpus:
            if pattern.search(text):
                assert all(g.search(text) for g in guards), (source, text)
    fast = {mode: [to_speech(text, citations=mode) for text in corpus] for mode in CITATION_MODES}
    unguarded = {mode: tuple((p, r, ()) for p, r, _ in t) for mode, t in script._SPOKEN.items()}
    monkeypatch.setattr(script, "_SPOKEN", unguarded)
    for mode in CITATION_MODES:
        assert [to_speech(text, citations=mode) for text in corpus] == fast[mode]


@pytest.mark.parametrize("word, respelling", ENGINE_LEXICON, ids=[w for w, _ in ENGINE_LEXICON])
def test_no_engine_respelling_is_read_with_a_dot(word, respelling):
    # espeak-ng reads "A." after "of" or "at" as "a dot": "the head of A.I.S.I" was "the
    # head of a dot I S I".
    for context in ("The head of {} said.", "At {} and NeurIPS.", "{} said it."):
        sentence = context.format(respelling)
        command = ["espeak-ng", "-q", "-v", Config().voice, "-x", sentence]
        phonemes = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        assert "d'0t" not in phonemes, sentence
