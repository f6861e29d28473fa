"""Transcripts: sentence marks -> cues -> WebVTT and SRT (pure; no engine)."""

from __future__ import annotations

import itertools
import re

import pytest

from audio.speech import Mark
from audio.transcript import (
    MAX_CUE_CHARS,
    Cue,
    _fewest_pieces,
    clean_cue_text,
    cues_for_episode,
    parse_srt,
    parse_vtt,
    split_cue_text,
    srt,
    webvtt,
    written_marks,
)

LONG = (
    "This is formalized as a constrained reinforcement learning problem: in addition to "
    "maximizing the received reward, agents also have to respect constraints on a safety "
    "cost function."
)  # 174 characters


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("Hello.", "Hello."),
        ("  two\n lines\tand  spaces ", "two lines and spaces"),
        ("a --> b", "a -> b"),
        ("a ----> b", "a -> b"),
        ("keep -> and - > as they are", "keep -> and - > as they are"),
        ("", ""),
    ],
)
def test_clean_cue_text(raw, clean):
    assert clean_cue_text(raw) == clean


@pytest.mark.parametrize(
    "text, max_chars, pieces",
    [
        ("Short.", 84, ["Short."]),
        ("x" * 84, 84, ["x" * 84]),
        ("aaa bbb ccc ddd", 7, ["aaa bbb", "ccc ddd"]),
        ("aaa, bbb ccc ddd eee", 12, ["aaa, bbb", "ccc ddd eee"]),  # not 3 for the comma
        ("ab cdefghijkl", 5, ["ab", "cdefg", "hijkl"]),
        ("aaa bbb, ccc ddd", 12, ["aaa bbb,", "ccc ddd"]),
        ("abcdefghijkl mn", 5, ["abcde", "fghij", "kl mn"]),
    ],
)
def test_split_cue_text(text, max_chars, pieces):
    assert split_cue_text(text, max_chars) == tuple(pieces)


@pytest.mark.parametrize("max_chars", [20, 42, 84])
def test_split_cue_text_is_short_few_and_whole(max_chars):
    pieces = split_cue_text(LONG, max_chars)
    assert all(len(p) <= max_chars for p in pieces)
    assert " ".join(pieces) == LONG
    assert len(pieces) == _fewest_pieces(LONG, max_chars)


def test_a_long_sentence_prefers_a_clause_break():
    assert split_cue_text(LONG) == (
        "This is formalized as a constrained reinforcement learning problem:",
        "in addition to maximizing the received reward,",
        "agents also have to respect constraints on a safety cost function.",
    )


def test_cues_are_offset_per_segment():
    marks_a = [Mark(0, 1200, "Hello there."), Mark(1200, 2000, "Second.")]
    marks_b = [Mark(0, 900, "Next segment.")]
    assert cues_for_episode([(500, marks_a), (10_000, marks_b)]) == (
        Cue(500, 1700, "Hello there."),
        Cue(1700, 2500, "Second."),
        Cue(10_000, 10_900, "Next segment."),
    )


def test_a_long_sentence_becomes_several_cues_timed_by_characters():
    cues = cues_for_episode([(1000, [Mark(0, 17_400, LONG)])])
    assert [c.text for c in cues] == list(split_cue_text(LONG))
    assert cues[0].start_ms == 1000 and cues[-1].end_ms == 18_400
    assert all(a.end_ms == b.start_ms for a, b in itertools.pairwise(cues))
    for cue in cues:  # 100 ms per character here, spaces between cues included
        assert abs((cue.end_ms - cue.start_ms) - 100 * len(cue.text)) <= 200


def test_cues_never_overlap_and_keep_every_word():
    marks_a = [Mark(0, 3000, "Ends late."), Mark(3000, 3000, "No time at all.")]
    marks_b = [Mark(0, 500, "Starts early.")]
    cues = cues_for_episode([(0, marks_a), (2000, marks_b)])
    assert all(c.start_ms < c.end_ms for c in cues)
    assert all(a.end_ms <= b.start_ms for a, b in itertools.pairwise(cues))
    words = " ".join(c.text for c in cues)
    assert sorted(words.split()) == sorted(" ".join(m.text for m in (*marks_a, *marks_b)).split())


def test_empty_marks_give_no_cues():
    assert cues_for_episode([(0, [Mark(0, 100, "  ")]), (500, [])]) == ()
    assert webvtt(()) == "WEBVTT\n"
    assert srt(()) == ""


def test_webvtt_shape():
    cues = cues_for_episode(
        [(250, [Mark(0, 1500, "Tom & Jerry <3 -> fun"), Mark(1500, 17_400, LONG)])]
    )
    text = webvtt(cues)
    assert text.startswith("WEBVTT\n\n")
    blocks = text.strip("\n").split("\n\n")[1:]
    assert len(blocks) == len(cues)
    for block in blocks:
        timing, *lines = block.split("\n")
        assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}", timing)
        assert 1 <= len(lines) <= 2
        assert all("-->" not in line for line in lines)
    assert "Tom &amp; Jerry &lt;3 -&gt; fun" in text
    assert "00:00:00.250 --> 00:00:01.750" in text


def test_srt_shape():
    cues = (Cue(0, 1500, "One."), Cue(1500, 3_600_000 + 61_001, "Two --> three."))
    assert srt(cues) == (
        "1\n00:00:00,000 --> 00:00:01,500\nOne.\n\n"
        "2\n00:00:01,500 --> 01:01:01,001\nTwo -> three.\n"
    )


def test_long_cue_text_is_two_lines_of_similar_length():
    cue = Cue(0, 5000, split_cue_text(LONG)[1])
    lines = webvtt([cue]).split("\n")[3:5]
    assert " ".join(lines) == cue.text
    assert all(len(line) <= MAX_CUE_CHARS // 2 for line in lines)


def test_negative_times_are_refused():
    with pytest.raises(ValueError, match="negative"):
        srt([Cue(-1, 10, "x")])


# --------------------------------------------------------------------------- reading


@pytest.mark.parametrize(
    "text, cues",
    [
        ("WEBVTT\n", ()),
        ("\ufeffWEBVTT - a title\r\n\r\n00:01.000 --> 00:02.000\r\nHi\r\n", ((1000, 2000, "Hi"),)),
        (
            "WEBVTT\n\nintro\n01:00:00.001 --> 100:00:00.000\na\nb\n",
            ((3600001, 360000000, "a\nb"),),
        ),
        ("WEBVTT\nKind: captions\n\nSTYLE\n::cue {}\n\n00:00.000 --> 00:00.500\n", ((0, 500, ""),)),
    ],
)
def test_parse_vtt(text, cues):
    assert parse_vtt(text) == tuple(Cue(*c) for c in cues)


@pytest.mark.parametrize(
    "text, line",
    [
        ("WEBVTTX\n", "line 1"),
        ("", "line 1"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02\nx\n", "line 3"),
        ("WEBVTT\n\n\nid\n00:61.000 --> 01:02.000\n", "line 5"),
        ("WEBVTT\n\njust text\n", "line 3"),
    ],
)
def test_parse_vtt_rejects(text, line):
    with pytest.raises(ValueError, match=line):
        parse_vtt(text)


def test_parse_srt():
    text = (
        "1\r\n00:00:00,000 --> 00:00:01,250\r\nOne\r\n\r\n"
        "2\r\n01:00:00,000 --> 01:00:01,000\r\nTwo\r\n"
    )

    assert parse_srt(text) == (Cue(0, 1250, "One"), Cue(3_600_000, 3_601_000, "Two"))
    with pytest.raises(ValueError, match="line 2"):
        parse_srt("1\n00:00:00.000 --> 00:00:01.000\nOne\n")


def test_marks_in_the_written_words_of_the_script():
    # The lexicon respelled "Rohin", "GPT-3" and "EU"; the spoken "E. U." even ended a
    # sentence for espeak-ng. The marks keep their times and say what the script says.
    spoken = [
        Mark(0, 1000, "Roe hin tested GPT three."),
        Mark(1000, 1500, "The E."),
        Mark(1500, 1600, "U."),
        Mark(1600, 2500, "AI Act, says Roe hin, is long."),
        Mark(2500, 3000, "Done."),
    ]
    script = "Rohin tested GPT-3.\n\nThe EU AI Act, says Rohin, is long. Done."
    assert written_marks(spoken, script) == [
        Mark(0, 1000, "Rohin tested GPT-3."),
        Mark(1000, 2500, "The EU AI Act, says Rohin, is long."),
        Mark(2500, 3000, "Done."),
    ]
    # Nothing respelled: the very same marks.
    same = [Mark(0, 10, "One two."), Mark(10, 20, "Three.")]
    assert written_marks(same, "One two.\n\nThree.") == same
