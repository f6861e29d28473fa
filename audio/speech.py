"""Speech: the `Synthesizer` protocol and its espeak-ng adapter, through pyttsx3 2.99.

This is the only module that imports pyttsx3, and it does so inside functions, so
importing it is cheap and works without espeak-ng. It owns: the `Voice` settings, the
`EspeakSynthesizer` (one utterance per fresh process, TECH-NOTES section 1), the check
that a WAV it wrote is plausible speech, the voice list, and the engine's identity for
cache keys.

Determinism: a fresh process gives byte-identical audio for identical text and voice; a
reused engine does not. The caller runs each utterance in a fresh `spawn` worker.
"""

from __future__ import annotations

import contextlib
import ctypes
import difflib
import functools
import importlib.metadata
import io
import threading
import wave
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from audio.errors import EngineError

INSTALL_HINT = "sudo apt-get install espeak-ng"

# Plausibility of a WAV's length. espeak-ng's "words per minute" corresponds to about
# 5.5 letters or digits per word: for plain prose at 80-450 wpm the audio measured 1.08 to
# 1.14 times letters / (5.5 * rate) minutes, and every other text measured (numbers,
# acronyms, URLs, short words, consonant clusters, Greek, CJK) came out longer (up to 11
# times). Counting words instead is not safe: "a I a I ..." measured 0.22 times
# words / rate. So a WAV shorter than a quarter of the letter-based estimate is
# rejected: over 4 times below anything measured, and far above a truncated or empty
# file. Texts of fewer than MIN_WORDS words are only checked for being non-empty.
LETTERS_PER_WORD = 5.5
MIN_FRACTION = 0.25
MIN_WORDS = 5


@dataclass(frozen=True)
class Voice:
    """How to speak: an espeak-ng voice id, words per minute, and volume (0..1)."""

    name: str = "gmw/en-us"
    rate: int = 170
    volume: float = 1.0


@dataclass(frozen=True)
class VoiceInfo:
    """One voice the engine offers; `id` is what `Voice.name` takes."""

    id: str
    name: str
    languages: tuple[str, ...]
    gender: str | None


class Synthesizer(Protocol):
    """Something that speaks text into a WAV file."""

    def synthesize(self, text: str, out: Path) -> None:
        """Write a 16-bit mono WAV of `text` spoken to `out`."""


# --- the engine -----------------------------------------------------------------------


def _espeak() -> ModuleType:
    """pyttsx3's ctypes binding of the espeak-ng library; EngineError when missing."""
    try:
        from pyttsx3.drivers import _espeak
    except ImportError as e:
        if getattr(e, "name", None) == "pyttsx3":
            raise EngineError("pyttsx3 is not installed: pip install pyttsx3==2.99") from e
        raise EngineError(f"espeak-ng is not installed: {INSTALL_HINT}") from e
    except (OSError, RuntimeError) as e:
        raise EngineError(f"espeak-ng is not installed: {INSTALL_HINT}") from e
    return _espeak


def check_engine() -> None:
    """Raise EngineError when pyttsx3 cannot load the espeak-ng library."""
    _espeak()


@functools.cache
def engine_id() -> str:
    """The engine and its version, for cache keys: "pyttsx3 2.99; espeak-ng 1.51"."""
    lib = _espeak()
    version = (lib.Info(None) or b"unknown").decode("ascii", "replace").split()[0]
    return f"pyttsx3 {importlib.metadata.version('pyttsx3')}; espeak-ng {version}"


@functools.cache
def list_voices() -> tuple[VoiceInfo, ...]:
    """The voices espeak-ng offers, sorted by id."""
    lib = _espeak()
    # Point the library at its data without espeak_Initialize, which starts a thread
    # (fork after that hangs) and may only happen once per process.
    init_path = getattr(lib.dll, "espeak_ng_InitializePath", None)
    if init_path is not None:
        init_path(None)
    voices = (_voice_info(lib, v) for v in lib.ListVoices(None))
    return tuple(sorted(voices, key=lambda v: v.id))


def _voice_info(lib: ModuleType, voice: Any) -> VoiceInfo:
    # pyttsx3 reads `languages` as a C string, which stops after the first language.
    address = ctypes.c_void_p.from_address(
        ctypes.addressof(voice) + lib.VOICE.languages.offset
    ).value
    return VoiceInfo(
        id=voice.identifier.decode("utf-8").lower(),
        name=voice.name.decode("utf-8"),
        languages=_languages(address),
        gender={1: "male", 2: "female"}.get(voice.gender),
    )


def _languages(address: int | None) -> tuple[str, ...]:
    """espeak's language list: (priority byte, NUL-terminated name) pairs, ended by 0."""
    languages = []
    while address and ctypes.c_ubyte.from_address(address).value:
        name = ctypes.string_at(address + 1)
        languages.append(name.decode("utf-8", "replace"))
        address += len(name) + 2
    return tuple(languages)


def _check_voice(name: str) -> None:
    """Raise EngineError unless espeak-ng knows the voice `name` (id, name or language)."""
    voices = list_voices()
    known = {v.id for v in voices} | {v.name.lower() for v in voices}
    known |= {lang.lower() for v in voices for lang in v.languages}
    base = name.split("+", 1)[0].lower()  # "gmw/en-us+f3" is a voice with a variant
    if base in known:
        return
    close = difflib.get_close_matches(base, [v.id for v in voices], n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise EngineError(f"unknown espeak-ng voice {name!r}{hint}")


@functools.cache
def _engine() -> Any:
    """This process's pyttsx3 engine, kept alive for the life of the process."""
    _espeak()
    import pyttsx3

    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return pyttsx3.init("espeak")
    except Exception as e:
        raise EngineError(f"cannot start espeak-ng: {e}") from e


# --- synthesis -------------------------------------------------------------------------


@dataclass(frozen=True)
class EspeakSynthesizer:
    """The espeak-ng voice, through pyttsx3: one utterance per fresh process.

    `synthesize` may be called again in the same process, but only the first call in a
    fresh process is byte-for-byte reproducible, and after a timeout the process should
    be discarded (espeak-ng may still be speaking). `timeout` only guards against hangs.
    """

    voice: Voice
    timeout: float = 120.0

    def synthesize(self, text: str, out: Path) -> None:
        """Write a 16-bit mono WAV of `text` spoken to `out`; EngineError on failure."""
        if not text.strip():
            raise ValueError("nothing to synthesize: the text is empty")
        _check_voice(self.voice.name)
        if not out.parent.is_dir():
            raise EngineError(f"cannot write {out}: no such directory")
        out.unlink(missing_ok=True)
        self._speak(_engine(), text, out)
        check_speech_wav(out, text=text, rate=self.voice.rate)

    def _speak(self, engine: Any, text: str, out: Path) -> None:
        """Queue the settings and the utterance, then wait until the WAV is written."""
        done = threading.Event()
        errors: list[BaseException] = []
        tokens = [
            engine.connect("finished-utterance", lambda **_: done.set()),
            engine.connect("error", lambda exception, **_: errors.append(exception)),
        ]
        try:
            # The driver prints "Audio saved to ..." from espeak's thread.
            with contextlib.redirect_stdout(io.StringIO()):
                # Queued, and applied in this order when the loop starts. Set all three
                # every time: the rate the driver sets in its __init__ is sometimes lost.
                engine.setProperty("voice", self.voice.name)
                engine.setProperty("rate", self.voice.rate)
                engine.setProperty("volume", self.voice.volume)
                engine.save_to_file(text, str(out))
                # Returns as soon as synthesis has started, often before it ends.
                engine.runAndWait()
                finished = done.wait(self.timeout)
        except Exception as e:
            raise EngineError(f"espeak-ng failed: {e}") from e
        finally:
            for token in tokens:
                engine.disconnect(token)
        if errors:
            raise EngineError(f"espeak-ng failed: {errors[0]}")
        if not finished:
            raise EngineError(f"espeak-ng did not finish within {self.timeout:g} s")


# --- checking the result ---------------------------------------------------------------


def min_speech_seconds(text: str, rate: int) -> float:
    """The shortest plausible duration of `text` spoken at `rate` words per minute.

    0 for texts of fewer than MIN_WORDS words (see the notes on LETTERS_PER_WORD).

    >>> round(min_speech_seconds("one two three four five six", 170), 3)
    0.353
    >>> min_speech_seconds("Hello world.", 170)
    0.0
    """
    words = [w for w in text.split() if any(c.isalnum() for c in w)]
    if len(words) < MIN_WORDS:
        return 0.0
    letters = sum(c.isalnum() for c in text)
    return MIN_FRACTION * letters / (LETTERS_PER_WORD * rate) * 60


def check_speech_wav(path: Path, *, text: str, rate: int) -> float:
    """Check that `path` is a non-empty 16-bit mono WAV long enough to be `text`.

    Returns its duration in seconds; raises EngineError with a one-line reason.
    """
    if not path.is_file():
        raise EngineError(f"espeak-ng wrote no file {path.name}")
    try:
        with wave.open(str(path), "rb") as w:
            channels, width, rate_hz, frames = (
                w.getnchannels(),
                w.getsampwidth(),
                w.getframerate(),
                w.getnframes(),
            )
    except (wave.Error, EOFError, OSError) as e:
        raise EngineError(f"espeak-ng wrote an invalid WAV {path.name}: {e}") from e
    if (channels, width) != (1, 2):
        raise EngineError(
            f"espeak-ng wrote {channels}-channel {8 * width}-bit audio, expected 16-bit mono"
        )
    if frames == 0 or rate_hz == 0:
        raise EngineError("espeak-ng wrote an empty WAV")
    seconds = frames / rate_hz
    least = min_speech_seconds(text, rate)
    if seconds < least:
        raise EngineError(
            f"espeak-ng wrote {seconds:.2f} s of audio for {len(text.split())} words; "
            f"expected at least {least:.2f} s"
        )
    return seconds
