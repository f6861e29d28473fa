"""Loudness: measure and normalize speech, and make the section chime (pure numpy).

Every episode should play at -16 LUFS integrated (BS.1770, as pyloudnorm measures it)
with true peaks at or below -1 dBTP (TECH-NOTES section 5). espeak-ng speaks at about
-21 LUFS with peaks near -1.5 dBFS, so plain gain to -16 LUFS clips: `normalize` applies
the gain and then a look-ahead peak limiter.

Samples are numpy float64 arrays, mono, full scale 1.0; every function here is pure.
numpy, scipy and pyloudnorm are imported with the module (scipy.signal alone takes about
a second), so a process that renders segments should import it before it forks.

Design of `normalize`:

1. Measure the integrated loudness (`integrated_loudness`). Input that measures below
   -70 LUFS (BS.1770's absolute gate; digital silence is -inf) is returned unchanged.
   Input shorter than one 400 ms gating block, which pyloudnorm refuses, is measured as
   a single block: zero-padded to 400 ms, then corrected for the padding's share.
2. Gain to the target, rounded to 0.01 dB. The rounding makes the gain the same number
   on every machine even where summation order (SIMD width) moves the measured loudness
   in its last bits.
3. Limit (`limit`). The true peak is found per sample by oversampling to at least
   `TRUE_PEAK_RATE` (4x at 44.1 kHz, 8x at 22.05 kHz; BS.1770 asks 4x at 48 kHz); it
   gives the attenuation in dB each sample needs to stay under the ceiling less
   `MARGIN_DB`. That requirement is
   spread into a smooth gain envelope in three exact or near-exact steps:
   - release: after each peak the attenuation decays exponentially with time constant
     `RELEASE` (a running maximum of decaying peaks, computed as one cumulative maximum
     in the log domain, so it is vectorized);
   - look-ahead: a forward running maximum over `ATTACK` seconds starts the attenuation
     that long before each peak;
   - smoothing: a triangular moving average `ATTACK` long, over the past only, in integer
     micro-decibels (exact). An average of values that each cover the peak never falls
     below the peak's need, so the ceiling still holds, and the gain ramps over 5 ms
     instead of jumping.
   Finally, if the true peak still exceeds the ceiling (modulating the gain moves
   inter-sample peaks a little), the whole signal is scaled down by the excess.
4. Limiting costs loudness (espeak-ng's speech needs 5 dB or more off its peaks at
   -16 LUFS). While the result is more than `TOLERANCE_LU` from the target, the gain
   is corrected and steps 2-3 run again on the input, at most `MAX_PASSES` times in
   all: the first correction assumes loudness follows gain one for one, later ones
   step along the secant through the last two tries. The try nearest the target wins.

The result is deterministic: no randomness, no dither, exact integer or max-based steps
where a float difference could add up, and callers quantize to 16 bits, which hides
last-bit differences of float functions between machines.

`attenuate` applies the limiter's smooth gain to any per-sample need (stitch uses it to
turn down the few spots where MP3 coding lifted a peak).

`chime` generates the two-tone bell played before a section: a few sine partials per
note with exponential decays, loudness-matched (by default 4 LU under the speech) and
peak-limited like speech.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pyloudnorm
from scipy.ndimage import maximum_filter1d
from scipy.signal import firwin, resample_poly

TARGET_LUFS = -16.0
CEILING_DBTP = -1.5
# Below BS.1770's absolute gate a signal counts as silence and is left alone.
SILENCE_LUFS = -70.0
BLOCK_SECONDS = 0.4  # one BS.1770 gating block; pyloudnorm needs at least this much
ATTACK = 0.005  # seconds of look-ahead: the gain ramps down this long before a peak
RELEASE = 0.05  # seconds: time constant of the attenuation's recovery after a peak
RELEASE_FLOOR_DB = 0.01  # a release has ended when the attenuation is under this
MARGIN_DB = 0.1  # the limiter aims this far below the ceiling
TOLERANCE_LU = 0.2  # normalize is done when this close to the target
MAX_PASSES = 3  # gain + limiter passes at most
TRUE_PEAK_RATE = 176400  # oversample to at least this rate (4x at 44.1 kHz)

CHIME_SECONDS = 0.6
CHIME_BELOW_LU = 4.0  # the chime sits this far under the speech's loudness
# (start in seconds, fundamental in Hz) of the two notes: C6 then G5, "ding-dong".
_CHIME_NOTES = ((0.0, 1046.50), (0.17, 783.99))
# (frequency ratio, amplitude, decay time constant in seconds) of each note's partials.
_CHIME_PARTIALS = ((1.0, 1.0, 0.22), (2.0, 0.35, 0.12), (3.0, 0.12, 0.08), (4.16, 0.05, 0.05))
_CHIME_FADE_IN = 0.003
_CHIME_FADE_OUT = 0.08


def _as_samples(samples: np.ndarray) -> np.ndarray:
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"samples must be mono (one dimension), not shape {x.shape}")
    return x


def _check_rate(rate: int) -> None:
    if rate <= 0:
        raise ValueError(f"sample rate must be positive, not {rate}")


def integrated_loudness(samples: np.ndarray, rate: int) -> float:
    """Integrated loudness of mono `samples` in LUFS (BS.1770-4, by pyloudnorm).

    Silence is -inf. Input shorter than one 400 ms gating block is measured as a single
    block of its own length instead of failing.
    """
    x = _as_samples(samples)
    _check_rate(rate)
    if not np.any(x):
        return -math.inf
    block = math.ceil(BLOCK_SECONDS * rate)
    if len(x) >= block:
        return float(pyloudnorm.Meter(rate).integrated_loudness(x))
    padded = np.concatenate((x, np.zeros(block - len(x))))
    measured = float(pyloudnorm.Meter(rate).integrated_loudness(padded))
    return measured + 10 * math.log10(block / len(x))


def _oversample_factor(rate: int) -> int:
    return max(4, math.ceil(TRUE_PEAK_RATE / rate))


def sample_peaks(samples: np.ndarray, rate: int) -> np.ndarray:
    """For each sample, the largest magnitude of the oversampled signal next to it.

    The intervals from the previous sample to the next one count; the maximum over
    all samples is the true peak (linear, not dB).
    """
    x = _as_samples(samples)
    _check_rate(rate)
    if not len(x):
        return x.copy()
    return _sample_peaks(x, rate)


@functools.lru_cache(maxsize=8)
def _interpolator(factor: int) -> tuple[float, ...]:
    """The oversampling filter: 12 taps per phase, as BS.1770's (Kaiser-windowed sinc)."""
    return tuple(firwin(12 * factor + 1, 1 / factor, window=("kaiser", 5.0)))


def _sample_peaks(x: np.ndarray, rate: int) -> np.ndarray:
    factor = _oversample_factor(rate)
    dense = resample_poly(x, factor, 1, window=np.array(_interpolator(factor)))
    np.abs(dense, out=dense)
    over = dense[::factor].copy()
    for phase in range(1, factor):
        np.maximum(over, dense[phase::factor], out=over)
    # over[n] covers the interpolated points from sample n up to n + 1; a sample's
    # neighbourhood is the interval before it and the one after it.
    peaks = np.maximum(over, np.abs(x))
    peaks[1:] = np.maximum(peaks[1:], over[:-1])
    return peaks


def true_peak_db(samples: np.ndarray, rate: int) -> float:
    """True peak of mono `samples` in dBTP, oversampled at least 4x (to >= 176.4 kHz).

    Silence is -inf.
    """
    x = _as_samples(samples)
    _check_rate(rate)
    if not np.any(x):
        return -math.inf
    return 20 * math.log10(float(_sample_peaks(x, rate).max()))


def _gain(db: float) -> float:
    """The linear factor of `db` decibels, rounded to 0.01 dB (see the module docstring)."""
    return 10 ** (round(db, 2) / 20)


def limit(samples: np.ndarray, rate: int, *, ceiling_dbtp: float = CEILING_DBTP) -> np.ndarray:
    """`samples` through a look-ahead peak limiter: true peak at most `ceiling_dbtp`.

    Look-ahead (attack) is `ATTACK`, release `RELEASE`. Stretches that are not near a
    peak over the ceiling pass unchanged.
    """
    x = _as_samples(samples)
    _check_rate(rate)
    return _cap(_limit(x, rate, ceiling_dbtp - MARGIN_DB), rate, ceiling_dbtp)


def _limit(x: np.ndarray, rate: int, ceiling: float, peaks: np.ndarray | None = None) -> np.ndarray:
    """`x` with the limiter's smooth gain applied, aiming at `ceiling` dBTP.

    `peaks` are `x`'s `sample_peaks` when the caller has them.
    """
    if not np.any(x):
        return x.copy()
    if peaks is None:
        peaks = _sample_peaks(x, rate)
    over = peaks > 10 ** (ceiling / 20)
    if not np.any(over):
        return x.copy()
    need = np.zeros(len(x))
    need[over] = 20 * np.log10(peaks[over]) - ceiling
    return x * 10 ** (-_envelope(need, rate) / 20)


def attenuate(samples: np.ndarray, rate: int, need_db: np.ndarray) -> np.ndarray:
    """`samples` turned down by at least `need_db[n]` decibels at each sample n.

    The gain moves as the limiter's does (look-ahead `ATTACK`, release `RELEASE`), so
    it is smooth; where no sample nearby needs anything, samples pass unchanged.
    """
    x = _as_samples(samples)
    _check_rate(rate)
    need = np.maximum(_as_samples(need_db), 0.0)
    if need.shape != x.shape:
        raise ValueError(f"need_db has {len(need)} values for {len(x)} samples")
    if not np.any(need):
        return x.copy()
    return x * 10 ** (-_envelope(need, rate) / 20)


def _envelope(need: np.ndarray, rate: int) -> np.ndarray:
    """The limiter's attenuation in dB per sample: >= `need` everywhere, and smooth."""
    # Release: att[n] = max over k <= n of need[k] * exp(-(n - k) / (RELEASE * rate)),
    # i.e. log att[n] + n * step = running max of (log need[k] + k * step).
    positive = need > 0
    step = 1.0 / (RELEASE * rate)
    ramp = np.arange(len(need)) * step
    log_need = np.full(len(need), -np.inf)
    log_need[positive] = np.log(need[positive])
    att = np.exp(np.maximum.accumulate(log_need + ramp) - ramp)
    att[(att < RELEASE_FLOOR_DB) & ~positive] = 0.0  # the release ends: unity gain again

    # Look-ahead: each sample takes the largest attenuation of the next `ATTACK` seconds.
    half = max(1, round(ATTACK * rate / 2))
    size = 2 * half + 1
    ahead = maximum_filter1d(att, size=size, origin=-(size // 2), mode="constant")

    # Smoothing: a triangle of 2 * half + 1 past samples, as two box sums of half + 1,
    # in integer micro-decibels (rounded up, so never less than needed).
    micro = np.ceil(ahead * 1e6).astype(np.int64)
    width = half + 1
    return _box_sum(_box_sum(micro, width), width) / (width * width * 1e6)


def _cap(y: np.ndarray, rate: int, ceiling_dbtp: float) -> np.ndarray:
    """`y`, scaled down by any excess of its true peak over `ceiling_dbtp`."""
    excess = true_peak_db(y, rate) - ceiling_dbtp
    return y * 10 ** (-excess / 20) if excess > 0 else y


def _box_sum(values: np.ndarray, width: int) -> np.ndarray:
    """For each index n, the sum of values[n - width + 1 .. n] (exact, for integers)."""
    total = np.cumsum(values)
    total[width:] = total[width:] - total[:-width]
    return total


def normalize(
    samples: np.ndarray,
    rate: int,
    *,
    target_lufs: float = TARGET_LUFS,
    ceiling_dbtp: float = CEILING_DBTP,
) -> np.ndarray:
    """`samples` at `target_lufs` integrated loudness with true peak <= `ceiling_dbtp`.

    Gain, then the look-ahead limiter; when limiting cost more than `TOLERANCE_LU`, more
    gain and the limiter again (at most `MAX_PASSES` in all). Silence (below -70 LUFS)
    comes back unchanged. Same input, same output.

    A waveform whose every cycle is very peaky (crest factor over about 14 dB within a
    50 ms release) cannot reach a loud target under the ceiling without distortion; it
    comes back as close as the limiter gets, quieter than asked. espeak-ng's speech
    reaches -16 LUFS under -1.5 dBTP.
    """
    x = _as_samples(samples)
    _check_rate(rate)
    loudness = integrated_loudness(x, rate)
    if not loudness >= SILENCE_LUFS:
        return x.copy()
    gain = target_lufs - loudness
    peaks = _sample_peaks(x, rate)  # oversampling is linear: scale these with the gain
    tried: list[tuple[float, float, np.ndarray]] = []  # (gain, loudness, result)
    for _ in range(MAX_PASSES):
        factor = _gain(gain)
        y = _limit(x * factor, rate, ceiling_dbtp - MARGIN_DB, peaks * factor)
        got = integrated_loudness(y, rate)
        tried.append((gain, got, y))
        if abs(got - target_lufs) <= TOLERANCE_LU:
            break
        gain = _next_gain(tried, target_lufs)
    _, _, best = min(tried, key=lambda t: abs(t[1] - target_lufs))
    return _cap(best, rate, ceiling_dbtp)


def _next_gain(tried: list[tuple[float, float, np.ndarray]], target: float) -> float:
    """The gain to try next: a secant step through the last two tries.

    After one try, the slope is taken as 1 (what plain gain does), which can only fall
    short: limiting makes loudness grow more slowly than gain.
    """
    gain, got, _ = tried[-1]
    slope = 1.0
    if len(tried) > 1:
        prev_gain, prev_got, _ = tried[-2]
        if round(gain, 2) != round(prev_gain, 2):
            slope = min(1.0, max(0.2, (got - prev_got) / (gain - prev_gain)))
    return gain + (target - got) / slope


def resample(samples: np.ndarray, rate: int, new_rate: int) -> np.ndarray:
    """`samples` at `rate` resampled to `new_rate` (polyphase FIR, deterministic)."""
    x = _as_samples(samples)
    _check_rate(rate)
    _check_rate(new_rate)
    if rate == new_rate or not len(x):
        return x.copy()
    common = math.gcd(rate, new_rate)
    return resample_poly(x, new_rate // common, rate // common)


def chime(
    rate: int,
    *,
    target_lufs: float = TARGET_LUFS - CHIME_BELOW_LU,
    ceiling_dbtp: float = CEILING_DBTP,
) -> np.ndarray:
    """A `CHIME_SECONDS` two-tone bell at `rate`, at `target_lufs` (4 LU under speech).

    Two notes a fourth apart, each of a few decaying sine partials; it starts and ends
    at zero, and is the same samples every time.
    """
    _check_rate(rate)
    n = round(CHIME_SECONDS * rate)
    t = np.arange(n) / rate
    bell = np.zeros(n)
    for start, fundamental in _CHIME_NOTES:
        first = round(start * rate)
        tn = t[: n - first]
        note = np.zeros(len(tn))
        for ratio, amplitude, decay in _CHIME_PARTIALS:
            frequency = fundamental * ratio
            if frequency < rate / 2:
                note += amplitude * np.exp(-tn / decay) * np.sin(2 * np.pi * frequency * tn)
        fade = min(len(tn), round(_CHIME_FADE_IN * rate))
        note[:fade] *= 0.5 - 0.5 * np.cos(np.pi * np.arange(fade) / fade)
        bell[first:] += note
    fade = min(n, round(_CHIME_FADE_OUT * rate))
    bell[n - fade :] *= 0.5 + 0.5 * np.cos(np.pi * np.arange(1, fade + 1) / fade)
    return normalize(bell, rate, target_lufs=target_lufs, ceiling_dbtp=ceiling_dbtp)


def to_pcm16(samples: np.ndarray) -> bytes:
    """`samples` as 16-bit little-endian PCM bytes: rounded to nearest, clipped."""
    x = _as_samples(samples)
    return np.clip(np.rint(x * 32768.0), -32768, 32767).astype("<i2").tobytes()


def from_pcm16(pcm: bytes) -> np.ndarray:
    """16-bit little-endian PCM bytes as float samples, full scale 1.0."""
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0
