"""Per-segment MP3 encoding with loudness, chime and music; the frame walk; joining parts
(real lameenc and ffmpeg)."""

from __future__ import annotations

import functools
import io
import math
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np
import pytest
from mutagen.mp3 import MP3

from audio import loudness as ld
from audio import stitch
from audio.errors import ConfigError, EngineError
from audio.stitch import (
    FRAME_SECONDS,
    MUSIC_RATE,
    SPEECH_RATE,
    encode_pcm,
    encode_segment,
    frames_to_ms,
    join_parts,
    load_music,
    min_chime_lead,
    mp3_headroom,
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
    assert (scan.sample_rate, scan.samples_per_frame, scan.bitrate) == (22050, 576, 64)
    assert (scan.audio_offset, scan.audio_size) == (0, len(first))
    assert not first.startswith(b"ID3")


def test_lead_and_tail_add_their_samples(make_wav):
    wav = make_wav(seconds=1.0)
    plain = scan_frames(encode_segment(wav, lead=0, tail=0)).frames
    padded = scan_frames(encode_segment(wav, lead=0.5, tail=0.25)).frames
    added = (padded - plain) * FRAME_SECONDS
    assert abs(added - 0.75) <= FRAME_SECONDS


def test_other_wav_formats_are_converted(make_wav):
    wav = make_wav(seconds=0.5, rate=16000, channels=2)
    scan = scan_frames(encode_segment(wav, lead=0, tail=0, bitrate=96))
    assert (scan.sample_rate, scan.bitrate) == (22050, 96)
    assert scan.duration == pytest.approx(0.5, abs=0.1)


@pytest.mark.parametrize("channels", [1, 2])
def test_a_wav_in_a_file_object_gives_the_bytes_its_file_gives(make_wav, channels):
    # audio.warmup encodes a WAV in memory; stereo is read by pydub, mono by `wave`.
    wav = make_wav(seconds=0.7, channels=channels)
    from_file = encode_segment(wav, lead=0.2, tail=0.1)
    assert len(from_file) > 2000
    assert encode_segment(io.BytesIO(wav.read_bytes()), lead=0.2, tail=0.1) == from_file


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
    assert ffprobe_duration(joined) == pytest.approx(frames * FRAME_SECONDS, abs=0.002)


@pytest.mark.parametrize(
    "kwargs, rate",
    [({}, 22050), ({"bitrate": 160}, 22050), ({"bitrate": 192}, 44100), ({"music": True}, 44100)],
    ids=["speech", "mpeg2-top", "mpeg1-only", "music"],
)
def test_the_sample_rate_is_speech_rate_unless_music_or_bitrate_need_more(
    make_wav, tmp_path, kwargs, rate
):
    jingle = write_tone_wav(tmp_path / "j.wav", rate=44100, channels=1, seconds=0.5, amp=0.3)
    bitrate = kwargs.get("bitrate", 64)
    music = jingle if kwargs.get("music") else None
    data = encode_segment(make_wav(), lead=0.1, tail=0.1, bitrate=bitrate, music_after=music)
    scan = scan_frames(data)
    assert (scan.sample_rate, scan.samples_per_frame, scan.bitrate) == (
        rate,
        1152 if rate == 44100 else 576,
        bitrate,
    )
    assert MP3(io.BytesIO(data)).info.sample_rate == rate  # mutagen agrees


def test_a_segment_can_be_asked_for_at_44_1_khz_but_not_192_kbit_at_22_05(make_wav):
    data = encode_segment(make_wav(), lead=0.1, tail=0.1, sample_rate=MUSIC_RATE)
    assert scan_frames(data).sample_rate == MUSIC_RATE
    with pytest.raises(ValueError, match="cannot encode 192 kbit/s at 22050 Hz"):
        encode_segment(make_wav(), lead=0, tail=0, bitrate=192, sample_rate=SPEECH_RATE)


def test_join_rejects_parts_of_two_sample_rates(make_wav, tmp_path):
    speech, music = tmp_path / "a.mp3", tmp_path / "b.mp3"
    speech.write_bytes(encode_segment(make_wav(), lead=0, tail=0))
    music.write_bytes(encode_segment(make_wav(), lead=0, tail=0, sample_rate=MUSIC_RATE))
    with open(tmp_path / "out.mp3", "wb") as out, pytest.raises(ValueError, match=r"b\.mp3"):
        join_parts([speech, music], out)


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
    assert ms == round(frames * 576 * 1000 / 22050)  # a frame lasts as long at 22.05 kHz


def test_importing_stitch_loads_neither_pydub_nor_lameenc():
    code = "import sys, audio.stitch; print('pydub' in sys.modules or 'lameenc' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- loudness, chime and music ---------------------------------------------------------


def test_loudness_none_keeps_the_samples_as_they_are(make_wav, tmp_path, decode_mp3):
    wav = make_wav(seconds=2.0)  # a 440 Hz tone at a quarter of full scale: about -15 LUFS
    raw = encode_segment(wav, lead=0, tail=0, loudness=None)
    assert raw == encode_segment(wav, lead=0, tail=0, loudness=None)
    assert raw != encode_segment(wav, lead=0, tail=0)
    peak = np.abs(decode_mp3(raw)).max()
    assert peak == pytest.approx(8000 / 32768, rel=0.05)


@pytest.mark.parametrize("target", [-16.0, -19.0])
def test_encoded_tone_decodes_at_the_target_loudness(make_wav, tmp_path, target, decode_mp3):
    data = encode_segment(make_wav(seconds=3.0), lead=0.5, tail=0.5, loudness=target)
    audio = decode_mp3(data)
    assert ld.integrated_loudness(audio, SPEECH_RATE) == pytest.approx(target, abs=0.5)
    assert ld.true_peak_db(audio, SPEECH_RATE) <= -1.0


def test_the_chime_plays_inside_the_lead(make_wav, tmp_path, decode_mp3):
    wav = make_wav(seconds=1.0)
    plain = encode_segment(wav, lead=1.4, tail=0.25)
    chimed = encode_segment(wav, lead=1.4, tail=0.25, chime=True)
    assert chimed == encode_segment(wav, lead=1.4, tail=0.25, chime=True)
    assert scan_frames(chimed).frames == scan_frames(plain).frames  # same length
    audio = decode_mp3(chimed)
    delay = 1105  # LAME's encoder delay and the decoder's, in samples

    def level(start: float, end: float) -> float:
        part = audio[delay + round(start * SPEECH_RATE) : delay + round(end * SPEECH_RATE)]
        return 20 * math.log10(max(np.abs(part).max(), 1e-9))

    # Centred in the 1.4 s lead: 0.4 s silence, 0.6 s chime, 0.4 s silence, speech.
    assert level(0.0, 0.38) < -60
    assert level(0.42, 0.95) > -20
    assert level(1.02, 1.38) < -60
    assert level(1.42, 2.3) > -20
    # The speech is the same (up to MP3 coding noise) with or without the chime.
    ending = decode_mp3(plain)[-SPEECH_RATE // 2 :]
    assert np.abs(ending - audio[-SPEECH_RATE // 2 :]).max() < 0.005


def test_the_chime_needs_a_long_enough_lead(make_wav):
    assert min_chime_lead() == pytest.approx(0.8)
    encode_segment(make_wav(), lead=0.8, tail=0, chime=True)
    with pytest.raises(ValueError, match=r"at least 0\.8 s"):
        encode_segment(make_wav(), lead=0.6, tail=0, chime=True)


def test_a_chime_without_loudness_processing(make_wav, tmp_path, decode_mp3):
    data = encode_segment(make_wav(), lead=1.0, tail=0, chime=True, loudness=None)
    bell = decode_mp3(data)[1105 : 1105 + round(0.8 * SPEECH_RATE)]
    assert ld.integrated_loudness(bell, SPEECH_RATE) == pytest.approx(-20, abs=1)


def test_without_loudness_the_speech_is_encoded_as_espeak_ng_wrote_it(make_wav, tmp_path):
    # The chime and music are added around the WAV's own 16-bit samples: the same bytes
    # as encoding the whole segment's samples at once.
    wav = make_wav()
    with wave.open(str(wav), "rb") as w:
        rate, speech = w.getframerate(), ld.from_pcm16(w.readframes(w.getnframes()))
    jingle = tmp_path / "jingle.wav"
    with wave.open(str(jingle), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(ld.to_pcm16(0.3 * np.sin(2 * np.pi * 660 * np.arange(rate) / rate)))
    music = load_music(jingle, rate, target_lufs=ld.TARGET_LUFS, ceiling_dbtp=ld.CEILING_DBTP)
    lead = np.zeros(round(1.0 * rate))
    bell = ld.chime(rate, target_lufs=ld.TARGET_LUFS - ld.CHIME_BELOW_LU)
    after = max(round(0.2 * rate), (len(lead) - len(bell)) // 2)
    lead[len(lead) - len(bell) - after : len(lead) - after] = bell
    whole = np.concatenate((music, lead, speech, np.zeros(round(0.5 * rate))))
    expected = encode_pcm(ld.to_pcm16(whole), rate, MUSIC_RATE, 64, 5)
    data = encode_segment(
        wav, lead=1.0, tail=0.5, chime=True, music_before=jingle, loudness=None, quality=5
    )
    assert data == expected


def test_silent_and_very_short_wavs_still_encode(tmp_path):
    for name, seconds in (("silent.wav", 1.0), ("short.wav", 0.05), ("empty.wav", 0)):
        path = tmp_path / name
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(22050)
            if name == "short.wav":
                n = round(seconds * 22050)
                tone = 0.3 * np.sin(2 * np.pi * 440 * np.arange(n) / 22050)
                w.writeframes(ld.to_pcm16(tone))
            else:
                w.writeframes(b"\0\0" * round(seconds * 22050))
        data = encode_segment(path, lead=0.9, tail=0.2, chime=True)
        assert scan_frames(data).audio_size == len(data)


@pytest.mark.parametrize("bitrate", [32, 64, 128, 320])
def test_mp3_headroom_covers_every_bitrate(bitrate):
    boost, ceiling = mp3_headroom(bitrate)
    assert 0 <= boost <= 0.5 and -3 <= ceiling <= -1.5


def write_tone_wav(path: Path, *, rate: int, channels: int, seconds: float, amp: float) -> Path:
    n = round(seconds * rate)
    tone = amp * np.sin(2 * np.pi * 523.25 * np.arange(n) / rate)
    frames = np.repeat(np.rint(tone * 32767).astype("<i2"), channels).tobytes()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return path


def test_load_music_from_a_stereo_48k_wav(tmp_path):
    wav = write_tone_wav(tmp_path / "m.wav", rate=48000, channels=2, seconds=3, amp=0.05)
    music = load_music(wav, MUSIC_RATE)
    assert music.ndim == 1 and len(music) == pytest.approx(3 * MUSIC_RATE, abs=2)
    assert ld.integrated_loudness(music, MUSIC_RATE) == pytest.approx(-16, abs=0.5)
    assert ld.true_peak_db(music, MUSIC_RATE) <= -1.5
    assert ld.to_pcm16(load_music(wav, MUSIC_RATE)) == ld.to_pcm16(music)


def test_load_music_from_an_mp3(tmp_path):
    wav = write_tone_wav(tmp_path / "m.wav", rate=44100, channels=1, seconds=2, amp=0.5)
    mp3 = ffmpeg_mp3(wav, tmp_path / "m.mp3")
    music = load_music(mp3, 22050, target_lufs=-20)
    assert len(music) == pytest.approx(2 * 22050, abs=1200)  # MP3 adds delay and padding
    assert ld.integrated_loudness(music, 22050) == pytest.approx(-20, abs=0.5)


def test_music_before_and_after_a_segment(make_wav, tmp_path, decode_mp3):
    jingle = write_tone_wav(tmp_path / "j.wav", rate=44100, channels=1, seconds=2, amp=0.3)
    wav = make_wav(seconds=1.0)
    plain = scan_frames(encode_segment(wav, lead=0.5, tail=0.5)).duration
    both = encode_segment(wav, lead=0.5, tail=0.5, music_before=jingle, music_after=jingle)
    assert scan_frames(both).duration == pytest.approx(plain + 4, abs=0.03)
    audio = decode_mp3(both)
    assert ld.integrated_loudness(audio, MUSIC_RATE) == pytest.approx(-16, abs=0.5)


@pytest.mark.parametrize(
    "content, message",
    [(None, "does not exist"), (b"not audio at all", "cannot read music file")],
    ids=["missing", "junk"],
)
def test_load_music_names_an_unreadable_file(tmp_path, content, message):
    path = tmp_path / "intro.mp3"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError, match=message) as info:
        load_music(path, MUSIC_RATE)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


# --- long segments: streamed in chunks ------------------------------------------------


def write_speechlike_wav(path: Path, *, seconds: float) -> Path:
    """Speech-like 22.05 kHz audio at about -21 LUFS with loud clicks, as espeak-ng writes."""
    rate = 22050
    rng = np.random.default_rng(3)
    t = np.arange(round(seconds * rate)) / rate
    buzz = sum(np.sin(2 * np.pi * 120 * k * t) / k for k in range(1, 40))
    x = (buzz + 0.3 * rng.standard_normal(len(t))) * np.clip(np.sin(2 * np.pi * 3.7 * t), 0, 1)
    for start in range(round(0.3 * rate), len(t) - 400, round(0.9 * rate)):
        x[start : start + 331] += 4 * rng.standard_normal(331) * np.hanning(331)
    x *= 10 ** ((-21 - ld.integrated_loudness(x, rate)) / 20)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(ld.to_pcm16(x))
    return path


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 20,000 samples, so that a few seconds already stream."""
    monkeypatch.setattr(ld, "STREAM_CHUNK", 20000)


def test_incremental_encoding_gives_the_same_bytes():
    rate = SPEECH_RATE
    x = 0.3 * np.sin(2 * np.pi * 440 * np.arange(3 * rate) / rate)
    whole = stitch.encode_pcm(ld.to_pcm16(x), rate, rate, 64, 5)
    pieces = (x[i : i + 7777] for i in range(0, len(x), 7777))
    new_encoder = functools.partial(stitch._encoder, rate, rate, 64, 5)
    assert stitch._encode_chunks(pieces, new_encoder) == (whole, len(x))


@pytest.mark.parametrize("previewed_right", [True, False])
def test_encoding_ahead_gives_the_same_bytes_right_or_wrong(previewed_right):
    rate = SPEECH_RATE
    x = 0.3 * np.sin(2 * np.pi * 440 * np.arange(3 * rate) / rate)
    head, speech, tail = x[:5000], x[5000:60000], x[60000:]
    chunks = [speech[i : i + 7777] for i in range(0, len(speech), 7777)]
    new_encoder = functools.partial(stitch._encoder, rate, rate, 64, 5)
    whole = stitch._encode_chunks([head, *chunks, tail], new_encoder)
    made = []  # encoders made besides the one ahead

    def another_encoder():
        made.append(new_encoder())
        return made[-1]

    with stitch._Ahead(new_encoder()) as ahead, tempfile.TemporaryFile() as tape:

        def speak():
            for chunk in chunks:  # as normalize_stream: all previewed, then yielded
                ahead.preview(chunk if previewed_right else 0.5 * chunk)
            yield from chunks

        got = stitch._encode_ahead([head], speak(), [tail], ahead, another_encoder, tape)
        assert tape.tell() == 4 * len(x)
    assert got == whole
    assert len(made) == (0 if previewed_right else 1)


@pytest.mark.parametrize("bitrate", [48, 128])
def test_a_streamed_segment_decodes_at_the_target(small_chunks, tmp_path, bitrate, decode_mp3):
    wav = write_speechlike_wav(tmp_path / "s.wav", seconds=8.0)
    jingle = write_tone_wav(tmp_path / "j.wav", rate=44100, channels=1, seconds=1, amp=0.3)
    kwargs = dict(lead=1.0, tail=0.5, bitrate=bitrate, chime=True, music_after=jingle)
    data = encode_segment(wav, **kwargs)
    assert data == encode_segment(wav, **kwargs)
    assert data == encode_segment(wav, **kwargs, ahead=True)
    assert scan_frames(data).duration == pytest.approx(8.0 + 1.5 + 1.0, abs=0.1)
    audio = decode_mp3(data)
    assert ld.integrated_loudness(audio, MUSIC_RATE) == pytest.approx(-16.0, abs=0.5)
    assert ld.true_peak_db(audio, MUSIC_RATE) <= -1.0


def test_the_peak_check_decodes_without_a_word_on_stderr(small_chunks, tmp_path, capfd):
    # libmpg123 complains on stderr when it is stopped inside a 22.05 kHz frame.
    wav = write_speechlike_wav(tmp_path / "s.wav", seconds=6.0)
    data = encode_segment(wav, lead=0.5, tail=0.5)
    stitch._decoded_peaks(data, SPEECH_RATE, -60.0)
    assert capfd.readouterr().err == ""


def test_decoded_peaks_in_chunks_are_those_of_the_whole(small_chunks, tmp_path):
    # Decoded front to back without seeking (a seek costs libmpg123 its bit reservoir),
    # chunk by chunk with context: the same peaks as the whole decoded signal's.
    wav = write_speechlike_wav(tmp_path / "s.wav", seconds=6.0)
    data = encode_segment(wav, lead=0.5, tail=0.5, loudness=None)
    with stitch._decoded(data, SPEECH_RATE) as mp3:
        whole = ld.sample_peaks(mp3.read(dtype="float64"), SPEECH_RATE)
    level = np.sort(whole)[-200]  # the 200 highest peaks
    at, peaks = stitch._decoded_peaks(data, SPEECH_RATE, 20 * math.log10(level) - 1e-9)
    assert len(whole) > 5 * ld.STREAM_CHUNK
    assert at.tolist() == np.flatnonzero(whole >= level).tolist()
    assert np.allclose(peaks, whole[at], rtol=1e-12, atol=0)


def test_peaks_the_mp3_coder_lifts_are_turned_down_in_chunks(
    small_chunks, tmp_path, monkeypatch, decode_mp3
):
    wav = write_speechlike_wav(tmp_path / "s.wav", seconds=6.0)
    monkeypatch.setattr(stitch, "MP3_PEAK_DBTP", -3.0)  # far under the limiter's -2 dBTP
    data = encode_segment(wav, lead=0.5, tail=0.5, bitrate=64)
    assert data == encode_segment(wav, lead=0.5, tail=0.5, bitrate=64)
    assert ld.true_peak_db(decode_mp3(data), SPEECH_RATE) <= -3.0 + 0.05


def test_speech_wavs_are_read_as_they_are_and_other_wavs_through_pydub(tmp_path):
    from pydub import AudioSegment

    mono = write_tone_wav(tmp_path / "mono.wav", rate=22050, channels=1, seconds=1, amp=0.3)
    stereo = write_tone_wav(tmp_path / "stereo.wav", rate=22050, channels=2, seconds=1, amp=0.3)
    for wav in (mono, stereo):
        expected = AudioSegment.from_wav(str(wav)).set_channels(1).set_sample_width(2)
        assert stitch._read_pcm(wav) == (expected.raw_data, 22050)
    # A worker reads the synthesizer's mono 16-bit WAVs without importing pydub (40 ms).
    code = (
        "import sys; from pathlib import Path; from audio import stitch; "
        f"stitch._read_pcm(Path({str(mono)!r})); print('pydub' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
