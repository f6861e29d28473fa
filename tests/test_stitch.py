"""Per-segment MP3 encoding, the frame walk, and joining parts (real lameenc and ffmpeg)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from mutagen.mp3 import MP3

from audio.errors import EngineError
from audio.stitch import (
    SAMPLE_RATE,
    SAMPLES_PER_FRAME,
    encode_segment,
    frames_to_ms,
    join_parts,
    scan_frames,
    strip_to_frames,
)


def ffprobe_duration(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(out)


def ffmpeg_mp3(wav: Path, out: Path, *args: str) -> Path:
    """Encode `wav` with ffmpeg (a Xing/Info frame and an ID3v2 tag unless told otherwise)."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", wav, "-ar", "44100", "-b:a", "64k", *args, out],
        check=True,
    )
    return out


def test_encode_segment_is_deterministic_and_bare(make_wav):
    wav = make_wav(seconds=1.3)
    first = encode_segment(wav, lead=0.4, tail=0.6)
    assert encode_segment(wav, lead=0.4, tail=0.6) == first
    scan = scan_frames(first)
    assert (scan.sample_rate, scan.samples_per_frame, scan.bitrate) == (44100, 1152, 64)
    assert (scan.audio_offset, scan.audio_size) == (0, len(first))
    assert not first.startswith(b"ID3")


def test_lead_and_tail_add_their_samples(make_wav):
    wav = make_wav(seconds=1.0)
    plain = scan_frames(encode_segment(wav, lead=0, tail=0)).frames
    padded = scan_frames(encode_segment(wav, lead=0.5, tail=0.25)).frames
    added = (padded - plain) * SAMPLES_PER_FRAME
    assert abs(added - 0.75 * SAMPLE_RATE) <= SAMPLES_PER_FRAME


def test_other_wav_formats_are_converted(make_wav):
    wav = make_wav(seconds=0.5, rate=16000, channels=2)
    scan = scan_frames(encode_segment(wav, lead=0, tail=0, bitrate=96))
    assert (scan.sample_rate, scan.bitrate) == (44100, 96)
    assert scan.duration == pytest.approx(0.5, abs=0.1)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lead": -1, "tail": 0}, "negative"),
        ({"lead": 0, "tail": 0, "bitrate": 65}, "bitrate"),
        ({"lead": 0, "tail": 0, "quality": 10}, "quality"),
    ],
)
def test_encode_segment_rejects_bad_arguments(make_wav, kwargs, message):
    with pytest.raises(ValueError, match=message):
        encode_segment(make_wav(), **kwargs)


def test_encode_segment_rejects_a_file_that_is_not_a_wav(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    with pytest.raises(EngineError, match=r"bad\.wav"):
        encode_segment(bad, lead=0, tail=0)


def test_scan_agrees_with_ffprobe_and_mutagen(make_wav, tmp_path):
    part = tmp_path / "part.mp3"
    part.write_bytes(encode_segment(make_wav(seconds=2.2), lead=0.3, tail=0.7))
    scan = scan_frames(part.read_bytes())
    # Without a Xing frame both tools estimate from size and bit rate: within a ms.
    assert scan.duration == pytest.approx(ffprobe_duration(part), abs=0.002)
    assert scan.duration == pytest.approx(MP3(part).info.length, abs=0.002)


def test_scan_skips_id3v2_xing_and_id3v1_of_an_ffmpeg_file(make_wav, tmp_path):
    wav = make_wav(seconds=1.7)
    mp3 = ffmpeg_mp3(
        wav, tmp_path / "ff.mp3", "-write_xing", "1", "-write_id3v1", "1", "-metadata", "title=T"
    )
    data = mp3.read_bytes()
    assert data.startswith(b"ID3") and data[-128:].startswith(b"TAG")
    scan = scan_frames(data)
    assert b"Info" in data[: scan.audio_offset]  # skipped, not counted
    # With the Info frame, ffprobe and mutagen know the exact frame count.
    assert scan.duration == pytest.approx(ffprobe_duration(mp3), abs=0.0005)
    assert scan.duration == pytest.approx(MP3(mp3).info.length, abs=0.0005)

    bare = strip_to_frames(data)
    again = scan_frames(bare)
    assert (again.frames, again.audio_offset, again.audio_size) == (scan.frames, 0, len(bare))
    assert bare == data[scan.audio_offset : scan.audio_offset + scan.audio_size]


def test_scan_of_an_mpeg2_file(make_wav, tmp_path):
    mp3 = tmp_path / "lo.mp3"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", make_wav(), "-ar", "22050", "-b:a", "32k", mp3],
        check=True,
    )
    scan = scan_frames(mp3.read_bytes())
    assert (scan.sample_rate, scan.samples_per_frame, scan.bitrate) == (22050, 576, 32)
    assert scan.duration == pytest.approx(ffprobe_duration(mp3), abs=0.0005)


def test_join_three_parts_decodes_without_errors(make_wav, tmp_path):
    wav = make_wav(seconds=0.8)
    parts = []
    for i, (lead, tail) in enumerate([(0, 0.5), (1.0, 0.3), (0.2, 1.1)]):
        parts.append(tmp_path / f"p{i}.mp3")
        parts[-1].write_bytes(encode_segment(wav, lead=lead, tail=tail))
    joined = tmp_path / "joined.mp3"
    with joined.open("wb") as out:
        frames = join_parts(parts, out)

    assert frames == sum(scan_frames(p.read_bytes()).frames for p in parts)
    assert scan_frames(joined.read_bytes()).frames == frames
    assert joined.stat().st_size == sum(p.stat().st_size for p in parts)
    decode = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", joined, "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (decode.returncode, decode.stderr, decode.stdout) == (0, "", "")
    assert ffprobe_duration(joined) == pytest.approx(frames * 1152 / 44100, abs=0.002)


def test_join_rejects_a_part_with_a_tag(make_wav, tmp_path):
    tagged = ffmpeg_mp3(make_wav(), tmp_path / "tagged.mp3")
    with open(tmp_path / "out.mp3", "wb") as out, pytest.raises(ValueError, match=r"tagged\.mp3"):
        join_parts([tagged], out)


@pytest.mark.parametrize(
    "mangle, message",
    [
        (lambda d: d[:-10], "truncated"),
        (lambda d: d + b"\xff", "truncated"),
        (lambda d: b"junk" + d, "offset 0"),
        (lambda d: d[:1000] + b"\0" * 300 + d[1000:], "not an MP3 frame"),
        (lambda d: b"", "no MPEG audio frames"),
        (lambda d: b"ID3\x03\x00\x00\x00\x00\x7f\x7f" + d, "truncated ID3v2"),
    ],
    ids=["cut", "stray-byte", "leading-junk", "junk-inside", "empty", "id3-too-long"],
)
def test_scan_rejects_bad_data(make_wav, mangle, message):
    data = encode_segment(make_wav(), lead=0, tail=0)
    with pytest.raises(ValueError, match=message):
        scan_frames(mangle(data))


@pytest.mark.parametrize(
    "frames, ms", [(0, 0), (1, 26), (38, 993), (138, 3605), (100_000, 2_612_245)]
)
def test_frames_to_ms(frames, ms):
    assert frames_to_ms(frames) == ms == round(frames * 1152 * 1000 / 44100)


def test_importing_stitch_loads_neither_pydub_nor_lameenc():
    code = "import sys, audio.stitch; print('pydub' in sys.modules or 'lameenc' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
