"""The data that flows between the pipeline's stages.

Frozen dataclasses only: no I/O and no third-party imports. Stages derive new values
with `dataclasses.replace` instead of mutating.

- parse:    issue text -> `Issue` (of `Section`, `Subsection`, `Item`, `Opinion`, `Link`)
- script:   `Issue` -> `Segment` (one per chapter, with its spoken script)
- stitch:   segments -> `Part` (one encoded MP3 part per segment)
- chapters: parts -> `Chapter`
- feed:     `Episode` (what the manifest records about a published episode)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

SegmentKind = Literal["intro", "highlight", "section", "outro"]
SEGMENT_KINDS: tuple[SegmentKind, ...] = ("intro", "highlight", "section", "outro")


@dataclass(frozen=True)
class Link:
    """A link the issue gives: "Read more: Paper", "[Blog post]", or an item's title link."""

    label: str
    url: str | None = None


@dataclass(frozen=True)
class Opinion:
    """A "Name's opinion: ..." paragraph that follows a summary."""

    author: str
    text: str


@dataclass(frozen=True)
class Item:
    """One newsletter item: a paper, post, job or announcement and what is said about it.

    `authors` and `summarizer` are as written ("Andrew Ilyas, Shibani Santurkar et al",
    "Rohin and Cody"); `summary` is plain text with paragraphs separated by blank lines.
    `responses` are the "Response: Title (Authors)" items that belong to this one.
    """

    title: str
    authors: str | None = None
    summarizer: str | None = None
    summary: str = ""
    opinions: tuple[Opinion, ...] = ()
    links: tuple[Link, ...] = ()
    url: str | None = None
    responses: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Subsection:
    """A named group of items inside a section ("Iterated amplification")."""

    name: str
    items: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Section:
    """A top-level part of an issue ("Technical AI alignment") with its own items first."""

    name: str
    items: tuple[Item, ...] = ()
    subsections: tuple[Subsection, ...] = ()


@dataclass(frozen=True)
class Issue:
    """The structure of one newsletter issue, as parsed from its text.

    `preamble` holds the news paragraphs before the first item, with the sign-up and
    feedback boilerplate removed; `closing`, the editor's sign-off after the last item
    ("That's all for this week!", "See you soon,", "Rowan"). `warnings` are things the
    editor should know (for example that no items were found); they are not errors.
    """

    slug: str
    title: str | None = None
    number: int | None = None
    newsletter: str | None = None
    preamble: tuple[str, ...] = ()
    highlights_heading: str | None = None
    highlights: tuple[Item, ...] = ()
    sections: tuple[Section, ...] = ()
    closing: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Segment:
    """One chapter of an episode: what it reads and the script it speaks.

    `id` is stable for the same source ("03-highlight-adversarial-examples-are-not-bugs")
    and becomes the ID3 CHAP element id and the script's file name. `script` is plain
    text written for the ear, before the pronunciation lexicon is applied.
    """

    id: str
    kind: SegmentKind
    title: str
    script: str
    section: str | None = None
    subsection: str | None = None
    items: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Mark:
    """One spoken sentence: its start and end in milliseconds, and its text.

    From the synthesis, a sentence starts at its speech onset and ends where the next
    one starts (so it includes the pause after it), or at the end of its utterance.
    Times are from the start of the audio they belong to (the WAV, then the part).
    """

    start_ms: int
    end_ms: int
    text: str


@dataclass(frozen=True)
class Part:
    """One segment encoded as CBR MP3 frames (no ID3 tag, no Xing/Info frame).

    `marks` are its sentences, timed from the start of the part.
    """

    key: str
    frames: int
    samples_per_frame: int
    sample_rate: int
    size: int
    marks: tuple[Mark, ...] = ()

    @property
    def duration(self) -> float:
        """Length in seconds, from the frame count."""
        return self.frames * self.samples_per_frame / self.sample_rate


@dataclass(frozen=True)
class Chapter:
    """A chapter of an episode; times in milliseconds from the start of the audio."""

    element_id: str
    title: str
    start_ms: int
    end_ms: int
    url: str | None = None


@dataclass(frozen=True)
class Episode:
    """A published episode, as its manifest (`output/<slug>/episode.json`) records it.

    `guid` and `published` are made once, at first publication, and never change.
    `mp3` is the file name relative to the episode's directory; `transcript` says
    whether its WebVTT and SRT transcripts are published next to it.
    """

    slug: str
    title: str
    description: str
    guid: str
    published: dt.datetime
    mp3: str
    size: int
    duration_ms: int
    chapters: tuple[Chapter, ...] = ()
    number: int | None = None
    newsletter: str | None = None
    transcript: bool = False
