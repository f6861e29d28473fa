"""The espeak-ng adapter: real engine, one call per fresh `spawn` process."""

from __future__ import annotations

import array
import hashlib
import itertools
import multiprocessing
import re
import subprocess
import sys
import wave
from collections.abc import Sequence
from pathlib import Path

import pytest

from audio.errors import EngineError
from audio.script import voice_parts
from audio.speech import (
    MAX_UTTERANCE_CHARS,
    EspeakSynthesizer,
    Mark,
    Voice,
    _Event,
    _gathering_in_place,
    _pyttsx3_version,
    _sentence_spans,
    check_engine,
    check_speech_wav,
    engine_id,
    list_voices,
    min_speech_seconds,
    split_for_speech,
)

TWO_PARAGRAPHS = (
    "This week we look at three papers on interpretability, and one blog post about "
    "how reward models generalize.\n\n"
    "The first paper argues that adversarial examples are not bugs. They are features "
    "that the model relies on, and that humans cannot see."
)
HANG_GUARD = 60  # seconds; only against a hung worker, never a speed limit
DEFAULT = Voice()


def speak(text: str, out: Path, voice: Voice) -> None:
    """Run in a fresh process: what the pipeline's pool workers do."""
    EspeakSynthesizer(voice, timeout=HANG_GUARD).synthesize(text, out)


def speak_in_fresh_process(text: str, out: Path, voice: Voice = DEFAULT) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(1, maxtasksperchild=1) as pool:
        pool.apply_async(speak, (text, out, voice)).get(timeout=HANG_GUARD)


def speak_parts(
    parts: Sequence[tuple[str, Voice]], out: Path, gap: float, guard: float
) -> tuple[Mark, ...]:
    """Run in a fresh process: several voices into one WAV."""
    return EspeakSynthesizer(DEFAULT, timeout=guard).synthesize_parts(parts, out, gap=gap)


def speak_parts_in_fresh_process(
    parts: Sequence[tuple[str, Voice]], out: Path, gap: float = 0.35, guard: float = HANG_GUARD
) -> tuple[Mark, ...]:
    context = multiprocessing.get_context("spawn")
    with context.Pool(1, maxtasksperchild=1) as pool:
        return pool.apply_async(speak_parts, (parts, out, gap, guard)).get(timeout=guard + 10)


def wav_info(path: Path) -> tuple[int, int, float]:
    with wave.open(str(path)) as w:
        return w.getnchannels(), w.getsampwidth(), w.getnframes() / w.getframerate()


def write_wav(path: Path, seconds: float, *, channels: int = 1, width: int = 2) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(22050)
        w.writeframes(b"\0" * round(seconds * 22050) * channels * width)
    return path


def test_two_paragraphs_give_a_plausible_wav(tmp_path):
    out = tmp_path / "speech.wav"
    speak_in_fresh_process(TWO_PARAGRAPHS, out, Voice(rate=170))
    channels, width, seconds = wav_info(out)
    assert (channels, width) == (1, 2)
    words = len(TWO_PARAGRAPHS.split())
    expected = words / 170 * 60  # espeak speaks plain prose at about its nominal rate
    assert 0.6 * expected < seconds < 1.8 * expected


def test_same_text_in_two_fresh_processes_gives_identical_wavs(tmp_path):
    first, second = tmp_path / "a.wav", tmp_path / "b.wav"
    speak_in_fresh_process(TWO_PARAGRAPHS, first)
    speak_in_fresh_process(TWO_PARAGRAPHS, second)
    assert (
        hashlib.sha256(first.read_bytes()).digest() == hashlib.sha256(second.read_bytes()).digest()
    )


def test_rate_changes_the_length(tmp_path):
    slow, fast = tmp_path / "slow.wav", tmp_path / "fast.wav"
    speak_in_fresh_process(TWO_PARAGRAPHS, slow, Voice(rate=120))
    speak_in_fresh_process(TWO_PARAGRAPHS, fast, Voice(rate=240))
    assert wav_info(slow)[2] > 1.5 * wav_info(fast)[2]


def test_unknown_voice_is_named_with_close_matches(tmp_path):
    with pytest.raises(EngineError, match=r"unknown espeak-ng voice 'gmw/en-uss'.*gmw/en-us"):
        speak_in_fresh_process("Hello there.", tmp_path / "x.wav", Voice(name="gmw/en-uss"))
    assert not (tmp_path / "x.wav").exists()


def test_worker_stdout_stays_clean(tmp_path, capfd):
    speak_in_fresh_process("Hello there, listener.", tmp_path / "hello.wav")
    out, _ = capfd.readouterr()
    assert "Audio saved" not in out
    assert out == ""


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_text_is_a_value_error(tmp_path, text):
    with pytest.raises(ValueError, match="empty"):
        EspeakSynthesizer(Voice()).synthesize(text, tmp_path / "x.wav")


@pytest.mark.parametrize(
    "text, rate, least",
    [
        ("Hello world.", 170, 0.0),  # under MIN_WORDS: not checked
        ("one two three four five six", 170, 0.25 * 22 / (5.5 * 170) * 60),
        ("one two three four five six", 85, 0.25 * 22 / (5.5 * 85) * 60),
        ("- - - - - - - -", 170, 0.0),  # punctuation is not words
    ],
)
def test_min_speech_seconds(text, rate, least):
    assert min_speech_seconds(text, rate) == pytest.approx(least)


def test_check_speech_wav_accepts_plausible_audio(tmp_path):
    text = "This sentence has exactly eight words in it."
    least = min_speech_seconds(text, 170)
    assert check_speech_wav(write_wav(tmp_path / "ok.wav", least + 0.01), text=text, rate=170) > 0
    assert check_speech_wav(write_wav(tmp_path / "hi.wav", 0.01), text="Hi.", rate=170) > 0


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: write_wav(p, 0.2), "0.20 s of audio for 8 words; expected at least 0.58 s"),
        (lambda p: write_wav(p, 0.0), "empty WAV"),
        (lambda p: write_wav(p, 3.0, channels=2), "2-channel 16-bit"),
        (lambda p: write_wav(p, 3.0, width=1), "1-channel 8-bit"),
        (lambda p: p.write_bytes(b"RIFF....WAVEfmt junk"), "invalid WAV"),
        (lambda p: None, "wrote no file"),
    ],
    ids=["too-short", "empty", "stereo", "8-bit", "junk", "missing"],
)
def test_check_speech_wav_rejects(tmp_path, make, message):
    path = tmp_path / "speech.wav"
    make(path)
    with pytest.raises(EngineError, match=re.escape(message)):
        check_speech_wav(path, text="This sentence has exactly eight words in it.", rate=170)


def test_engine_id_names_both_versions():
    assert re.fullmatch(r"pyttsx3 2\.99; espeak-ng \d+\.\d+[\w.-]*", engine_id())


def test_the_pyttsx3_version_is_the_one_importlib_metadata_reads():
    import importlib.metadata

    assert _pyttsx3_version() == importlib.metadata.version("pyttsx3")


def test_list_voices():
    voices = list_voices()
    assert [v.id for v in voices] == sorted(v.id for v in voices)
    us = next(v for v in voices if v.id == "gmw/en-us")
    assert us.name == "English (America)" and "en-us" in us.languages
    assert us.gender in ("male", "female", None)


def test_check_engine_passes_when_installed():
    check_engine()


def test_check_engine_without_espeak(monkeypatch):
    import pyttsx3.drivers

    monkeypatch.delattr(pyttsx3.drivers, "_espeak", raising=False)
    monkeypatch.setitem(sys.modules, "pyttsx3.drivers._espeak", None)
    with pytest.raises(
        EngineError, match=r"espeak-ng is not installed: .*apt-get install espeak-ng"
    ):
        check_engine()


def test_importing_speech_does_not_load_pyttsx3():
    code = "import sys, audio.speech; print('pyttsx3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- two voices, sentence marks --------------------------------------------------------

NARRATOR = Voice("gmw/en-us", 170)
OPINION = Voice("gmw/en-us+f3", 170)
THREE_PARTS = (
    (
        "Safety Gym, by Alex Ray and colleagues. Summarized by Flo.\n\n"
        "The paper introduces a benchmark. It has three tasks!",
        NARRATOR,
    ),
    ("Rohin's opinion: I am quite excited about this. Is it useful? Probably.", OPINION),
    ("Next item, by Someone. It is short.", NARRATOR),
)
SENTENCES = (
    "Safety Gym, by Alex Ray and colleagues.",
    "Summarized by Flo.",
    "The paper introduces a benchmark.",
    "It has three tasks!",
    "Rohin's opinion: I am quite excited about this.",
    "Is it useful?",
    "Probably.",
    "Next item, by Someone.",
    "It is short.",
)
GAP = 0.35


def pcm(path: Path) -> tuple[array.array, int]:
    with wave.open(str(path)) as w:
        return array.array("h", w.readframes(w.getnframes())), w.getframerate()


def peak(samples: array.array, rate: int, start_ms: int, end_ms: int) -> int:
    window = samples[max(0, start_ms * rate // 1000) : max(0, end_ms * rate // 1000)]
    return max((abs(x) for x in window), default=0)


@pytest.fixture(scope="module")
def three_parts(tmp_path_factory) -> tuple[Path, tuple[Mark, ...]]:
    out = tmp_path_factory.mktemp("parts") / "parts.wav"
    return out, speak_parts_in_fresh_process(THREE_PARTS, out)


def test_two_voices_give_one_mark_per_sentence_in_order(three_parts):
    out, marks = three_parts
    assert tuple(m.text for m in marks) == SENTENCES
    assert all(m.start_ms < m.end_ms for m in marks)
    assert all(a.end_ms <= b.start_ms for a, b in itertools.pairwise(marks))
    assert marks[0].start_ms == 0
    assert marks[-1].end_ms == round(wav_info(out)[2] * 1000)


def test_parts_are_separated_by_the_gap(three_parts):
    _, marks = three_parts
    for last, first in ((marks[3], marks[4]), (marks[6], marks[7])):
        assert abs(first.start_ms - last.end_ms - GAP * 1000) <= 1  # whole milliseconds
    within = [b.start_ms - a.end_ms for a, b in itertools.pairwise(marks[:4])]
    assert within == [0, 0, 0]


def test_marks_start_where_speech_starts(three_parts):
    """Measured: every sentence's sound begins within 50 ms of its mark (a stop consonant's
    closure is silent), after a pause."""
    out, marks = three_parts
    samples, rate = pcm(out)
    for mark in marks:
        assert peak(samples, rate, mark.start_ms, mark.start_ms + 80) > 1000, mark
        if mark.start_ms:
            # Marks are rounded to whole milliseconds: the last one before may be sound.
            assert peak(samples, rate, mark.start_ms - 60, mark.start_ms - 1) < 300, mark
    assert peak(samples, rate, marks[-1].end_ms - 60, marks[-1].end_ms) < 300


def test_same_parts_in_two_fresh_processes_give_identical_wavs_and_marks(tmp_path, three_parts):
    first_wav, first_marks = three_parts
    second_wav = tmp_path / "again.wav"
    second_marks = speak_parts_in_fresh_process(THREE_PARTS, second_wav)
    assert first_marks == second_marks
    assert first_wav.read_bytes() == second_wav.read_bytes()


def test_each_part_is_spoken_at_its_own_rate(tmp_path):
    text = "The first paper argues that adversarial examples are not bugs. They are features."
    slow, fast = Voice(rate=120), Voice("gmw/en-us+f3", rate=240)
    marks = speak_parts_in_fresh_process(
        [(text, slow), (text, fast), (text, slow)], tmp_path / "rates.wav", gap=0.5
    )
    assert len(marks) == 6
    spans = [marks[k + 1].end_ms - marks[k].start_ms for k in (0, 2, 4)]
    assert spans[0] > 1.6 * spans[1] and spans[2] > 1.6 * spans[1]
    assert abs(spans[0] - spans[2]) < 0.05 * spans[0]


def test_one_part_call_is_the_single_utterance_wav(tmp_path):
    single, parts = tmp_path / "single.wav", tmp_path / "parts.wav"
    speak_in_fresh_process(TWO_PARAGRAPHS, single)
    marks = speak_parts_in_fresh_process([(TWO_PARAGRAPHS, DEFAULT)], parts)
    assert single.read_bytes() == parts.read_bytes()
    assert len(marks) == 3


class _Driver:
    """Gathers audio as pyttsx3's espeak driver does: `+=` on bytes reset per utterance."""

    def __init__(self) -> None:
        self._data_buffer = b""

    def _onSynth(self, wav: bytes, numsamples: int, events: object) -> int:
        self._data_buffer += wav[: 2 * numsamples]
        return 7


def test_gathering_in_place_appends_to_one_bytearray_per_utterance():
    driver = _Driver()
    callback = _gathering_in_place(driver, driver._onSynth)
    assert callback(b"abcd", 2, None) == 7
    gathered = driver._data_buffer
    assert isinstance(gathered, bytearray)
    callback(b"efgh", 1, None)
    assert driver._data_buffer is gathered
    assert gathered == b"abcdef"
    driver._data_buffer = b""  # the driver's start of the next utterance
    callback(b"ijkl", 2, None)
    assert driver._data_buffer == b"ijkl"
    assert driver._data_buffer is not gathered


def speak_as_pyttsx3_gathers(text: str, out: Path, in_place: bool) -> tuple[Mark, ...]:
    """Run in a fresh process: speak with or without `_gathering_in_place`."""
    from audio import speech

    speech.GATHER_IN_PLACE = in_place
    return EspeakSynthesizer(DEFAULT, timeout=HANG_GUARD).synthesize_parts(((text, DEFAULT),), out)


def test_gathering_in_place_gives_the_drivers_own_bytes(tmp_path):
    # One utterance of over a minute: espeak-ng hands it over in some 70 buffers.
    text = _long_text(180)[0].replace("\n\n", " ")
    assert len(split_for_speech(text)) == 1
    context = multiprocessing.get_context("spawn")
    results = {}
    for in_place in (True, False):
        out = tmp_path / f"{in_place}.wav"
        with context.Pool(1, maxtasksperchild=1) as pool:
            job = pool.apply_async(speak_as_pyttsx3_gathers, (text, out, in_place))
            marks = job.get(HANG_GUARD + 10)
        results[in_place] = (out.read_bytes(), marks)
    assert wav_info(tmp_path / "True.wav")[2] > 50
    assert results[True] == results[False]


def _long_text(words: int) -> tuple[str, int]:
    vocabulary = ("agents", "learn", "reward", "models", "from", "human", "feedback")
    vocabulary += ("while", "research", "studies", "robustness", "and", "oversight")
    cycle = itertools.cycle(vocabulary)
    paragraphs, sentences, count = [], [], 0
    while count < words:
        length = 8 + len(sentences) % 7
        sentence = " ".join(next(cycle) for _ in range(length))
        sentences.append(sentence[0].upper() + sentence[1:] + ".")
        count += length
    for k in range(0, len(sentences), 9):
        paragraphs.append(" ".join(sentences[k : k + 9]))
    return "\n\n".join(paragraphs), len(sentences)


def test_a_long_text_is_spoken_in_pieces_and_finishes(tmp_path):
    text, sentences = _long_text(8000)
    assert len(split_for_speech(text)) > 20
    out = tmp_path / "long.wav"
    marks = speak_parts_in_fresh_process([(text, DEFAULT)], out, guard=600)
    seconds = wav_info(out)[2]
    assert 0.6 * 8000 / 170 * 60 < seconds < 1.8 * 8000 / 170 * 60
    assert len(marks) == sentences
    assert marks[-1].end_ms == round(seconds * 1000)


@pytest.mark.parametrize(
    "parts, message",
    [
        ([], "no parts"),
        ([("Hello.", DEFAULT), (" \n", DEFAULT)], "part 2 of 2 is empty"),
    ],
)
def test_synthesize_parts_rejects_empty_input(tmp_path, parts, message):
    with pytest.raises(ValueError, match=message):
        EspeakSynthesizer(DEFAULT).synthesize_parts(parts, tmp_path / "x.wav")


def test_synthesize_parts_rejects_a_negative_gap(tmp_path):
    with pytest.raises(ValueError, match="gap"):
        EspeakSynthesizer(DEFAULT).synthesize_parts([("Hi.", DEFAULT)], tmp_path / "x", gap=-1)


def test_synthesize_parts_names_an_unknown_voice(tmp_path):
    parts = [("Hello.", DEFAULT), ("Hi.", Voice("gmw/en-uss"))]
    with pytest.raises(EngineError, match="unknown espeak-ng voice 'gmw/en-uss'"):
        EspeakSynthesizer(DEFAULT).synthesize_parts(parts, tmp_path / "x.wav")


# --- sentences from events, utterances -------------------------------------------------

TEXT = "One two. Three four!  Five?"


def sentence(position: int, sample: int) -> _Event:
    return _Event("sentence", position, 0, sample)


def word(position: int, length: int, sample: int) -> _Event:
    return _Event("word", position, length, sample)


@pytest.mark.parametrize(
    "events, spans",
    [
        (
            [
                *(sentence(1, 0), word(1, 3, 0), sentence(10, 900), word(10, 5, 900)),
                *(sentence(23, 1500), word(23, 4, 1500)),
            ],
            [(0, 900, "One two."), (900, 1500, "Three four!"), (1500, 2000, "Five?")],
        ),
        (  # no sentence events: words that start a sentence
            [
                *(word(1, 3, 0), word(5, 3, 400), word(10, 5, 900)),
                *(word(16, 4, 1200), word(23, 4, 1500)),
            ],
            [(0, 900, "One two."), (900, 1500, "Three four!"), (1500, 2000, "Five?")],
        ),
        ([], [(0, 2000, "One two. Three four! Five?")]),
        (  # two events at one sample: one sentence
            [sentence(1, 0), sentence(10, 0)],
            [(0, 2000, "One two. Three four! Five?")],
        ),
        (  # an event before the text's first character
            [sentence(0, 0), sentence(23, 1500)],
            [(0, 1500, "One two. Three four!"), (1500, 2000, "Five?")],
        ),
    ],
    ids=["sentence-events", "word-events", "no-events", "same-sample", "position-zero"],
)
def test_sentence_spans(events, spans):
    assert _sentence_spans(TEXT, events, 2000) == tuple(spans)


def test_split_for_speech_keeps_pieces_short_and_the_text_whole():
    text, _ = _long_text(3000)
    text += "\n\n" + " ".join(["Word"] * 1000) + "."  # a sentence longer than the limit
    pieces = split_for_speech(text)
    assert all(len(p) <= MAX_UTTERANCE_CHARS for p in pieces)
    assert " ".join(" ".join(pieces).split()) == " ".join(text.split())
    assert split_for_speech("Short.") == ("Short.",)


# --- voice_parts (script.py) -----------------------------------------------------------


@pytest.mark.parametrize(
    "script, parts",
    [
        ("Only narration.\n\nMore.", [("narrator", "Only narration.\n\nMore.")]),
        ("Rohin's opinion: Good.", [("opinion", "Rohin's opinion: Good.")]),
        ("Rohin’s opinion: curly.", [("opinion", "Rohin’s opinion: curly.")]),
        ("Dan H's opinion: two words.", [("opinion", "Dan H's opinion: two words.")]),
        ("Rohin's and Flo's opinion: x.", [("opinion", "Rohin's and Flo's opinion: x.")]),
        ("Rohin and Flo's opinion: x.", [("opinion", "Rohin and Flo's opinion: x.")]),
        (
            "A.\n\nRohin's opinion: x.\n\nFlo's opinion: y.\n\nNext item.",
            [
                ("narrator", "A."),
                ("opinion", "Rohin's opinion: x.\n\nFlo's opinion: y."),
                ("narrator", "Next item."),
            ],
        ),
        ("In my opinion: no.", [("narrator", "In my opinion: no.")]),
        ("Rohin's opinion is here.", [("narrator", "Rohin's opinion is here.")]),
        ("It was Rohin's opinion: no.", [("narrator", "It was Rohin's opinion: no.")]),
        ("  A.  \n \n\n  B.\n", [("narrator", "A.\n\nB.")]),
        ("", []),
    ],
)
def test_voice_parts(script, parts):
    assert voice_parts(script) == tuple(parts)


def speak_with_timeout(text: str, out: Path, timeout: float) -> None:
    EspeakSynthesizer(DEFAULT, timeout=timeout).synthesize(text, out)


def test_a_call_that_does_not_finish_in_time_is_an_engine_error(tmp_path):
    """The watchdog ends pyttsx3's loop (which otherwise waits for espeak-ng forever)."""
    text, _ = _long_text(200)
    context = multiprocessing.get_context("spawn")
    with (
        context.Pool(1, maxtasksperchild=1) as pool,
        pytest.raises(EngineError, match=re.escape("did not finish within 0.001 s")),
    ):
        pool.apply_async(speak_with_timeout, (text, tmp_path / "x.wav", 0.001)).get(HANG_GUARD)
    assert not (tmp_path / "x.wav").exists()
