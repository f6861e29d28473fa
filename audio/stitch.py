"""Stitch: per-segment audio and MP3 frames.

This module owns the episode's audio format. Each segment is encoded on its own into
CBR MP3 frames, 44.1 kHz mono, with no ID3 tag and no Xing/Info frame
(`encode_segment`). An episode is those parts joined byte for byte (`join_parts`);
chapters.py then adds one ID3 tag. Because every part starts with a fresh bit reservoir,
one segment can be re-rendered without re-encoding the others (TECH-NOTES section 6).

Times come from counting frames (`scan_frames`), never from PCM lengths: LAME adds
encoder delay and padding to each part. `frames_to_ms` is the one place a frame count
becomes milliseconds.

pydub and lameenc are imported inside `encode_segment`, so the frame arithmetic here
needs only the standard library.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from audio.errors import EngineError

SAMPLE_RATE = 44100
SAMPLES_PER_FRAME = 1152

# Bit rates of MPEG-1 Layer III at 44.1 kHz, in kbit/s (the same list as config.py).
_MPEG1_BITRATES = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)


# --- encoding --------------------------------------------------------------------------


def encode_segment(
    wav: Path, *, lead: float, tail: float, bitrate: int = 64, quality: int = 5
) -> bytes:
    """MP3 frames of `wav` with `lead` and `tail` seconds of silence around it.

    The result is CBR, 44.1 kHz mono at `bitrate` kbit/s, with no ID3 tag and no
    Xing/Info frame, so parts made this way can be joined byte for byte. The same
    input always gives the same bytes. `quality` is LAME's (0 best, 9 fastest).
    """
    if lead < 0 or tail < 0:
        raise ValueError(f"lead and tail must not be negative, not {lead} and {tail}")
    if bitrate not in _MPEG1_BITRATES:
        raise ValueError(f"bitrate must be one of {_MPEG1_BITRATES} kbit/s, not {bitrate}")
    if not 0 <= quality <= 9:
        raise ValueError(f"quality must be between 0 and 9, not {quality}")
    pcm, rate = _read_pcm(wav)
    pcm = b"".join((_silence(lead, rate), pcm, _silence(tail, rate)))
    data = _encode(pcm, rate, bitrate, quality)
    _check_part(data, bitrate, wav)
    return data


def _read_pcm(wav: Path) -> tuple[bytes, int]:
    """16-bit mono PCM and its sample rate, from a WAV file."""
    from pydub import AudioSegment

    try:
        audio = AudioSegment.from_wav(str(wav))
    except FileNotFoundError:
        raise
    except Exception as e:
        raise EngineError(f"cannot read WAV {wav}: {e}") from e
    audio = audio.set_channels(1).set_sample_width(2)
    return audio.raw_data, audio.frame_rate


def _silence(seconds: float, rate: int) -> bytes:
    """`seconds` of 16-bit mono silence, rounded to whole samples."""
    return b"\0\0" * round(seconds * rate)


def _encode(pcm: bytes, rate: int, bitrate: int, quality: int) -> bytes:
    import lameenc

    encoder = lameenc.Encoder()
    encoder.set_in_sample_rate(rate)
    encoder.set_out_sample_rate(SAMPLE_RATE)
    encoder.set_channels(1)
    encoder.set_bit_rate(bitrate)
    encoder.set_quality(quality)
    return bytes(encoder.encode(pcm)) + bytes(encoder.flush())


def _check_part(data: bytes, bitrate: int, wav: Path) -> None:
    """Raise EngineError unless `data` is bare CBR frames of the expected format."""
    try:
        scan = scan_frames(data)
    except ValueError as e:
        raise EngineError(f"lameenc wrote invalid MP3 for {wav}: {e}") from e
    if scan.audio_offset != 0 or scan.audio_size != len(data):
        raise EngineError(f"lameenc wrote a tag or Info frame for {wav}")
    if (scan.sample_rate, scan.samples_per_frame, scan.bitrate) != (
        SAMPLE_RATE,
        SAMPLES_PER_FRAME,
        bitrate,
    ):
        raise EngineError(
            f"lameenc wrote {scan.sample_rate} Hz, {scan.bitrate} kbit/s for {wav}; "
            f"expected {SAMPLE_RATE} Hz, {bitrate} kbit/s"
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


def join_parts(parts: Sequence[Path], out: BinaryIO) -> int:
    """Write the frames-only MP3 `parts` to `out` one after another; the total frames.

    Each part must be bare 44.1 kHz MPEG-1 frames, as `encode_segment` makes them; a
    part with a tag or another format raises ValueError naming it.
    """
    total = 0
    for part in parts:
        data = part.read_bytes()
        try:
            scan = scan_frames(data)
        except ValueError as e:
            raise ValueError(f"{part}: {e}") from e
        if scan.audio_offset != 0 or scan.audio_size != len(data):
            raise ValueError(f"{part}: not a bare MP3 part (it has a tag or an Info frame)")
        if (scan.sample_rate, scan.samples_per_frame) != (SAMPLE_RATE, SAMPLES_PER_FRAME):
            raise ValueError(f"{part}: {scan.sample_rate} Hz, expected {SAMPLE_RATE} Hz")
        out.write(data)
        total += scan.frames
    return total


def frames_to_ms(frames: int) -> int:
    """Milliseconds spanned by `frames` MP3 frames at 44.1 kHz, rounded to the nearest.

    >>> frames_to_ms(0), frames_to_ms(1), frames_to_ms(38), frames_to_ms(38281)
    (0, 26, 993, 999993)
    """
    # round(frames * 1152 * 1000 / 44100) in integers; 441 is odd, so never a tie.
    return (frames * 23040 + 441) // 882
