"""Stitch: per-segment audio and MP3 frames.

This module owns the episode's audio format. Each segment is encoded on its own into
CBR MP3 frames, mono, with no ID3 tag and no Xing/Info frame (`encode_segment`), at
the show's `output_rate`: 22.05 kHz for speech, 44.1 kHz with music. An episode is
those parts joined byte for byte (`join_parts`); chapters.py then adds one ID3 tag.
Because every part starts with a fresh bit reservoir, one segment can be re-rendered
without re-encoding the others (TECH-NOTES section 6).

Times come from counting frames (`scan_frames`), never from PCM lengths: LAME adds
encoder delay and padding to each part. `frames_to_ms` is the one place a frame count
becomes milliseconds.

Loudness: by default `encode_segment` normalizes each segment on its own (audio.loudness:
gain and a look-ahead limiter, deterministic) so that the decoded MP3 measures -16 LUFS
with true peak <= -1 dBTP; `mp3_headroom` holds the margins the MP3 coder needs. It does
so a chunk at a time (`normalize_stream`, one LAME encoder fed chunk by chunk, the
check decoded in chunks), so its memory does not grow with the segment. It can
also put the section chime into a segment's lead, and intro or outro music around it
(`load_music`).

pydub, lameenc, soundfile, numpy and audio.loudness are imported inside the functions
that use them, so the frame arithmetic here needs only the standard library.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from audio.errors import ConfigError, EngineError

if TYPE_CHECKING:
    import lameenc
    import numpy as np
    import soundfile

# The episode's sample rate (`output_rate`). espeak-ng speaks at 22.05 kHz, so speech
# is encoded at that rate (MPEG-2 Layer III): there is nothing above 11 kHz to keep,
# LAME does less than half the work of 44.1 kHz, and at 64 kbit/s the decoded MP3 is
# closer to espeak-ng's own samples (signal to error 22.8 dB, against 13.9 dB at
# 44.1 kHz, on 137 s of speech). A show with intro or outro music, or a bit rate over
# MPEG-2's top of 160 kbit/s, is encoded at 44.1 kHz (MPEG-1), which keeps the music's
# treble. A frame lasts 576 / 22050 = 1152 / 44100 s either way.
SPEECH_RATE = 22050
MUSIC_RATE = 44100
FRAME_SECONDS = 1152 / MUSIC_RATE  # = 576 / SPEECH_RATE
_MPEG2_TOP_BITRATE = 160

# Bit rates a show can choose, in kbit/s (the same list as config.py): MPEG-1 Layer
# III's; up to 160 they are MPEG-2's as well.
_MPEG1_BITRATES = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)


def output_rate(bitrate: int, *, music: bool) -> int:
    """The sample rate (Hz) of a show's episodes: SPEECH_RATE, or MUSIC_RATE when the
    show has music or a bit rate that MPEG-2 does not have.

    >>> output_rate(64, music=False), output_rate(64, music=True), output_rate(192, music=False)
    (22050, 44100, 44100)
    """
    return MUSIC_RATE if music or bitrate > _MPEG2_TOP_BITRATE else SPEECH_RATE


def samples_per_frame(rate: int) -> int:
    """Samples in one Layer III frame at `rate`: 1152 (MPEG-1), 576 (MPEG-2)."""
    return 1152 if rate >= 32000 else 576


# --- encoding --------------------------------------------------------------------------


# Per bit rate (up to and including the first number, in kbit/s): the loudness boost in
# LU and the true-peak ceiling in dBTP that `normalize` aims at, so that the decoded MP3
# meets the target (-16 LUFS, true peak <= -1 dBTP). Measured on 17 espeak-ng paragraphs
# (several voices, 120-300 wpm) at LAME quality 2 and 5, decoded by ffmpeg:
# - LAME's quantizer rounds magnitudes down, so the MP3 measures 0.37-0.50 LU quieter
#   than its PCM up to 160 kbit/s, about 0.27 at 192, 0.18 at 224 and ~0 from 256 on;
# - quantization noise lifts true peaks above the PCM's, typically by up to 1.5 dB at
#   32 kbit/s, 1.1 at 40, 0.55 at 48-56, 0.3 at 64-96, and not from 112 on (the rounding
#   lowers peaks by about as much as noise raises them). Single peaks can rise further
#   (1.4 dB at 64 kbit/s), so `_keep_peaks_down` checks the decoded MP3 in any case;
#   these ceilings only make its second encoding rare at low bit rates.
# That was at 44.1 kHz. At 22.05 kHz the coding noise is lower: none of the 30 pieces
# of Alignment Newsletter #76 (17 minutes) needed a second encoding at 64 kbit/s.
_MP3_HEADROOM = (
    (40, 0.5, -3.0),
    (56, 0.5, -2.5),
    (96, 0.5, -2.0),
    (160, 0.5, -1.5),
    (192, 0.4, -1.5),
    (224, 0.3, -1.5),
    (320, 0.1, -1.5),
)
# The chime sits inside a segment's lead silence, ending at least this long before the
# speech (seconds); `encode_segment` centres it when the lead is longer.
CHIME_GAP = 0.2


def mp3_headroom(bitrate: int) -> tuple[float, float]:
    """(loudness boost in LU, true-peak ceiling in dBTP) for PCM encoded at `bitrate`.

    >>> mp3_headroom(64), mp3_headroom(128), mp3_headroom(320)
    ((0.5, -2.0), (0.5, -1.5), (0.1, -1.5))
    """
    for top, boost, ceiling in _MP3_HEADROOM:
        if bitrate <= top:
            return boost, ceiling
    raise ValueError(f"bitrate must be one of {_MPEG1_BITRATES} kbit/s, not {bitrate}")


def min_chime_lead() -> float:
    """The shortest lead (seconds) that has room for the chime and the gap after it."""
    from audio.loudness import CHIME_SECONDS

    return CHIME_SECONDS + CHIME_GAP


def encode_segment(
    wav: Path | BinaryIO,
    *,
    lead: float,
    tail: float,
    bitrate: int = 64,
    quality: int = 5,
    loudness: float | None = -16.0,
    chime: bool = False,
    music_before: Path | None = None,
    music_after: Path | None = None,
    sample_rate: int | None = None,
    ahead: bool = False,
) -> bytes:
    """MP3 frames of `wav` (a WAV file, or a binary file object holding one) with `lead`
    and `tail` seconds of silence around it.

    The result is CBR mono at `bitrate` kbit/s and `sample_rate` (by default
    `output_rate` of the bit rate and the music given), with no ID3 tag and no
    Xing/Info frame, so parts made this way can be joined byte for byte. The same
    input always gives the same bytes. `quality` is LAME's (0 best, 9 fastest).

    With `loudness` (LUFS), the speech is resampled to `sample_rate` here (if it is not
    at that rate) and normalized and peak-limited (audio.loudness) so that the decoded
    MP3 measures about `loudness` with true peak <= -1 dBTP; the headroom for the MP3
    coder depends on the bit rate (`mp3_headroom`). `loudness=None` encodes the WAV's
    samples as they are.

    With `chime`, the section chime plays inside the lead: it ends at least
    `CHIME_GAP` before the speech and is centred in longer leads, so `lead` must be at
    least `min_chime_lead()` (0.8 s) and the speech still starts `lead` seconds in. It is
    4 LU under `loudness` (or -20 LUFS when `loudness` is None).

    `music_before` and `music_after` are audio files (WAV, MP3, ... read by ffmpeg)
    played before the lead and after the tail, loudness-matched like the speech (see
    `load_music`); an unreadable file raises ConfigError.

    Music needs ffmpeg to be read (EngineError when it is missing). With loudness, the
    encoded segment is decoded once (libsndfile, through soundfile) to check its true
    peak (`_keep_peaks_down`). With `ahead` too, speech of up to `AHEAD_SECONDS` is
    encoded on a thread of its own while its loudness is worked out: the same bytes,
    sooner when a core is free, for a few megabytes more memory.
    """
    if lead < 0 or tail < 0:
        raise ValueError(f"lead and tail must not be negative, not {lead} and {tail}")
    if bitrate not in _MPEG1_BITRATES:
        raise ValueError(f"bitrate must be one of {_MPEG1_BITRATES} kbit/s, not {bitrate}")
    if not 0 <= quality <= 9:
        raise ValueError(f"quality must be between 0 and 9, not {quality}")
    if chime and lead < min_chime_lead() - 1e-9:
        raise ValueError(f"a chime needs a lead of at least {min_chime_lead():g} s, not {lead:g} s")
    music = (music_before, music_after)
    out = sample_rate or output_rate(bitrate, music=any(m is not None for m in music))
    if out not in (SPEECH_RATE, MUSIC_RATE) or output_rate(bitrate, music=False) > out:
        raise ValueError(f"cannot encode {bitrate} kbit/s at {out} Hz")
    pcm, rate = _read_pcm(wav)
    if loudness is None:
        pieces = _shape(pcm, rate, lead=lead, tail=tail, chime=chime, music=music)
        data = _encode_pcm(pieces, rate, out, bitrate, quality)
    else:
        data = _encode_normalized(
            pcm,
            rate,
            out,
            lead=lead,
            tail=tail,
            bitrate=bitrate,
            quality=quality,
            loudness=loudness,
            chime=chime,
            music=music,
            ahead=ahead,
        )
    _check_part(data, out, bitrate, wav)
    return data


def _shape(
    pcm: bytes,
    rate: int,
    *,
    lead: float,
    tail: float,
    chime: bool,
    music: tuple[Path | None, Path | None],
) -> tuple[bytes, ...]:
    """The segment's 16-bit samples at the WAV's rate, not normalized, with chime and
    music, in pieces to be encoded end to end (the speech is `pcm` itself)."""
    from audio import loudness as ld

    level, ceiling = ld.TARGET_LUFS, ld.CEILING_DBTP
    head = _lead(lead, rate, chime=chime, level=level)
    first, last = _music_pair(music, rate, level=level, ceiling=ceiling)
    return (ld.to_pcm16(first), ld.to_pcm16(head), pcm, silence(tail, rate), ld.to_pcm16(last))


def _music_pair(
    music: tuple[Path | None, Path | None], rate: int, *, level: float, ceiling: float
) -> tuple[np.ndarray, np.ndarray]:
    """The samples of the music before and after a segment (empty where there is none)."""
    import numpy as np

    before, after = (
        np.zeros(0)
        if path is None
        else load_music(path, rate, target_lufs=level, ceiling_dbtp=ceiling)
        for path in music
    )
    return before, after


def _lead(lead: float, rate: int, *, chime: bool, level: float) -> np.ndarray:
    """The lead's samples: silence, with the chime in it (`encode_segment`)."""
    import numpy as np

    from audio import loudness as ld

    head = np.zeros(round(lead * rate))
    if chime:
        bell = ld.chime(rate, target_lufs=level - ld.CHIME_BELOW_LU)
        room = len(head) - len(bell)  # samples of silence around the chime in the lead
        after = max(round(CHIME_GAP * rate), room // 2)  # centred in a long lead
        before = max(0, room - after)
        head[before : before + len(bell)] = bell
    return head


def _encode_normalized(
    pcm: bytes,
    rate: int,
    out: int,
    *,
    lead: float,
    tail: float,
    bitrate: int,
    quality: int,
    loudness: float,
    chime: bool,
    music: tuple[Path | None, Path | None],
    ahead: bool = False,
) -> bytes:
    """`encode_segment` with loudness, at `out` Hz: normalized, with chime and music, a
    chunk at a time.

    The speech is resampled, normalized and limited in chunks (`normalize_stream`), and
    the segment's samples go to one encoder, and to a temporary file of 32-bit floats
    that `_keep_peaks_down` reads when it must encode again; memory does not grow with
    the segment's length.

    With `ahead`, speech of up to `AHEAD_SECONDS` is encoded ahead (`_encode_ahead`):
    LAME, on another thread, takes the normalizer's result while it is still being made.
    """
    import itertools
    import tempfile

    import numpy as np

    from audio import loudness as ld

    boost, ceiling = mp3_headroom(bitrate)
    level = loudness + boost
    head = _lead(lead, out, chime=chime, level=level)
    first, last = _music_pair(music, out, level=level, ceiling=ceiling)
    encoder = functools.partial(_encoder, out, out, bitrate, quality)
    early = _Ahead(encoder()) if ahead and len(pcm) <= 2 * AHEAD_SECONDS * rate else None
    with early or contextlib.nullcontext(), tempfile.TemporaryFile() as tape:
        speech = ld.normalize_stream(
            np.frombuffer(pcm, dtype="<i2"),
            rate,
            out,
            target_lufs=level,
            ceiling_dbtp=ceiling,
            preview=early.preview if early is not None else None,
        )
        after = (np.zeros(round(tail * out)), last)
        if early is None:
            pieces = itertools.chain((first, head), speech, after)
            data, length = _encode_chunks(pieces, encoder, tape)
        else:
            data, length = _encode_ahead((first, head), speech, after, early, encoder, tape)
        return _keep_peaks_down(tape, length, data, out, encoder)


# Speech up to this long (seconds) is encoded ahead: its 16-bit samples (44 kB a second
# at 22.05 kHz) are kept until the encoding is known to be right. A piece of a segment
# is about a minute at most (audio.render).
AHEAD_SECONDS = 180


class _Ahead:
    """A LAME encoder fed on a thread of its own, which lameenc lets run beside Python:
    `preview` hands it the normalizer's chunks as they are made, and `_encode_ahead`
    keeps its output only if they are what the normalizer then yields."""

    def __init__(self, encoder: lameenc.Encoder) -> None:
        import queue
        import threading

        self.previewed: list[bytes] = []  # 16-bit samples of each previewed chunk
        self._encoder = encoder
        self._queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._out: list[bytes] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._encode, name="lame-ahead", daemon=True)
        self._thread.start()

    def _encode(self) -> None:
        try:
            while (pcm := self._queue.get()) is not None:
                self._out.append(bytes(self._encoder.encode(pcm)))
            self._out.append(bytes(self._encoder.flush()))
        except BaseException as e:  # raised again by `result`
            self._error = e

    def feed(self, pcm: bytes) -> None:
        """Encode these 16-bit samples next."""
        self._queue.put(pcm)

    def preview(self, chunk: np.ndarray) -> None:
        """Encode a chunk the normalizer has made (`normalize_stream`'s `preview`)."""
        from audio.loudness import to_pcm16

        pcm = to_pcm16(chunk)
        self.previewed.append(pcm)
        self.feed(pcm)

    def result(self) -> bytes:
        """The MP3 frames of everything fed, flushed."""
        self.close()
        if self._error is not None:
            raise self._error
        return b"".join(self._out)

    def close(self) -> None:
        """Let the thread finish what it was fed, and end."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def __enter__(self) -> _Ahead:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _encode_ahead(
    before: Iterable[np.ndarray],
    speech: Iterable[np.ndarray],
    after: Iterable[np.ndarray],
    ahead: _Ahead,
    new_encoder: Callable[[], lameenc.Encoder],
    tape: BinaryIO,
) -> tuple[bytes, int]:
    """`_encode_chunks` of `before`, `speech` and `after` end to end, by `ahead`'s
    encoder when the chunks `speech` yields are the ones it previewed (the same
    samples, so the same bytes), else again by a fresh encoder."""
    from audio.loudness import to_pcm16

    samples: list[bytes] = []  # every chunk as LAME gets it, in order
    length = 0

    def take(chunk: np.ndarray) -> bytes:
        nonlocal length
        tape.write(chunk.astype("<f4").tobytes())
        length += len(chunk)
        samples.append(to_pcm16(chunk))
        return samples[-1]

    for chunk in before:
        if len(chunk):
            ahead.feed(take(chunk))  # before the first speech chunk is previewed
    previewed, count = ahead.previewed, 0
    held = True
    for chunk in speech:
        if len(chunk):
            pcm = take(chunk)
            if held and count < len(previewed) and pcm == previewed[count]:
                samples[-1] = previewed[count]  # the samples kept once, not twice
            else:
                held = False
            count += 1
    held = held and count == len(previewed)
    for chunk in after:
        if len(chunk):
            pcm = take(chunk)
            if held:
                ahead.feed(pcm)
    if held:
        return ahead.result(), length
    ahead.close()
    encoder = new_encoder()
    frames = [bytes(encoder.encode(pcm)) for pcm in samples]
    return b"".join(frames) + bytes(encoder.flush()), length


def _encode_chunks(
    chunks: Iterable[np.ndarray],
    new_encoder: Callable[[], lameenc.Encoder],
    tape: BinaryIO | None = None,
) -> tuple[bytes, int]:
    """MP3 frames of float `chunks` end to end, by a fresh encoder from `new_encoder`,
    and how many samples they hold; the samples are also written to `tape` as 32-bit
    floats."""
    from audio.loudness import to_pcm16

    encoder = new_encoder()
    out = []
    length = 0
    for chunk in chunks:
        if not len(chunk):
            continue
        if tape is not None:
            tape.write(chunk.astype("<f4").tobytes())
        out.append(bytes(encoder.encode(to_pcm16(chunk))))
        length += len(chunk)
    out.append(bytes(encoder.flush()))
    return b"".join(out), length


def _read_floats(file: BinaryIO, start: int, stop: int) -> np.ndarray:
    """Samples start to stop of a file of 32-bit floats, as float64."""
    import os

    import numpy as np

    raw = os.pread(file.fileno(), 4 * (stop - start), 4 * start)
    return np.frombuffer(raw, dtype="<f4").astype(np.float64)


# Encoding can lift true peaks well above the PCM's: at 64 kbit/s, quantization noise
# made single peaks of espeak-ng speech 1.4 dB higher, wherever the ceiling was set
# (-1.5 to -3 dBTP). So a
# normalized segment is decoded again (`_decoded`) and checked against MP3_PEAK_DBTP; where
# it is over, the samples there are turned down smoothly by the excess plus
# _PEAK_FIX_MARGIN (rounded up to 0.1 dB, so tiny differences between decoders do not
# change the bytes) and the segment is encoded again. After _LOCAL_FIXES such rounds
# the whole segment is turned down instead.
MP3_PEAK_DBTP = -1.2  # 0.2 dB under Apple's -1 dBTP, for other decoders and meters
_PEAK_FIX_MARGIN = 0.3
_LOCAL_FIXES = 3
_GLOBAL_FIXES = 3
# LAME's encoder delay plus the decoder's delay: decoded sample n + 1105 is input n.
_CODEC_DELAY = 576 + 529


def _keep_peaks_down(
    tape: BinaryIO,
    length: int,
    data: bytes,
    rate: int,
    new_encoder: Callable[[], lameenc.Encoder],
) -> bytes:
    """`data`, encoded again from quieter samples until it decodes within MP3_PEAK_DBTP.

    `tape` holds the `length` samples `data` was encoded from, as 32-bit floats; they
    are read, turned down and encoded a chunk at a time, through a second temporary file.
    """
    import tempfile

    import numpy as np

    from audio import loudness as ld

    if not length:
        return data
    own: BinaryIO | None = None  # the latest tape made here
    try:
        for fix in range(_LOCAL_FIXES + _GLOBAL_FIXES):
            over, peaks = _decoded_peaks(data, rate, MP3_PEAK_DBTP)
            if not len(over):
                return data
            excess = 20 * np.log10(peaks) - MP3_PEAK_DBTP + _PEAK_FIX_MARGIN
            excess = np.ceil(np.round(excess, 6) * 10) / 10
            if fix < _LOCAL_FIXES:
                at = np.clip(over - _CODEC_DELAY, 0, length - 1)
                fix_up = ld.Attenuation(rate, at, excess).apply
            else:
                fix_up = functools.partial(_scaled, scale=10 ** (-float(excess.max()) / 20))
            new_tape = tempfile.TemporaryFile()  # noqa: SIM115 (closed below)
            chunks = _fixed_chunks(tape, length, fix_up)
            data, _ = _encode_chunks(chunks, new_encoder, new_tape)
            if own is not None:
                own.close()
            tape = own = new_tape
        return data
    finally:
        if own is not None:
            own.close()


def _scaled(x: np.ndarray, start: int, length: int, *, scale: float) -> np.ndarray:
    return x * scale


def _fixed_chunks(
    tape: BinaryIO, length: int, fix_up: Callable[[np.ndarray, int, int], np.ndarray]
) -> Iterator[np.ndarray]:
    """The `length` samples on `tape`, a chunk at a time, through `fix_up(x, start, length)`."""
    from audio.loudness import STREAM_CHUNK

    for start in range(0, length, STREAM_CHUNK):
        stop = min(length, start + STREAM_CHUNK)
        yield fix_up(_read_floats(tape, start, stop), start, length)


def _decoded_peaks(data: bytes, rate: int, above_dbtp: float) -> tuple[np.ndarray, np.ndarray]:
    """Where MP3 `data` (at `rate`), decoded, has true peaks over `above_dbtp` (sample
    numbers of the decoded signal, `sample_peaks`), and those peaks (linear).

    It is decoded from start to end, a chunk of whole frames at a time, each chunk with
    the `context` samples on either side that its peaks depend on. libsndfile must not
    stop or seek inside a frame: at 22.05 kHz libmpg123 then decodes the next frame
    without its bit reservoir, and says so on stderr.
    """
    import numpy as np

    from audio import loudness as ld

    level = 10 ** (above_dbtp / 20)
    found: list[tuple[np.ndarray, np.ndarray]] = []
    chunk = max(1152, ld.STREAM_CHUNK // 1152 * 1152)  # whole frames at either rate
    context = 8
    with _decoded(data, rate) as mp3:
        x, base, start = np.zeros(0), 0, 0  # x[0] is decoded sample `base`
        while True:
            more = mp3.read(chunk, dtype="float64")
            end = len(more) < chunk
            x = np.concatenate((x, more))
            stop = base + len(x) - (0 if end else context)  # peaks known up to here
            if stop > start:
                peaks = ld.sample_peaks(x, rate, above_dbtp=above_dbtp)[start - base : stop - base]
                over = np.flatnonzero(peaks > level)
                found.append((over + start, peaks[over]))
                start = stop
            if end:
                break
            keep = start - context - base  # the samples before start - context are done
            x, base = x[keep:], base + keep
    if not found:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found])


@contextlib.contextmanager
def _decoded(data: bytes, rate: int) -> Iterator[soundfile.SoundFile]:
    """MP3 `data` opened for decoding (libsndfile's mpg123 decoder, in this process):
    mono samples at `rate`, decoded sample n + _CODEC_DELAY being input sample n, as
    ffmpeg decodes them."""
    import io

    import soundfile

    try:
        mp3 = soundfile.SoundFile(io.BytesIO(data))
    except (soundfile.LibsndfileError, RuntimeError) as e:
        raise EngineError(f"could not decode an encoded segment: {e}") from e
    with mp3:
        if (mp3.samplerate, mp3.channels) != (rate, 1):
            raise EngineError(
                f"an encoded segment decodes as {mp3.channels} channel(s) at "
                f"{mp3.samplerate} Hz, not mono at {rate} Hz"
            )
        yield mp3


def load_music(
    path: Path, rate: int, *, target_lufs: float = -16.0, ceiling_dbtp: float = -1.5
) -> np.ndarray:
    """The audio file at `path` as mono float samples at `rate`, loudness-matched.

    Any format ffmpeg reads (through pydub); normalized like speech to `target_lufs`
    with true peak <= `ceiling_dbtp`. A missing or unreadable file raises ConfigError
    naming it.
    """
    from pydub import AudioSegment

    from audio import loudness as ld

    if not path.is_file():
        raise ConfigError(f"music file {path} does not exist")
    try:
        audio = AudioSegment.from_file(str(path))
    except Exception as e:
        reason = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise ConfigError(f"cannot read music file {path}: {reason}") from e
    audio = audio.set_channels(1).set_sample_width(2)
    if not len(audio.raw_data):
        raise ConfigError(f"music file {path} has no audio")
    samples = ld.resample(ld.from_pcm16(audio.raw_data), audio.frame_rate, rate)
    return ld.normalize(samples, rate, target_lufs=target_lufs, ceiling_dbtp=ceiling_dbtp)


def _read_pcm(wav: Path | BinaryIO) -> tuple[bytes, int]:
    """16-bit mono PCM and its sample rate, from a WAV file or file object."""
    import wave

    source = wav if hasattr(wav, "read") else str(wav)
    try:  # the synthesizer's own WAVs, without importing pydub in every worker (40 ms)
        with wave.open(source, "rb") as w:
            if (w.getnchannels(), w.getsampwidth(), w.getcomptype()) == (1, 2, "NONE"):
                return w.readframes(w.getnframes()), w.getframerate()
    except FileNotFoundError:
        raise
    except (wave.Error, EOFError, OSError):
        pass  # pydub reads more kinds of WAV, and says what is wrong with the others
    from pydub import AudioSegment

    if not isinstance(source, str):
        source.seek(0)
    try:
        audio = AudioSegment.from_wav(source)
    except FileNotFoundError:
        raise
    except Exception as e:
        raise EngineError(f"cannot read WAV {wav}: {e}") from e
    audio = audio.set_channels(1).set_sample_width(2)
    return audio.raw_data, audio.frame_rate


def silence(seconds: float, rate: int) -> bytes:
    """`seconds` of 16-bit mono silence, rounded to whole samples."""
    return b"\0\0" * round(seconds * rate)


def _encoder(rate: int, out: int, bitrate: int, quality: int) -> lameenc.Encoder:
    """A LAME encoder from mono 16-bit PCM at `rate` to CBR MP3 at `out` Hz; `encode`
    can be called on it any number of times before `flush` (the same bytes come out)."""
    import lameenc

    encoder = lameenc.Encoder()
    encoder.set_in_sample_rate(rate)
    encoder.set_out_sample_rate(out)
    encoder.set_channels(1)
    encoder.set_bit_rate(bitrate)
    encoder.set_quality(quality)
    return encoder


def encode_pcm(pcm: bytes, rate: int, out: int, bitrate: int, quality: int) -> bytes:
    """16-bit mono PCM at `rate` as CBR MP3 frames at `out` Hz, as lameenc makes them
    (its own resampler; no loudness processing)."""
    return _encode_pcm((pcm,), rate, out, bitrate, quality)


def _encode_pcm(pieces: Iterable[bytes], rate: int, out: int, bitrate: int, quality: int) -> bytes:
    """MP3 frames at `out` Hz of the 16-bit mono PCM `pieces` (at `rate`) end to end.
    LAME gets them `_ENCODE_PIECE` samples at a time: the same bytes as one call, with
    small buffers."""
    encoder = _encoder(rate, out, bitrate, quality)
    step = 2 * _ENCODE_PIECE
    out = [
        bytes(encoder.encode(pcm[i : i + step])) for pcm in pieces for i in range(0, len(pcm), step)
    ]
    return b"".join(out) + bytes(encoder.flush())


_ENCODE_PIECE = 1 << 18  # samples


def _check_part(data: bytes, rate: int, bitrate: int, wav: Path | BinaryIO) -> None:
    """Raise EngineError unless `data` is bare CBR frames at `rate` and `bitrate`."""
    try:
        scan = scan_frames(data)
    except ValueError as e:
        raise EngineError(f"lameenc wrote invalid MP3 for {wav}: {e}") from e
    if scan.audio_offset != 0 or scan.audio_size != len(data):
        raise EngineError(f"lameenc wrote a tag or Info frame for {wav}")
    if (scan.sample_rate, scan.samples_per_frame, scan.bitrate) != (
        rate,
        samples_per_frame(rate),
        bitrate,
    ):
        raise EngineError(
            f"lameenc wrote {scan.sample_rate} Hz, {scan.bitrate} kbit/s for {wav}; "
            f"expected {rate} Hz, {bitrate} kbit/s"
        )


# --- frames ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FrameScan:
    """What a walk over the MPEG audio frames of an MP3 found.

    `frames` counts audio frames only (not a Xing/Info/VBRI frame); `bitrate` is that of
    the first audio frame in kbit/s; `audio_offset` and `audio_size` locate the audio
    frames in the data.
    """

    frames: int
    sample_rate: int
    samples_per_frame: int
    bitrate: int
    audio_offset: int
    audio_size: int

    @property
    def duration(self) -> float:
        """Length in seconds, from the frame count."""
        return self.frames * self.samples_per_frame / self.sample_rate


@dataclass(frozen=True)
class _Header:
    """The fields of one MPEG audio frame header that a frame walk needs."""

    mpeg: str  # "1", "2" or "2.5"
    bitrate: int  # kbit/s
    sample_rate: int
    samples_per_frame: int
    length: int  # bytes, header included
    mono: bool


# Layer III bit rates by bitrate index; index 0 is "free format", 15 is invalid.
_BITRATES = {
    "1": (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, -1),
    "2": (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, -1),
}
_SAMPLE_RATES = {
    "1": (44100, 48000, 32000),
    "2": (22050, 24000, 16000),
    "2.5": (11025, 12000, 8000),
}
_VERSIONS = {0b11: "1", 0b10: "2", 0b00: "2.5"}  # 0b01 is reserved
# Bytes of Layer III side information by (MPEG-1?, mono?): a Xing/Info tag follows it.
_SIDE_INFO = {(True, False): 32, (True, True): 17, (False, False): 17, (False, True): 9}


@functools.lru_cache(maxsize=256)
def _decode_header(word: int) -> _Header | str:
    """The frame header in the 32-bit `word`, or why it is not a Layer III header."""
    if word >> 21 != 0x7FF:
        return "no frame sync"
    mpeg = _VERSIONS.get((word >> 19) & 0b11)
    if mpeg is None:
        return "reserved MPEG version"
    if (word >> 17) & 0b11 != 0b01:
        return "not MPEG Layer III"
    bitrate = _BITRATES["1" if mpeg == "1" else "2"][(word >> 12) & 0xF]
    if bitrate <= 0:
        return "free-format or invalid bit rate"
    rate_index = (word >> 10) & 0b11
    if rate_index == 3:
        return "reserved sample rate"
    sample_rate = _SAMPLE_RATES[mpeg][rate_index]
    samples = 1152 if mpeg == "1" else 576
    padding = (word >> 9) & 1
    length = samples // 8 * bitrate * 1000 // sample_rate + padding
    return _Header(mpeg, bitrate, sample_rate, samples, length, (word >> 6) & 0b11 == 0b11)


def _header_at(data: bytes, pos: int) -> _Header:
    """The frame header at `pos`; ValueError when there is none."""
    if len(data) - pos < 4:
        raise ValueError(f"truncated MP3: {len(data) - pos} stray bytes at offset {pos}")
    header = _decode_header(int.from_bytes(data[pos : pos + 4], "big"))
    if isinstance(header, str):
        raise ValueError(f"not an MP3 frame at offset {pos}: {header}")
    return header


def _id3v2_end(data: bytes) -> int:
    """The offset just past any ID3v2 tags at the start of `data`."""
    pos = 0
    while data[pos : pos + 3] == b"ID3":
        raw = data[pos + 6 : pos + 10]
        if len(data) < pos + 10 or any(b & 0x80 for b in raw):
            raise ValueError(f"invalid ID3v2 header at offset {pos}")
        size = raw[0] << 21 | raw[1] << 14 | raw[2] << 7 | raw[3]
        footer = 10 if data[pos + 5] & 0x10 else 0
        pos += 10 + size + footer
        if pos > len(data):
            raise ValueError("truncated ID3v2 tag")
    return pos


def _is_info_frame(data: bytes, pos: int, header: _Header) -> bool:
    """Whether the frame at `pos` is a Xing/Info or VBRI header instead of audio."""
    at = pos + 4 + _SIDE_INFO[header.mpeg == "1", header.mono]
    return data[at : at + 4] in (b"Xing", b"Info") or data[pos + 36 : pos + 40] == b"VBRI"


def _is_id3v1(data: bytes, pos: int) -> bool:
    return len(data) - pos == 128 and data[pos : pos + 3] == b"TAG"


def scan_frames(data: bytes) -> FrameScan:
    """Walk the MPEG Layer III frames of an MP3 file's bytes and count them.

    A leading ID3v2 tag and a trailing ID3v1 tag are skipped; a Xing/Info/VBRI frame is
    detected and not counted. Junk, a change of sample rate, or a truncated last frame
    raise ValueError.
    """
    start = pos = _id3v2_end(data)
    first: _Header | None = None
    frames = 0
    audio_offset = start
    while pos < len(data) and not _is_id3v1(data, pos):
        header = _header_at(data, pos)
        if pos + header.length > len(data):
            raise ValueError(
                f"truncated MP3: frame at offset {pos} needs {header.length} bytes, "
                f"{len(data) - pos} left"
            )
        if first is None:
            if pos == start and _is_info_frame(data, pos, header):
                pos += header.length
                audio_offset = pos
                continue
            first = header
        elif (header.mpeg, header.sample_rate) != (first.mpeg, first.sample_rate):
            raise ValueError(
                f"frame at offset {pos} is MPEG-{header.mpeg} {header.sample_rate} Hz; "
                f"earlier frames are MPEG-{first.mpeg} {first.sample_rate} Hz"
            )
        frames += 1
        pos += header.length
    if first is None:
        raise ValueError("no MPEG audio frames")
    return FrameScan(
        frames=frames,
        sample_rate=first.sample_rate,
        samples_per_frame=first.samples_per_frame,
        bitrate=first.bitrate,
        audio_offset=audio_offset,
        audio_size=pos - audio_offset,
    )


def strip_to_frames(data: bytes) -> bytes:
    """Only the audio frames of an MP3: no ID3v2, ID3v1 or Xing/Info frame."""
    scan = scan_frames(data)
    return data[scan.audio_offset : scan.audio_offset + scan.audio_size]


def join_parts(parts: Sequence[Path], out: BinaryIO, *, check: bool = True) -> int | None:
    """Write the frames-only MP3 `parts` to `out` one after another; the total frames.

    Each part must be bare frames, as `encode_segment` makes them, all at one of its
    rates; a part with a tag or another format raises ValueError naming it.
    `check=False` skips reading the frames (and returns None), for parts checked already.
    """
    total = 0
    rate = None
    for part in parts:
        data = part.read_bytes()
        if not check:
            out.write(data)
            continue
        try:
            scan = scan_frames(data)
        except ValueError as e:
            raise ValueError(f"{part}: {e}") from e
        if scan.audio_offset != 0 or scan.audio_size != len(data):
            raise ValueError(f"{part}: not a bare MP3 part (it has a tag or an Info frame)")
        rate = rate or scan.sample_rate
        if scan.sample_rate != rate or rate not in (SPEECH_RATE, MUSIC_RATE):
            expected = rate if rate != scan.sample_rate else f"{SPEECH_RATE} or {MUSIC_RATE}"
            raise ValueError(f"{part}: {scan.sample_rate} Hz, expected {expected} Hz")
        out.write(data)
        total += scan.frames
    return total if check else None


def frames_to_ms(frames: int) -> int:
    """Milliseconds spanned by `frames` MP3 frames (at 44.1 or 22.05 kHz: they last
    as long), rounded to the nearest; a negative count (frames lost) gives the negative.

    >>> frames_to_ms(0), frames_to_ms(1), frames_to_ms(38), frames_to_ms(38281)
    (0, 26, 993, 999993)
    >>> frames_to_ms(-3), frames_to_ms(3)
    (-78, 78)
    """
    # round(frames * 1152 * 1000 / 44100) in integers; 441 is odd, so never a tie.
    return (frames * 23040 + 441) // 882
