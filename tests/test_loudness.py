"""Loudness: BS.1770 measurement, true peak, the limiter, the chime (synthetic signals),
and the whole chain on real espeak-ng speech, decoded from the MP3 by ffmpeg."""

from __future__ import annotations

import itertools
import math
import multiprocessing
import wave
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from scipy.ndimage import maximum_filter1d

from audio import loudness as ld
from audio.speech import EspeakSynthesizer, Voice
from audio.stitch import SPEECH_RATE, encode_segment, join_parts

RATE = 44100
HANG_GUARD = 120  # seconds; only against a hung speech worker, never a speed limit


def set_loudness(x: np.ndarray, rate: int, lufs: float) -> np.ndarray:
    """`x` scaled by plain gain to measure `lufs` (may exceed full scale: floats)."""
    return x * 10 ** ((lufs - ld.integrated_loudness(x, rate)) / 20)


def tone_bursts(rate: int, *, seconds: float = 6.0, frequency: float = 997.0) -> np.ndarray:
    """A sine switched on for 0.3 s and off for 0.2 s, with 5 ms ramps."""
    t = np.arange(round(seconds * rate)) / rate
    on = (t % 0.5) < 0.3
    ramp = np.minimum(1.0, np.minimum(t % 0.5, 0.3 - t % 0.5) / 0.005)
    return np.sin(2 * np.pi * frequency * t) * np.where(on, ramp, 0.0)


def speechlike(rate: int, *, seconds: float = 8.0, seed: int = 5) -> np.ndarray:
    """Syllables of voiced buzz (a 120 Hz wave rich in harmonics) and noise, with a
    plosive-like click of loud noise every 0.9 s: peaks far above the body, as in speech."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * rate)) / rate
    buzz = sum(np.sin(2 * np.pi * 120 * k * t) / k for k in range(1, 40) if 120 * k < rate / 2)
    noise = rng.standard_normal(len(t)) * 0.3
    syllables = np.clip(np.sin(2 * np.pi * 3.7 * t) * 1.5, 0, 1) ** 2
    x = (buzz + noise) * syllables
    burst = round(0.015 * rate)
    for start in range(round(0.3 * rate), len(t) - burst, round(0.9 * rate)):
        x[start : start + burst] += 4 * rng.standard_normal(burst) * np.hanning(burst)
    return x


def clipped(rate: int) -> np.ndarray:
    """Loud, dense, hard-clipped audio: most syllables flat-topped at full scale."""
    return np.clip(set_loudness(speechlike(rate, seed=9), rate, -3.0), -1, 1)


def check_normalized(y: np.ndarray, rate: int) -> None:
    assert ld.integrated_loudness(y, rate) == pytest.approx(-16.0, abs=0.5)
    assert ld.true_peak_db(y, rate) <= -1.0


# --- measuring -------------------------------------------------------------------------


def test_a_full_scale_1khz_sine_measures_minus_3_lufs():
    # BS.1770's calibration: a 0 dBFS 997 Hz sine in one channel reads -3.01 LKFS.
    x = np.sin(2 * np.pi * 997 * np.arange(5 * RATE) / RATE)
    assert ld.integrated_loudness(x, RATE) == pytest.approx(-3.01, abs=0.05)


def test_true_peak_finds_the_peak_between_samples():
    # A quarter-rate sine sampled 45 degrees off its crests: samples reach only 0.707.
    # (Faded in and out: a sudden start has real overshoot of its own.)
    n = np.arange(RATE)
    fade = np.minimum(1, np.minimum(n, RATE - 1 - n) / 441)
    x = 0.5 * np.sin(np.pi / 2 * n + np.pi / 4) * fade
    assert 20 * math.log10(np.abs(x).max()) == pytest.approx(-9.03, abs=0.01)
    assert ld.true_peak_db(x, RATE) == pytest.approx(-6.02, abs=0.1)


@pytest.mark.parametrize("rate", [22050, 44100])
def test_short_input_is_measured_as_one_block(rate):
    tone = 0.1 * np.sin(2 * np.pi * 440 * np.arange(2 * rate) / rate)
    long = ld.integrated_loudness(tone, rate)
    assert ld.integrated_loudness(tone[: rate // 5], rate) == pytest.approx(long, abs=0.3)


def test_silence_measures_minus_infinity():
    assert ld.integrated_loudness(np.zeros(RATE), RATE) == -math.inf
    assert ld.integrated_loudness(np.zeros(0), RATE) == -math.inf
    assert ld.true_peak_db(np.zeros(10), RATE) == -math.inf


@pytest.mark.parametrize("rate", [16000, 22050, 44100, 48000])
@pytest.mark.parametrize("seconds", [0.4, 0.45, 1.0, 3.37, 12.0])
def test_integrated_loudness_is_pyloudnorms(rate, seconds):
    x = speechlike(rate, seconds=seconds, seed=round(seconds * 100))
    x[: len(x) // 3] *= 0.01  # a quiet stretch, for the relative gate
    n = max(len(x), math.ceil(ld.BLOCK_SECONDS * rate))
    x = np.concatenate((x, np.zeros(n - len(x))))
    expected = float(pyloudnorm.Meter(rate).integrated_loudness(x))
    assert ld.integrated_loudness(x, rate) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("rate", [22050, 44100])
@pytest.mark.parametrize("level_db", [-30.0, -12.0, -6.0, -1.0, 3.0])
def test_peaks_above_a_level_are_the_full_ones_where_they_count(rate, level_db):
    x = 0.5 * speechlike(rate, seconds=3) / np.abs(speechlike(rate, seconds=3)).max()
    full = ld.sample_peaks(x, rate)
    fast = ld.sample_peaks(x, rate, above_dbtp=level_db)
    over = full > 10 ** (level_db / 20)
    assert np.array_equal(fast > 10 ** (level_db / 20), over)
    assert np.allclose(fast[over], full[over], rtol=1e-12, atol=0)
    # Elsewhere |x| or the peak, worked out on a piece: the same up to rounding (test_dsp).
    assert np.all(np.abs(x) <= fast) and np.all(fast[~over] <= full[~over] * (1 + 1e-12))


@pytest.mark.parametrize("n", [1, 5, 16, 17, 100, 1001])
def test_true_peak_is_the_largest_sample_peak(n):
    x = np.random.default_rng(n).standard_normal(n)
    assert ld.true_peak_db(x, RATE) == pytest.approx(
        20 * math.log10(ld.sample_peaks(x, RATE).max()), abs=1e-12
    )


def test_the_peak_bound_holds_for_the_worst_signal():
    # Samples of the signs of the taps of one phase: the interpolated point there
    # reaches the sum of their magnitudes, which `_overshoot` must cover.
    taps = ld._phase_taps(4)
    phase = int(np.argmax(np.abs(taps).sum(axis=0)))
    x = np.zeros(64)
    x[20:33] = np.sign(taps[:, phase])
    assert ld.sample_peaks(x, RATE).max() <= ld._overshoot(4)
    assert ld.sample_peaks(x, RATE).max() > 0.99 * ld._overshoot(4)
    assert np.array_equal(ld.sample_peaks(x, RATE, above_dbtp=0.0), ld.sample_peaks(x, RATE))


def dense_envelope(need: np.ndarray, rate: int) -> np.ndarray:
    """The limiter's envelope computed over every sample (the original, plain form)."""
    positive = need > 0
    step = 1.0 / (ld.RELEASE * rate)
    ramp = np.arange(len(need)) * step
    log_need = np.full(len(need), -np.inf)
    log_need[positive] = np.log(need[positive])
    att = np.exp(np.maximum.accumulate(log_need + ramp) - ramp)
    att[(att < ld.RELEASE_FLOOR_DB) & ~positive] = 0.0
    half = max(1, round(ld.ATTACK * rate / 2))
    size = 2 * half + 1
    ahead = maximum_filter1d(att, size=size, origin=-(size // 2), mode="constant")
    micro = np.ceil(ahead * 1e6).astype(np.int64)
    width = half + 1
    return ld._box_sum(ld._box_sum(micro, width), width) / (width * width * 1e6)


@pytest.mark.parametrize("n", [1, 7, 300, 20000])
@pytest.mark.parametrize("rate", [8000, 22050, 44100])
def test_envelope_equals_its_plain_form(n, rate):
    rng = np.random.default_rng(n + rate)
    need = np.where(rng.random(n) < 0.02, rng.random(n) * 6, 0.0)
    need[rng.random(n) < 0.005] = 1e-4  # needs under the release floor
    assert np.array_equal(ld._envelope(need, rate), dense_envelope(need, rate))


@pytest.mark.parametrize("size", [1, 2, 3, 221, 1000])
def test_max_ahead_is_a_forward_running_maximum(size):
    values = np.random.default_rng(size).random(777)
    expected = maximum_filter1d(values, size=size, origin=-(size // 2), mode="constant")
    assert np.array_equal(ld._max_ahead(values, size), expected)


def test_normalize_lands_on_its_target_in_one_full_pass(monkeypatch):
    x = set_loudness(speechlike(RATE, seconds=20), RATE, -21.0)
    passes = []
    envelope = ld._envelope
    monkeypatch.setattr(
        ld, "_envelope", lambda need, rate: passes.append(rate) or envelope(need, rate)
    )
    y = ld.normalize(x, RATE)
    assert passes.count(RATE) == 1  # the sketch's passes run at a lower rate
    assert ld.integrated_loudness(y, RATE) == pytest.approx(-16.0, abs=ld.TOLERANCE_LU)
    assert ld.true_peak_db(y, RATE) <= ld.CEILING_DBTP


# --- normalizing -----------------------------------------------------------------------


@pytest.mark.parametrize("rate", [22050, 44100])
@pytest.mark.parametrize("lufs", [-30.0, -10.0])
def test_tone_bursts_come_out_at_minus_16(rate, lufs):
    x = set_loudness(tone_bursts(rate), rate, lufs)
    check_normalized(ld.normalize(x, rate), rate)


@pytest.mark.parametrize("lufs", [-30.0, -21.0, -10.0])
def test_speechlike_signal_comes_out_at_minus_16(lufs):
    x = set_loudness(speechlike(RATE), RATE, lufs)
    assert ld.true_peak_db(x * 10 ** ((-16 - lufs) / 20), RATE) > 0  # plain gain would clip
    check_normalized(ld.normalize(x, RATE), RATE)


def test_a_loud_clipped_signal_is_turned_down_and_limited():
    x = clipped(RATE)
    assert ld.integrated_loudness(x, RATE) > -10
    check_normalized(ld.normalize(x, RATE), RATE)


def test_sparse_clicks_over_a_quiet_tone_are_limited():
    x = 0.02 * np.sin(2 * np.pi * 300 * np.arange(6 * RATE) / RATE)
    x[RATE // 2 :: RATE // 3] = 1.0  # clicks far above what gain to -16 LUFS allows
    check_normalized(ld.normalize(x, RATE), RATE)


@pytest.mark.parametrize("target, ceiling", [(-14.0, -1.0), (-19.0, -2.5)])
def test_other_targets_and_ceilings(target, ceiling):
    y = ld.normalize(speechlike(RATE), RATE, target_lufs=target, ceiling_dbtp=ceiling)
    assert ld.integrated_loudness(y, RATE) == pytest.approx(target, abs=0.5)
    assert ld.true_peak_db(y, RATE) <= ceiling


def test_normalize_is_deterministic():
    x = set_loudness(speechlike(RATE, seed=3), RATE, -22.0)
    first = ld.to_pcm16(ld.normalize(x, RATE))
    assert ld.to_pcm16(ld.normalize(x.copy(), RATE)) == first
    assert ld.to_pcm16(ld.normalize(x, RATE, target_lufs=-17)) != first


@pytest.mark.parametrize("n", [0, 1, 100, 4000])
def test_silence_comes_back_unchanged(n):
    y = ld.normalize(np.zeros(n), RATE)
    assert y.shape == (n,) and not np.any(y)


def test_near_silence_below_the_absolute_gate_is_left_alone():
    x = 1e-5 * np.sin(2 * np.pi * 440 * np.arange(RATE) / RATE)  # about -100 LUFS
    assert np.array_equal(ld.normalize(x, RATE), x)


@pytest.mark.parametrize("seconds", [0.01, 0.1, 0.39])
def test_short_input_is_normalized_as_one_block(seconds):
    x = 0.05 * tone_bursts(RATE, seconds=seconds)
    y = ld.normalize(x, RATE)
    assert len(y) == len(x)
    assert ld.integrated_loudness(y, RATE) == pytest.approx(-16, abs=0.5)
    assert ld.true_peak_db(y, RATE) <= -1.5


def test_normalize_rejects_more_than_one_channel():
    with pytest.raises(ValueError, match="mono"):
        ld.normalize(np.zeros((100, 2)), RATE)


# --- the limiter -----------------------------------------------------------------------


def test_limit_passes_quiet_audio_bit_for_bit():
    x = 0.3 * speechlike(RATE) / np.abs(speechlike(RATE)).max()
    assert np.array_equal(ld.limit(x, RATE, ceiling_dbtp=-1.5), x)


def test_limit_touches_only_the_neighbourhood_of_a_peak():
    x = 0.1 * np.sin(2 * np.pi * 440 * np.arange(2 * RATE) / RATE)
    x[RATE] = 1.0
    y = ld.limit(x, RATE, ceiling_dbtp=-3.0)
    assert ld.true_peak_db(y, RATE) <= -3.0
    changed = np.flatnonzero(y != x)
    # Look-ahead before the click; the release ends under 0.01 dB: after 9 time constants.
    assert changed[0] >= RATE - ld.ATTACK * RATE - 2
    assert changed[-1] <= RATE + 10 * ld.RELEASE * RATE
    assert np.array_equal(y[: RATE // 2], x[: RATE // 2])


def test_attenuate_turns_down_at_least_what_is_asked_and_smoothly():
    x = np.full(RATE, 0.5)
    need = np.zeros(RATE)
    need[RATE // 2] = 6.0
    y = ld.attenuate(x, RATE, need)
    assert y[RATE // 2] <= 0.5 * 10 ** (-6 / 20) + 1e-12
    assert np.abs(np.diff(y)).max() < 0.01  # ramps, no step
    assert y[0] == 0.5 and np.array_equal(ld.attenuate(x, RATE, np.zeros(RATE)), x)


# --- streaming ---------------------------------------------------------------------------


def pcm16_speechlike(seconds: float = 8.0, seed: int = 5) -> np.ndarray:
    """speechlike at 22.05 kHz and about -21 LUFS, as espeak-ng's 16-bit samples."""
    x = set_loudness(speechlike(22050, seconds=seconds, seed=seed), 22050, -21.0)
    return np.frombuffer(ld.to_pcm16(x), dtype="<i2")


@pytest.mark.parametrize("rate, new_rate", [(22050, 44100), (48000, 44100), (44100, 44100)])
def test_resampling_in_stretches_is_resampling_the_whole(rate, new_rate):
    pcm = np.frombuffer(ld.to_pcm16(0.5 * speechlike(rate, seconds=1.0)), dtype="<i2")
    whole = ld.resample(ld.from_pcm16(pcm.tobytes()), rate, new_rate)
    source = ld._Resampled(pcm, rate, new_rate)
    assert source.length == len(whole)
    bounds = [0, 1, 999, 5000, 12345, len(whole) - 3, len(whole)]
    pieces = [source.get(a, b) for a, b in itertools.pairwise(bounds)]
    assert np.array_equal(np.concatenate(pieces), whole)


@pytest.mark.parametrize("rate", [22050, 44100])
def test_a_pass_in_chunks_is_the_whole_limiter(rate):
    pcm = pcm16_speechlike()
    x = ld.resample(ld.from_pcm16(pcm.tobytes()), 22050, rate)
    factor, aim, ceiling = ld._gain(6.0), -2.1, -2.0
    peaks = None
    if rate == 22050:  # not resampled: the peaks come from the analysis, as in normalize_stream
        analysis = ld._Analysis(pcm, 22050, 20000, keep_peaks=True)
        analysis.tops(10 ** (aim / 20) / factor)
        peaks = analysis.peaks
    source = ld._Resampled(pcm, 22050, rate)
    done = ld._Pass(source, 20000, factor, aim, ceiling, 20.0, peaks)
    try:
        y = np.concatenate(list(done.read(20000)))
    finally:
        done.close()
    whole = ld._cap(ld._limit(x * factor, rate, aim), rate, ceiling)
    assert np.abs(y - whole).max() < 1e-6  # the pass keeps 32-bit floats
    off = 1e-9 if peaks is None else 1e-7  # the analysis keeps 32-bit peaks
    assert done.loudness == pytest.approx(ld.integrated_loudness(whole, rate), abs=off)


@pytest.mark.parametrize("rate", [22050, 44100])
@pytest.mark.parametrize("seed", [5, 7])
def test_normalize_stream_lands_where_normalize_does(seed, rate):
    pcm = pcm16_speechlike(seed=seed)
    whole = ld.normalize(ld.resample(ld.from_pcm16(pcm.tobytes()), 22050, rate), rate)
    chunks = list(ld.normalize_stream(pcm, 22050, rate, chunk=20000))
    assert len(chunks) > 5
    y = np.concatenate(chunks)
    assert len(y) == len(whole)
    got = ld.integrated_loudness(y, rate)
    assert got == pytest.approx(-16.0, abs=ld.TOLERANCE_LU)
    assert got == pytest.approx(ld.integrated_loudness(whole, rate), abs=0.1)
    assert ld.true_peak_db(y, rate) <= ld.CEILING_DBTP + 1e-6
    again = np.concatenate(list(ld.normalize_stream(pcm, 22050, rate, chunk=20000)))
    assert np.array_equal(again, y)


def test_normalize_stream_previews_the_chunks_it_yields(monkeypatch):
    _Pass = ld._Pass
    pcm = pcm16_speechlike(seed=5)
    previewed = []
    stream = ld.normalize_stream(pcm, 22050, 22050, chunk=20000, preview=previewed.append)
    first = next(stream)  # the pass is made before the first chunk comes out
    assert len(previewed) > 5
    chunks = [first, *stream]
    assert len(chunks) == len(previewed)
    assert all(np.array_equal(a, b) for a, b in zip(chunks, previewed, strict=True))
    # Further passes (when a gain misses the target) are not previewed: only the first.
    monkeypatch.setattr(ld, "TOLERANCE_LU", 1e-12)
    passes = []
    monkeypatch.setattr(ld, "_Pass", lambda *a: passes.append(a) or _Pass(*a))
    previewed.clear()
    chunks = list(ld.normalize_stream(pcm, 22050, 22050, chunk=20000, preview=previewed.append))
    assert len(passes) == ld.MAX_PASSES > 1
    assert len(previewed) == len(chunks)


def test_normalize_stream_of_short_input_is_normalize():
    pcm = pcm16_speechlike(seconds=1.5)
    whole = ld.normalize(ld.resample(ld.from_pcm16(pcm.tobytes()), 22050, RATE), RATE)
    assert np.array_equal(np.concatenate(list(ld.normalize_stream(pcm, 22050, RATE))), whole)


def test_normalize_stream_leaves_silence_alone():
    pcm = np.zeros(3 * 22050, dtype="<i2")
    y = np.concatenate(list(ld.normalize_stream(pcm, 22050, RATE, chunk=10000)))
    assert len(y) == 6 * 22050 and not np.any(y)


def test_attenuation_in_stretches_is_attenuate():
    x = 0.5 * speechlike(RATE, seconds=3.0)
    at = np.array([RATE, 100, RATE + 5, 2 * RATE + 7, len(x) - 1])
    need = np.array([3.0, 1.0, 6.0, 0.5, 2.0])
    dense = np.zeros(len(x))
    np.maximum.at(dense, at, need)
    whole = ld.attenuate(x, RATE, dense)
    fix = ld.Attenuation(RATE, at, need)
    bounds = [*range(0, len(x), 7000), len(x)]
    pieces = [fix.apply(x[a:b], a, len(x)) for a, b in itertools.pairwise(bounds)]
    assert np.abs(np.concatenate(pieces) - whole).max() < 1e-6  # micro-decibel rounding


# --- chime, resampling, PCM --------------------------------------------------------------


@pytest.mark.parametrize("rate", [22050, 44100])
def test_chime_is_short_quiet_and_deterministic(rate):
    bell = ld.chime(rate)
    assert len(bell) == round(ld.CHIME_SECONDS * rate)
    assert ld.integrated_loudness(bell, rate) == pytest.approx(-20.0, abs=0.5)
    assert ld.true_peak_db(bell, rate) <= ld.CEILING_DBTP
    assert abs(bell[0]) < 1e-3 and abs(bell[-1]) < 1e-3  # no click at either end
    assert ld.to_pcm16(ld.chime(rate)) == ld.to_pcm16(bell)


def test_chime_follows_its_target():
    assert ld.integrated_loudness(ld.chime(RATE, target_lufs=-25), RATE) == pytest.approx(
        -25, abs=0.5
    )


def test_resample_keeps_duration_and_loudness():
    x = speechlike(22050, seconds=3)
    y = ld.resample(x, 22050, 44100)
    assert len(y) == 2 * len(x)
    # (Its white noise reaches 11 kHz, where the resampling filter starts to roll off.)
    assert ld.integrated_loudness(y, 44100) == pytest.approx(
        ld.integrated_loudness(x, 22050), abs=0.2
    )
    assert len(ld.resample(x, 22050, 16000)) == math.ceil(len(x) * 16000 / 22050)


def test_pcm16_round_trip_and_clipping():
    x = np.array([0.0, 0.5, -0.5, 1.5, -1.5, 1 / 32768])
    assert np.frombuffer(ld.to_pcm16(x), "<i2").tolist() == [0, 16384, -16384, 32767, -32768, 1]
    assert np.array_equal(ld.from_pcm16(ld.to_pcm16(x[:3])), x[:3])


# --- real espeak-ng speech through encode_segment and ffmpeg -----------------------------

PARAGRAPHS = (
    "Researchers released a new open model this week that matches larger systems on "
    "several benchmarks. The team says the training recipe, the data mixture and the "
    "evaluation code are all public, and early users report that it runs comfortably "
    "on a single graphics card.",
    "Quick hits: version 2.3.1 shipped on the 14th of February at 9:30 a.m., fixing "
    "bugs 4412 and 4419. Critics point out that the benchmarks are saturated, and that "
    "real-world tasks tell a different story!",
)


def speak(text: str, out: Path) -> None:
    """Run in a fresh process, as the pipeline's workers do."""
    EspeakSynthesizer(Voice()).synthesize(text, out)


@pytest.fixture(scope="module")
def spoken(tmp_path_factory) -> tuple[Path, ...]:
    """The WAVs of PARAGRAPHS, each spoken by real espeak-ng in a fresh process."""
    folder = tmp_path_factory.mktemp("spoken")
    wavs = tuple(folder / f"p{i}.wav" for i in range(len(PARAGRAPHS)))
    context = multiprocessing.get_context("spawn")
    for text, wav in zip(PARAGRAPHS, wavs, strict=True):
        with context.Pool(1, maxtasksperchild=1) as pool:
            pool.apply_async(speak, (text, wav)).get(timeout=HANG_GUARD)
    return wavs


def test_raw_espeak_speech_is_quiet_and_would_clip_with_plain_gain(spoken):
    with wave.open(str(spoken[0])) as w:
        raw = ld.from_pcm16(w.readframes(w.getnframes()))
    loudness = ld.integrated_loudness(raw, 22050)
    assert -25 < loudness < -18
    assert ld.true_peak_db(raw, 22050) + (-16 - loudness) > 0


@pytest.mark.parametrize("bitrate", [32, 64, 128])
def test_real_speech_mp3_decodes_at_minus_16_lufs_under_minus_1_dbtp(
    spoken, tmp_path, bitrate, decode_mp3
):
    mp3 = tmp_path / "s.mp3"
    mp3.write_bytes(encode_segment(spoken[0], lead=0.6, tail=0.25, bitrate=bitrate))
    audio = decode_mp3(mp3)
    assert ld.integrated_loudness(audio, SPEECH_RATE) == pytest.approx(-16.0, abs=1.0)
    assert ld.true_peak_db(audio, SPEECH_RATE) <= -1.0


def test_segments_of_an_episode_sound_alike(spoken, tmp_path, decode_mp3):
    parts = []
    for i, wav in enumerate(spoken):
        parts.append(tmp_path / f"part{i}.mp3")
        parts[-1].write_bytes(encode_segment(wav, lead=1.4, tail=0.25, chime=i > 0))
    episode = tmp_path / "episode.mp3"
    with episode.open("wb") as out:
        join_parts(parts, out)
    whole = ld.integrated_loudness(decode_mp3(episode), SPEECH_RATE)
    assert whole == pytest.approx(-16.0, abs=1.0)
    assert ld.true_peak_db(decode_mp3(episode), SPEECH_RATE) <= -1.0
    for part in parts:
        assert ld.integrated_loudness(decode_mp3(part), SPEECH_RATE) == pytest.approx(
            whole, abs=1.5
        )


def test_real_speech_encodes_to_the_same_bytes_twice(spoken):
    first = encode_segment(spoken[1], lead=1.0, tail=0.25, chime=True)
    assert encode_segment(spoken[1], lead=1.0, tail=0.25, chime=True) == first
