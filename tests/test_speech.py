"""The espeak-ng adapter: real engine, one utterance per fresh `spawn` process."""

from __future__ import annotations

import hashlib
import multiprocessing
import re
import subprocess
import sys
import wave
from pathlib import Path

import pytest

from audio.errors import EngineError
from audio.speech import (
    EspeakSynthesizer,
    Voice,
    check_engine,
    check_speech_wav,
    engine_id,
    list_voices,
    min_speech_seconds,
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
