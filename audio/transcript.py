"""transcript: an episode's sentence marks -> timed cues -> WebVTT and SRT text (pure).

The marks come from the synthesis (`speech.Mark`: one per spoken sentence, in
milliseconds from the start of a segment's WAV), so cue times are measured, not guessed.
A sentence too long for one cue is cut into cues of at most MAX_CUE_CHARS characters
(two subtitle lines of LINE_CHARS), preferably after a comma, semicolon or colon, and its
time is shared out by character count. Nothing here touches files.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# Raise it whenever the same marks give other cues or other text, so that published
# transcripts are written again (the pipeline keeps them while an episode is unchanged).
FORMAT_VERSION = 1
MAX_CUE_CHARS = 84
LINE_CHARS = 42


class Timed(Protocol):
    """A sentence with times in milliseconds, such as `speech.Mark`."""

    @property
    def start_ms(self) -> int: ...
    @property
    def end_ms(self) -> int: ...
    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class Cue:
    """One caption: shown from `start_ms` to `end_ms` of the episode, one-line `text`."""

    start_ms: int
    end_ms: int
    text: str


def cues_for_episode(
    parts: Sequence[tuple[int, Sequence[Timed]]], *, max_chars: int = MAX_CUE_CHARS
) -> tuple[Cue, ...]:
    """The cues of an episode from its segments' sentence marks, in time order.

    Each part is (offset, marks) for one segment: `offset` is the episode time, in
    milliseconds, that the marks' 0 stands for. For marks as `synthesize_parts` returns
    them (0 is the start of the segment's WAV) that is the segment's start (its chapter's
    `start_ms`) plus its lead silence; for marks stored already shifted by the lead, just
    the segment's start. (A decoder also plays LAME's encoder delay first, 25 ms: in the
    MP3, speech was measured to start 20 to 75 ms after its cue, which suits captions.)

    Cue texts are one line, whitespace-squashed, never contain "-->", and are at most
    `max_chars` long (a longer word is cut). Cues never overlap.

    >>> from audio.speech import Mark
    >>> marks = [Mark(0, 1000, "Hello there."), Mark(1000, 1600, "Bye.")]
    >>> for cue in cues_for_episode([(500, marks), (9000, [Mark(0, 800, "Next.")])]):
    ...     print(cue)
    Cue(start_ms=500, end_ms=1500, text='Hello there.')
    Cue(start_ms=1500, end_ms=2100, text='Bye.')
    Cue(start_ms=9000, end_ms=9800, text='Next.')
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be positive, not {max_chars}")
    cues: list[Cue] = []
    for offset, marks in parts:
        for mark in marks:
            text = clean_cue_text(mark.text)
            if text:
                start, end = offset + mark.start_ms, offset + max(mark.end_ms, mark.start_ms)
                cues.extend(_timed_pieces(start, end, text, max_chars))
    return _without_overlaps(sorted(cues, key=lambda c: c.start_ms))


def clean_cue_text(text: str) -> str:
    """`text` on one line, whitespace squashed, with no "-->" (which ends a cue's timing).

    >>> clean_cue_text("  a -->  b\\n c --->d ")
    'a -> b c ->d'
    """
    return re.sub(r"-{2,}>", "->", " ".join(text.split()))


def split_cue_text(text: str, max_chars: int = MAX_CUE_CHARS) -> tuple[str, ...]:
    """`text` cut into the fewest pieces of at most `max_chars`, of similar lengths.

    Cuts fall between words, preferably after a comma, semicolon or colon near the
    ideal place; a word longer than `max_chars` is cut inside.

    >>> split_cue_text("Short enough.")
    ('Short enough.',)
    >>> split_cue_text("one two three, four five six seven eight", max_chars=20)
    ('one two three, four', 'five six seven eight')
    >>> split_cue_text("Well, in the first place, we think that this is wrong.", max_chars=30)
    ('Well, in the first place,', 'we think that this is wrong.')
    >>> split_cue_text("abcdefghij", max_chars=4)
    ('abcd', 'efgh', 'ij')
    """
    pieces: list[str] = []
    rest = " ".join(text.split())
    while len(rest) > max_chars:
        count = _fewest_pieces(rest, max_chars)
        ideal = len(rest) / count
        # (score, cut) of each space where a piece could end: the nearer the ideal
        # length the better, and a clause break is worth a less even cut.
        cuts = sorted(
            (
                abs(m.start() - ideal) - (max_chars / 4 if rest[m.start() - 1] in ",;:" else 0),
                m.start(),
            )
            for m in re.finditer(" ", rest[: max_chars + 1])
        )
        # The best cut whose rest still fits in count - 1 pieces, else the best one.
        fitting = (c for c in cuts if _fewest_pieces(rest[c[1] + 1 :], max_chars) < count)
        best = next(fitting, cuts[0] if cuts else None)
        cut = best[1] if best else max_chars
        pieces.append(rest[:cut])
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return tuple(pieces)


def _fewest_pieces(text: str, max_chars: int) -> int:
    """How many pieces `split_cue_text` needs at least: words packed greedily."""
    count, length = 1, 0
    for word in text.split():
        while len(word) > max_chars:  # cut inside, as split_cue_text does
            if length:
                count += 1
            word = word[max_chars:]
            length = max_chars
        if length and length + 1 + len(word) > max_chars:
            count += 1
            length = len(word)
        else:
            length += (1 if length else 0) + len(word)
    return count


def _timed_pieces(start: int, end: int, text: str, max_chars: int) -> list[Cue]:
    """`text` spoken from `start` to `end` as cues, times shared out by character count."""
    pieces = split_cue_text(text, max_chars)
    total = sum(len(p) for p in pieces)
    cues = []
    done = 0
    for piece in pieces:
        piece_start = start + (end - start) * done // total
        done += len(piece)
        cues.append(Cue(piece_start, start + (end - start) * done // total, piece))
    return cues


def _without_overlaps(cues: Sequence[Cue]) -> tuple[Cue, ...]:
    """Each cue ended by the next one's start; a cue left with no time joins the one before."""
    kept: list[Cue] = []
    for k, cue in enumerate(cues):
        end = cue.end_ms
        if k + 1 < len(cues):
            end = min(end, cues[k + 1].start_ms)
        if end > cue.start_ms:
            kept.append(Cue(cue.start_ms, end, cue.text))
        elif kept:
            last = kept.pop()
            kept.append(Cue(last.start_ms, max(last.end_ms, end), f"{last.text} {cue.text}"))
        else:
            kept.append(Cue(cue.start_ms, cue.start_ms + 1, cue.text))
    return tuple(kept)


# --- formats ---------------------------------------------------------------------------


def webvtt(cues: Sequence[Cue]) -> str:
    """A WebVTT file of `cues`: the header, then each cue's times and text.

    >>> print(webvtt([Cue(0, 1500, "Tom & Jerry <3"), Cue(3_723_004, 3_725_000, "Bye.")]))
    WEBVTT
    <BLANKLINE>
    00:00:00.000 --> 00:00:01.500
    Tom &amp; Jerry &lt;3
    <BLANKLINE>
    01:02:03.004 --> 01:02:05.000
    Bye.
    <BLANKLINE>
    """
    blocks = ["WEBVTT\n"]
    for cue in cues:
        text = clean_cue_text(cue.text)
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        blocks.append(
            f"{_stamp(cue.start_ms, '.')} --> {_stamp(cue.end_ms, '.')}\n{_lines(text)}\n"
        )
    return "\n".join(blocks)


def srt(cues: Sequence[Cue]) -> str:
    """A SubRip (SRT) file of `cues`: numbered from 1, times with a decimal comma.

    >>> print(srt([Cue(0, 1500, "Hello."), Cue(61_000, 62_250, "A --> B")]))
    1
    00:00:00,000 --> 00:00:01,500
    Hello.
    <BLANKLINE>
    2
    00:01:01,000 --> 00:01:02,250
    A -> B
    <BLANKLINE>
    """
    blocks = []
    for n, cue in enumerate(cues, start=1):
        text = _lines(clean_cue_text(cue.text))
        blocks.append(f"{n}\n{_stamp(cue.start_ms, ',')} --> {_stamp(cue.end_ms, ',')}\n{text}\n")
    return "\n".join(blocks)


def _stamp(ms: int, separator: str) -> str:
    """HH:MM:SS.mmm (or with a comma); hours grow past two digits if they must."""
    if ms < 0:
        raise ValueError(f"a cue time must not be negative, not {ms} ms")
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def _lines(text: str, width: int = LINE_CHARS) -> str:
    """`text` as one line, or two lines of similar length when longer than `width`.

    >>> _lines("a short one")
    'a short one'
    >>> print(_lines("This sentence is rather longer than forty-two characters."))
    This sentence is rather longer
    than forty-two characters.
    """
    if len(text) <= width:
        return text
    spaces = [m.start() for m in re.finditer(" ", text)]
    if not spaces:
        return text
    cut = min(spaces, key=lambda i: abs(i - len(text) / 2))
    return f"{text[:cut]}\n{text[cut + 1 :]}"
