"""Speech: the `Synthesizer` protocol and its espeak-ng adapter, through pyttsx3 2.99.

This is the only module that imports pyttsx3, and it does so inside functions, so
importing it is cheap and works without espeak-ng. It owns: the `Voice` settings, the
`EspeakSynthesizer` (one call per fresh process, TECH-NOTES section 1), which speaks a
text, or a sequence of texts in different voices, into one WAV and reports where each
sentence starts and ends (`Mark`, from espeak-ng's own events); the check that a WAV it
wrote is plausible speech; the voice list; and the engine's identity for cache keys.

Determinism: a fresh process gives byte-identical audio (and marks) for identical texts
and voices in the same order; a reused engine does not. The caller runs each call in a
fresh `spawn` worker.
"""

from __future__ import annotations

import contextlib
import ctypes
import difflib
import functools
import io
import re
import threading
import time
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from audio.errors import EngineError, VoiceError
from audio.fsutil import TEMP_PREFIX
from audio.model import Mark

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
    return f"pyttsx3 {_pyttsx3_version()}; espeak-ng {version}"


def _pyttsx3_version() -> str:
    """pyttsx3's installed version: from the name of the one `pyttsx3-<version>.dist-info`
    folder beside the package, as pip installs it, else by importlib.metadata (importing
    which takes 10 to 20 ms of every build's start)."""
    import pyttsx3

    found = list(Path(pyttsx3.__file__).parent.parent.glob("pyttsx3-*.dist-info"))
    if len(found) == 1:
        return found[0].name.removeprefix("pyttsx3-").removesuffix(".dist-info")
    import importlib.metadata

    return importlib.metadata.version("pyttsx3")


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


def check_voice(name: str, setting: str | None = None) -> None:
    """Raise VoiceError unless espeak-ng knows the voice `name` (id, name or language).

    `setting` names the show setting the voice came from, for the message.
    """
    voices = list_voices()
    known = {v.id for v in voices} | {v.name.lower() for v in voices}
    known |= {lang.lower() for v in voices for lang in v.languages}
    base = name.split("+", 1)[0].lower()  # "gmw/en-us+f3" is a voice with a variant
    if base in known:
        return
    close = difflib.get_close_matches(base, [v.id for v in voices], n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    where = f"setting {setting!r}: " if setting else ""
    raise VoiceError(f"{where}unknown espeak-ng voice {name!r}{hint}")


# --- the engine and its events -----------------------------------------------------------

# What the hook below relies on in pyttsx3 2.99 (pinned exactly in pyproject.toml): the
# engine's `proxy._driver` is the espeak driver; its bound method `_onSynth(wav,
# numsamples, events)` is the callback it registered with `_espeak.SetSynthCallback` in
# its __init__, which appends each buffer's audio to `_data_buffer` (reset to b"" for each
# utterance) and writes that to the WAV; and `_espeak.EVENT` carries espeak-ng's `type`,
# `text_position` (1-based, in characters of the text passed to `save_to_file`) and
# `sample` (the event's offset in samples from the start of that utterance's audio;
# `audio_position` is the same in whole milliseconds). Measured with espeak-ng 1.51: a
# sentence event falls at the speech onset after the previous sentence's pause, and the
# utterance's last event is at its last sample.


@dataclass(frozen=True)
class _Event:
    """One espeak-ng event: "word" or "sentence", 1-based character position, length, sample."""

    kind: str
    text_position: int
    length: int
    sample: int


class _Recorder:
    """Sits between espeak-ng and the driver's callback and keeps the word and sentence
    events of the utterance being spoken, so their positions in the audio are known."""

    def __init__(self, lib: ModuleType) -> None:
        self._lib = lib
        self._kinds = {lib.EVENT_WORD: "word", lib.EVENT_SENTENCE: "sentence"}
        self.events: list[_Event] = []
        self.returned = threading.Event()

    def start(self) -> None:
        """Forget the previous utterance."""
        self.events = []
        self.returned.clear()

    def wrap(self, original: Callable[[Any, int, Any], int]) -> Callable[[Any, int, Any], int]:
        """A callback that records the events, then calls the driver's `original`."""
        lib = self._lib

        def callback(wav: Any, numsamples: int, events: Any) -> int:
            terminated = False
            i = 0
            while (event := events[i]).type != lib.EVENT_LIST_TERMINATED:
                if event.type in self._kinds:
                    self.events.append(
                        _Event(
                            self._kinds[event.type],
                            event.text_position,
                            event.length,
                            event.sample,
                        )
                    )
                elif event.type == lib.EVENT_MSG_TERMINATED:
                    terminated = True
                i += 1
            try:
                return original(wav, numsamples, events)
            finally:
                # Set after the driver has written the WAV and left its callback, so the
                # next utterance cannot race the end of this one (the driver ends its
                # loop after notifying "finished-utterance").
                if terminated:
                    self.returned.set()

        return callback


@dataclass(frozen=True)
class _Session:
    lib: ModuleType
    engine: Any
    driver: Any
    recorder: _Recorder


# Whether the driver gathers an utterance's audio in a bytearray (see below); the bench's
# naive baseline turns it off, to measure pyttsx3 as it comes.
GATHER_IN_PLACE = True


def _gathering_in_place(driver: Any, original: Callable[[Any, int, Any], int]) -> Callable:
    """The driver's callback `original`, made to gather the utterance's audio in place.

    The driver appends each buffer espeak-ng hands it with `self._data_buffer += ...` on
    the bytes it resets to b"" for each utterance, which copies all the audio gathered so
    far every time: quadratic, and half the synthesis time of a minute of speech (0.06 of
    0.14 s, 72 buffers). Made a bytearray before the driver sees it, the same `+=`
    appends in place, and the driver writes the same bytes to the WAV.
    """

    def callback(wav: Any, numsamples: int, events: Any) -> int:
        if type(getattr(driver, "_data_buffer", None)) is bytes:
            driver._data_buffer = bytearray(driver._data_buffer)
        return original(wav, numsamples, events)

    return callback


@functools.cache
def _engine() -> _Session:
    """This process's pyttsx3 engine, with the event recorder, kept for the process's life."""
    lib = _espeak()
    import pyttsx3

    try:
        with contextlib.redirect_stdout(io.StringIO()):
            engine = pyttsx3.init("espeak")
    except Exception as e:
        raise EngineError(f"cannot start espeak-ng: {e}") from e
    driver = getattr(getattr(engine, "proxy", None), "_driver", None)
    original = getattr(driver, "_onSynth", None)
    if original is None or not hasattr(lib, "EVENT_SENTENCE"):
        raise EngineError(
            f"pyttsx3 {_pyttsx3_version()} is not supported: pip install pyttsx3==2.99"
        )
    recorder = _Recorder(lib)
    if GATHER_IN_PLACE:
        original = _gathering_in_place(driver, original)
    # Replaces the driver's registration with one that calls it (nothing is being spoken).
    lib.SetSynthCallback(recorder.wrap(original))
    # A new proxy counts as busy, so settings would wait in pyttsx3's queue and reach
    # espeak-ng only inside runAndWait, too late for `_speak` to wait for them. Idle, the
    # proxy hands each setting to the driver at once (as after any runAndWait).
    engine.proxy.setBusy(False)
    return _Session(lib, engine, driver, recorder)


# --- synthesis -------------------------------------------------------------------------

# The longest text spoken as one utterance (about 100 s of speech). The driver as it comes
# gathers an utterance's audio with `bytes +=`, quadratic in its length (which
# `_gathering_in_place` now avoids; measured before that): 2,350 words took
# 41 s as one utterance and 6 s in 3,000-character pieces, and a 6,500-word segment did not
# finish within the timeout. 8,000 words took 18 s in 3,000-character pieces, 11 s in
# 1,500 or 800 (espeak-ng's own time is most of that).
MAX_UTTERANCE_CHARS = 1500


@dataclass(frozen=True)
class EspeakSynthesizer:
    """The espeak-ng voice, through pyttsx3: one call per fresh process.

    `synthesize` and `synthesize_parts` may be called again in the same process, but
    only the first call in a fresh process is byte-for-byte reproducible, and after a
    timeout the process should be discarded (espeak-ng may still be speaking).
    `timeout` bounds a whole call, however many utterances it takes, and only guards
    against hangs.
    """

    voice: Voice
    timeout: float = 120.0

    def synthesize(self, text: str, out: Path) -> None:
        """Write a 16-bit mono WAV of `text` spoken to `out`; EngineError on failure."""
        self.synthesize_parts(((text, self.voice),), out, gap=0.0)

    def synthesize_parts(
        self, parts: Sequence[tuple[str, Voice]], out: Path, *, gap: float = 0.35
    ) -> tuple[Mark, ...]:
        """Speak each (text, voice) of `parts` in turn into one 16-bit mono WAV at `out`.

        `gap` seconds of silence separate consecutive parts. Returns one `Mark` per
        sentence, in order, with times from the start of the WAV. Each part is spoken as
        one or more utterances of at most MAX_UTTERANCE_CHARS characters (cut between
        paragraphs, else sentences), each waited for and checked for plausibility. The
        synthesizer's own `voice` is not used. EngineError on failure, ValueError for an
        empty part.
        """
        if not parts:
            raise ValueError("nothing to synthesize: no parts")
        for n, (text, _) in enumerate(parts, start=1):
            if not text.strip():
                where = "the text" if len(parts) == 1 else f"part {n} of {len(parts)}"
                raise ValueError(f"nothing to synthesize: {where} is empty")
        if gap < 0:
            raise ValueError(f"gap must not be negative, not {gap}")
        for name in dict.fromkeys(voice.name for _, voice in parts):
            check_voice(name)
        if not out.parent.is_dir():
            raise EngineError(f"cannot write {out}: no such directory")
        out.unlink(missing_ok=True)
        deadline = time.monotonic() + self.timeout
        session = _engine()
        scratch = out.with_name(f"{TEMP_PREFIX}{out.stem}.utterance.wav")
        marks: list[Mark] = []
        try:
            with wave.open(str(out), "wb") as sink:
                sink.setnchannels(1)
                sink.setsampwidth(2)
                sink.setframerate(22050)  # replaced by the first utterance's, before writing
                written = 0  # samples
                rate_hz = 0
                for n, (text, voice) in enumerate(parts):
                    if n and gap:
                        silence = round(gap * rate_hz)
                        sink.writeframes(b"\0\0" * silence)
                        written += silence
                    for piece in split_for_speech(text):
                        events = self._speak(session, piece, voice, scratch, deadline)
                        check_speech_wav(scratch, text=piece, rate=voice.rate)
                        with wave.open(str(scratch), "rb") as w:
                            if rate_hz == 0:
                                rate_hz = w.getframerate()
                                sink.setframerate(rate_hz)
                            elif w.getframerate() != rate_hz:
                                raise EngineError(
                                    f"espeak-ng changed its sample rate to {w.getframerate()} Hz"
                                )
                            frames = w.getnframes()
                            sink.writeframes(w.readframes(frames))
                        for start, end, sentence in _sentence_spans(piece, events, frames):
                            marks.append(
                                Mark(
                                    _ms(written + start, rate_hz),
                                    _ms(written + end, rate_hz),
                                    sentence,
                                )
                            )
                        written += frames
        except BaseException:
            out.unlink(missing_ok=True)
            raise
        finally:
            scratch.unlink(missing_ok=True)
        return tuple(marks)

    def _speak(
        self, session: _Session, text: str, voice: Voice, out: Path, deadline: float
    ) -> tuple[_Event, ...]:
        """Speak one utterance into `out`, wait until it is written (or the `deadline`, a
        `time.monotonic()`); its recorded events.

        espeak-ng runs settings and texts on its own command thread. When that thread is
        still busy (loading a voice, applying a rate, finishing the previous utterance) as
        runAndWait starts, the driver's stop() sees "playing" and cancels, and the
        settings queued so far and the new text are lost: an empty WAV, or the wrong
        rate. So this waits for espeak-ng to be idle before the settings and again
        before runAndWait.
        """
        lib, engine, recorder = session.lib, session.engine, session.recorder
        out.unlink(missing_ok=True)
        done = threading.Event()
        errors: list[BaseException] = []
        tokens = [
            engine.connect("finished-utterance", lambda **_: done.set()),
            engine.connect("error", lambda exception, **_: errors.append(exception)),
        ]
        recorder.start()
        watchdog: threading.Timer | None = None
        try:
            # The driver prints "Audio saved to ..." from espeak's thread.
            with contextlib.redirect_stdout(io.StringIO()):
                finished = _wait_until_idle(lib, deadline)
                # Set all three every time: espeak keeps them between utterances, and a
                # setting lost to a cancel (above) must not carry over.
                engine.setProperty("voice", voice.name)
                engine.setProperty("rate", voice.rate)
                engine.setProperty("volume", voice.volume)
                engine.save_to_file(text, str(out))
                finished = finished and _wait_until_idle(lib, deadline)
                if finished:
                    # Returns when the WAV is written, or when the watchdog ends the loop.
                    fired = threading.Event()
                    watchdog = threading.Timer(_left(deadline), _end_loop, (session, fired))
                    watchdog.start()
                    engine.runAndWait()
                    finished = (
                        done.wait(_left(deadline))
                        and recorder.returned.wait(_left(deadline))
                        and not fired.is_set()
                    )
        except Exception as e:
            raise EngineError(f"espeak-ng failed: {e}") from e
        finally:
            if watchdog is not None:
                watchdog.cancel()
            for token in tokens:
                engine.disconnect(token)
        if errors:
            raise EngineError(f"espeak-ng failed: {errors[0]}")
        if not finished:
            raise EngineError(f"espeak-ng did not finish within {self.timeout:g} s")
        return tuple(recorder.events)


def _left(deadline: float) -> float:
    """Seconds until `deadline`, at least 0."""
    return max(0.0, deadline - time.monotonic())


def _wait_until_idle(lib: ModuleType, deadline: float) -> bool:
    """Wait until espeak-ng's command thread has nothing to do; False at the deadline."""
    while lib.IsPlaying():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.002)
    return True


def _end_loop(session: _Session, fired: threading.Event) -> None:
    """Make a runAndWait that has hung return (from the watchdog thread).

    Only the driver's loop is ended: `engine.stop()` would call espeak_Cancel, which
    deadlocked against the driver's own cancel. espeak-ng may go on speaking, so the
    process should be discarded.
    """
    fired.set()
    with contextlib.suppress(Exception):
        session.driver.endLoop()


def _ms(samples: int, rate_hz: int) -> int:
    """`samples` in whole milliseconds, rounded to the nearest."""
    return (samples * 1000 + rate_hz // 2) // rate_hz


# --- sentences and utterances ------------------------------------------------------------

_SENTENCE_END = re.compile(r"""[.!?]["')\]]*\s+$""")


def _sentence_spans(
    text: str, events: Sequence[_Event], frames: int
) -> tuple[tuple[int, int, str], ...]:
    """(start sample, end sample, sentence) of each sentence of one utterance of `text`.

    Sentences start at espeak-ng's sentence events, or, when it sent none, at the word
    events that begin a sentence (after ".", "!" or "?"). Each ends where the next starts;
    the last ends at `frames`, the utterance's length. Texts are whitespace-squashed, and
    together they are the whole of `text`.
    """
    starts = [(e.text_position - 1, e.sample) for e in events if e.kind == "sentence"]
    if not starts:
        starts = [
            (e.text_position - 1, e.sample)
            for e in events
            if e.kind == "word"
            and e.length > 0
            and (
                not text[: e.text_position - 1].strip()
                or _SENTENCE_END.search(text[: e.text_position - 1])
            )
        ]
    return _spans(text, starts, frames)


def _spans(
    text: str, starts: Sequence[tuple[int, int]], frames: int
) -> tuple[tuple[int, int, str], ...]:
    """Sentences of `text` from (character index, sample) starts: see `_sentence_spans`.

    >>> _spans("One. Two three.  Four!", [(0, 0), (5, 900), (17, 2000)], 3000)
    ((0, 900, 'One.'), (900, 2000, 'Two three.'), (2000, 3000, 'Four!'))
    >>> _spans("One. Two.", [], 500)
    ((0, 500, 'One. Two.'),)
    """
    cuts: list[tuple[int, int]] = []
    for index, sample in sorted(starts, key=lambda s: (s[1], s[0])):
        index = min(max(index, 0), len(text))
        if cuts and index <= cuts[-1][0]:
            continue  # not after the previous start: the same sentence
        cuts.append((index, min(max(sample, 0), frames)))
    if not cuts:
        cuts = [(0, 0)]
    elif cuts[0][0] > 0:
        cuts[0] = (0, cuts[0][1])  # text before the first event goes with the first sentence
    spans: list[tuple[int, int, str]] = []
    for k, (index, sample) in enumerate(cuts):
        following = cuts[k + 1] if k + 1 < len(cuts) else (len(text), frames)
        sentence = " ".join(text[index : following[0]].split())
        if not sentence:
            if spans:  # only whitespace: the previous sentence lasts until the next
                start, _, previous = spans.pop()
                spans.append((start, max(following[1], start), previous))
            continue
        if spans and sample <= spans[-1][0]:
            # No time of its own: join it to the previous sentence.
            start, _, previous = spans.pop()
            spans.append((start, max(following[1], start), f"{previous} {sentence}"))
            continue
        spans.append((sample, max(following[1], sample), sentence))
    return tuple(spans)


def split_for_speech(text: str, limit: int = MAX_UTTERANCE_CHARS) -> tuple[str, ...]:
    """`text` cut into utterances of at most `limit` characters where possible.

    Cuts fall between paragraphs where they can, else between sentences, else between
    words (a single longer word stays whole). Paragraphs stay separated by a blank line.

    >>> split_for_speech("One two.\\n\\nThree four. Five six.", limit=12)
    ('One two.', 'Three four.', 'Five six.')
    >>> split_for_speech("One two.\\n\\nThree.", limit=100)
    ('One two.\\n\\nThree.',)
    >>> split_for_speech("aaaa bbbb cccc", limit=9)
    ('aaaa bbbb', 'cccc')
    """
    pieces: list[str] = []
    current = ""
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        for k, unit in enumerate(_units(paragraph.strip(), limit)):
            separator = " " if k else "\n\n"
            joined = f"{current}{separator}{unit}" if current else unit
            if len(joined) <= limit or not current:
                current = joined
            else:
                pieces.append(current)
                current = unit
    if current:
        pieces.append(current)
    return tuple(pieces)


def _units(paragraph: str, limit: int) -> list[str]:
    """The paragraph whole, or its sentences, or runs of words, each within `limit`."""
    if len(paragraph) <= limit:
        return [paragraph]
    units: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", paragraph):
        if len(sentence) <= limit:
            units.append(sentence)
            continue
        run = ""
        for word in sentence.split():
            if run and len(run) + 1 + len(word) > limit:
                units.append(run)
                run = word
            else:
                run = f"{run} {word}" if run else word
        if run:
            units.append(run)
    return units


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
