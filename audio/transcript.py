"""transcript: an episode's sentence marks -> timed cues -> WebVTT and SRT text (pure).

The marks come from the synthesis (`speech.Mark`: one per spoken sentence, in
milliseconds from the start of a segment's WAV), so cue times are measured, not guessed.
A sentence too long for one cue is cut into cues of at most MAX_CUE_CHARS characters
(two subtitle lines of LINE_CHARS), preferably after a comma, semicolon or colon, and its
time is shared out by character count. `parse_vtt` and `parse_srt` read such text back
into `Cue`s (the episode page and `check` do). Nothing here touches files.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Protocol, TypeVar

# Raise it whenever the same marks give other cues or other text, so that published
# transcripts are written again (the pipeline keeps them while an episode is unchanged).
FORMAT_VERSION = 2  # 2: the written words, not the lexicon's respellings
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


M = TypeVar("M", bound=Timed)


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


def written_marks(marks: Sequence[M], written: str) -> list[M]:
    """A segment's `marks` (dataclasses, such as `speech.Mark`) in the words of
    `written`, its script before the lexicon respelled them ("Roe hin" is "Rohin" again).

    The spoken and the written words are aligned (difflib), and each mark gets the
    written words its spoken words stand for. Where a respelling made espeak-ng see a
    sentence end ("E. U." for "EU"), the marks it split are one again.

    >>> from audio.speech import Mark
    >>> spoken = [Mark(0, 900, "Roe hin met the E."), Mark(900, 1000, "U."),
    ...           Mark(1000, 1500, "Ann throw pick agreed.")]
    >>> for mark in written_marks(spoken, "Rohin met the EU. Anthropic agreed."):
    ...     print(mark)
    Mark(start_ms=0, end_ms=1000, text='Rohin met the EU.')
    Mark(start_ms=1000, end_ms=1500, text='Anthropic agreed.')
    """
    written_words = written.split()
    spoken_words = [word for mark in marks for word in mark.text.split()]
    if spoken_words == written_words or not spoken_words:
        return list(marks)
    owner = [k for k, mark in enumerate(marks) for _ in mark.text.split()]
    words: list[list[str]] = [[] for _ in marks]
    matcher = difflib.SequenceMatcher(None, spoken_words, written_words, autojunk=False)
    for _, i1, i2, j1, j2 in matcher.get_opcodes():
        for j in range(j1, j2):
            # Spread the written words of a changed stretch over its spoken words.
            i = i1 + (j - j1) * (i2 - i1) // (j2 - j1) if i2 > i1 else i1 - 1
            words[owner[min(max(i, 0), len(owner) - 1)]].append(written_words[j])
    result: list[M] = []
    carried: M | None = None  # a mark that a respelling ended too early
    for mark, found in zip(marks, words, strict=True):
        spoken, text = mark.text, " ".join(found)
        if carried is not None:
            text = f"{carried.text} {text}".strip()
            mark = replace(mark, start_ms=carried.start_ms, text=text)
            carried = None
        elif not text and result:  # its words went to the mark before
            result[-1] = replace(result[-1], end_ms=max(result[-1].end_ms, mark.end_ms))
            continue
        else:
            mark = replace(mark, text=text)
        if not text or (_ends_sentence(spoken) and not _ends_sentence(text)):
            carried = mark
            continue
        result.append(mark)
    if carried is not None:
        result.append(carried)
    return result


def _ends_sentence(text: str) -> bool:
    return re.search(r"""[.!?]["'”’)\]]*$""", text.rstrip()) is not None


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


# --------------------------------------------------------------------------- reading

_VTT_TIME = r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_VTT_TIMING = re.compile(rf"{_VTT_TIME}[ \t]+-->[ \t]+{_VTT_TIME}(?:[ \t].*)?")
_SRT_TIME = r"(\d{1,}):([0-5]\d):([0-5]\d),(\d{3})"
_SRT_TIMING = re.compile(rf"{_SRT_TIME}[ \t]+-->[ \t]+{_SRT_TIME}(?:[ \t].*)?")


def _ms(hours: str | None, minutes: str, seconds: str, millis: str) -> int:
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(millis)


def _blocks(text: str) -> Iterator[tuple[int, list[str]]]:
    """The blank-line separated blocks of `text`, with the line number each starts on."""
    block: list[str] = []
    start = 1
    for number, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        if line.strip():
            if not block:
                start = number
            block.append(line)
        elif block:
            yield start, block
            block = []
    if block:
        yield start, block


def parse_vtt(text: str) -> tuple[Cue, ...]:
    """The cues of a WebVTT file, in file order; ValueError naming the line if malformed.

    The header, NOTE, STYLE and REGION blocks are skipped; cue settings are ignored.

    >>> parse_vtt("WEBVTT\\n\\n1\\n00:00.500 --> 00:01:02.000 align:start\\n<v A>Hi &amp; bye\\n")
    (Cue(start_ms=500, end_ms=62000, text='<v A>Hi &amp; bye'),)
    """
    text = text.removeprefix("\ufeff")
    if not re.match(r"WEBVTT(?:[ \t]|\r?\n|$)", text):
        raise ValueError('line 1: a WebVTT file starts with "WEBVTT"')
    cues = []
    for n, (line, block) in enumerate(_blocks(text)):
        if n == 0 or block[0].split(" ")[0].split("\t")[0] in ("NOTE", "STYLE", "REGION"):
            continue
        # An optional identifier line comes before the timing line.
        timing = 1 if "-->" not in block[0] and len(block) > 1 and "-->" in block[1] else 0
        match = _VTT_TIMING.fullmatch(block[timing].strip())
        if match is None:
            raise ValueError(f"line {line + timing}: not a cue timing: {block[timing].strip()!r}")
        groups = match.groups()
        cues.append(Cue(_ms(*groups[:4]), _ms(*groups[4:8]), "\n".join(block[timing + 1 :])))
    return tuple(cues)


def parse_srt(text: str) -> tuple[Cue, ...]:
    """The cues of a SubRip (.srt) file, in file order; ValueError naming the line if malformed.

    >>> parse_srt("1\\n00:00:01,000 --> 00:00:02,500\\nHello\\nthere\\n\\n")
    (Cue(start_ms=1000, end_ms=2500, text='Hello\\nthere'),)
    """
    cues = []
    for line, block in _blocks(text.removeprefix("\ufeff")):
        if not block[0].strip().isdigit():
            raise ValueError(f"line {line}: a SubRip cue starts with its number")
        match = _SRT_TIMING.fullmatch(block[1].strip()) if len(block) > 1 else None
        if match is None:
            raise ValueError(f"line {line + 1}: not a cue timing")
        groups = match.groups()
        cues.append(Cue(_ms(*groups[:4]), _ms(*groups[4:8]), "\n".join(block[2:])))
    return tuple(cues)
