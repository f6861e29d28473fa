"""Loudness: measure and normalize speech, and make the section chime (pure numpy).

Every episode should play at -16 LUFS integrated (BS.1770, as pyloudnorm measures it)
with true peaks at or below -1 dBTP (TECH-NOTES section 5). espeak-ng speaks at about
-21 LUFS with peaks near -1.5 dBFS, so plain gain to -16 LUFS clips: `normalize` applies
the gain and then a look-ahead peak limiter.

Samples are numpy float64 arrays, mono, full scale 1.0; every function here is pure.
It needs only numpy: the filters and resampling that came from scipy.signal and
pyloudnorm are in `audio.dsp` (scipy.signal alone took about a second to import).

Design of `normalize`:

1. Measure the integrated loudness (`integrated_loudness`: pyloudnorm's K-weighting
   filters and its gating blocks, summed here in a few vectorized steps; it agrees
   with pyloudnorm to 1e-9 LU and is faster). Input that measures below
   -70 LUFS (BS.1770's absolute gate; digital silence is -inf) is returned unchanged.
   Input shorter than one 400 ms gating block, which pyloudnorm refuses, is measured as
   a single block: zero-padded to 400 ms, then corrected for the padding's share.
2. Gain to the target, rounded to 0.01 dB. The rounding makes the gain the same number
   on every machine even where summation order (SIMD width) moves the measured loudness
   in its last bits.
3. Limit (`limit`). The true peak is found per sample by oversampling to at least
   `TRUE_PEAK_RATE` (4x at 44.1 kHz, 8x at 22.05 kHz; BS.1770 asks 4x at 48 kHz); it
   gives the attenuation in dB each sample needs to stay under the ceiling less
   `MARGIN_DB`. Only stretches loud enough to possibly exceed the ceiling are
   oversampled (`_Peaks`: a rigorous bound on the interpolator's overshoot rules the
   rest out), and the same numbers come out there. That requirement is
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
   The first gain comes from the same search on a sketch of the signal (`_sketch_gain`:
   chunks of 8 samples at 22.05 kHz, the limiter run on the chunks' peaks, loudness
   from the chunks' K-weighted energies), which is a few times cheaper than a pass and
   lands within a few hundredths of an LU of it, so one full pass is usually enough.

The result is deterministic: no randomness, no dither, exact integer or max-based steps
where a float difference could add up, and callers quantize to 16 bits, which hides
last-bit differences of float functions between machines.

`normalize_stream` does the same for a long 16-bit signal (resampled on the way) a chunk
at a time, in bounded memory; see the section comment above it.

`attenuate` applies the limiter's smooth gain to any per-sample need (stitch uses it to
turn down the few spots where MP3 coding lifted a peak).

`chime` generates the two-tone bell played before a section: a few sine partials per
note with exponential decays, loudness-matched (by default 4 LU under the speech) and
peak-limited like speech.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from audio import dsp

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
    """Integrated loudness of mono `samples` in LUFS (BS.1770-4, as pyloudnorm measures it).

    Silence is -inf. Input shorter than one 400 ms gating block is measured as a single
    block of its own length instead of failing.
    """
    x = _as_samples(samples)
    _check_rate(rate)
    if not np.any(x):
        return -math.inf
    block = math.ceil(BLOCK_SECONDS * rate)
    if len(x) >= block:
        return _gated_loudness(_block_energies(_k_weighted(x, rate) ** 2, rate))
    padded = np.concatenate((x, np.zeros(block - len(x))))
    measured = _gated_loudness(_block_energies(_k_weighted(padded, rate) ** 2, rate))
    return measured + 10 * math.log10(block / len(x))


@functools.lru_cache(maxsize=8)
def _k_filters(rate: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """(b, a) of each of pyloudnorm's K-weighting stages at `rate`, in order (the same
    coefficients; their passband gains are 1)."""
    return (
        dsp.high_shelf(4.0, 1 / np.sqrt(2), 1500.0, rate),
        dsp.high_pass(0.5, 38.0, rate),
    )


def _k_weighted(x: np.ndarray, rate: int) -> np.ndarray:
    """`x` through BS.1770's K-weighting, as pyloudnorm filters it."""
    for b, a in _k_filters(rate):
        x, _ = dsp.biquad(b, a, x)
    return x


def _block_energies(power: np.ndarray, rate: int) -> np.ndarray:
    """Mean square of each 400 ms gating block (75 % overlap) of K-weighted `power`.

    The blocks are pyloudnorm's, to the sample: block j spans
    int(0.1 j rate) to int((0.1 j + 0.4) rate). They are summed from 100 ms hops, which
    changes only the rounding of pyloudnorm's sums (relative 1e-13 or so).
    """
    starts = _hop_starts(len(power), rate)
    return _blocks_of_hops(_sums(power, starts), rate)


def _hop_starts(length: int, rate: int) -> np.ndarray:
    """Where pyloudnorm's gating blocks of a `length`-sample signal start, and 4 more.

    Block j spans hops j to j + 3: it ends where block j + 4 starts, as
    (j + 4) * 0.25 == j * 0.25 + 1 in floats.
    """
    seconds = length / rate
    count = int(np.round((seconds - BLOCK_SECONDS) / (BLOCK_SECONDS * 0.25))) + 1
    return np.array([int(BLOCK_SECONDS * (j * 0.25) * rate) for j in range(count + 4)])


def _sums(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The sums of values[starts[k]:starts[k + 1]] (ascending starts; past the end is 0)."""
    padded = np.zeros(max(len(values), int(starts[-1])) + 1)
    padded[: len(values)] = values
    return np.add.reduceat(padded, starts)[:-1]


def _blocks_of_hops(hops: np.ndarray, rate: float) -> np.ndarray:
    """Mean squares of the gating blocks, from the sums of their 100 ms hops."""
    return (hops[:-3] + hops[1:-2] + hops[2:-1] + hops[3:]) / (BLOCK_SECONDS * rate)


def _gated_loudness(energies: np.ndarray) -> float:
    """BS.1770's gated loudness of block `energies` (absolute gate, then relative)."""
    with np.errstate(divide="ignore"):
        levels = -0.691 + 10 * np.log10(energies)
    loud = levels >= SILENCE_LUFS
    if not np.any(loud):
        return -math.inf
    relative = -0.691 + 10 * math.log10(float(np.mean(energies[loud]))) - 10
    gated = (levels > relative) & (levels > SILENCE_LUFS)
    if not np.any(gated):
        return -math.inf
    return -0.691 + 10 * math.log10(float(np.mean(energies[gated])))


def _oversample_factor(rate: int) -> int:
    return max(4, math.ceil(TRUE_PEAK_RATE / rate))


def sample_peaks(samples: np.ndarray, rate: int, *, above_dbtp: float | None = None) -> np.ndarray:
    """For each sample, the largest magnitude of the oversampled signal next to it.

    The intervals from the previous sample to the next one count; the maximum over
    all samples is the true peak (linear, not dB). With `above_dbtp`, only peaks that
    may exceed that level are worked out: every peak over it is exact, and any other
    sample n gets a value from |samples[n]| up to its peak, so also under the level
    (much faster when few samples come near it).
    """
    x = _as_samples(samples)
    _check_rate(rate)
    if not len(x):
        return x.copy()
    if above_dbtp is None:
        return _sample_peaks(x, rate)
    return _Peaks(x, rate).above(10 ** (above_dbtp / 20))


@functools.lru_cache(maxsize=8)
def _interpolator(factor: int) -> tuple[float, ...]:
    """The oversampling filter: 12 taps per phase, as BS.1770's (Kaiser-windowed sinc)."""
    return tuple(dsp.kaiser_lowpass(12 * factor + 1, 1 / factor, 5.0))


def _sample_peaks(x: np.ndarray, rate: int) -> np.ndarray:
    over = _interval_peaks(x, _oversample_factor(rate))
    # A sample's neighbourhood is the interval before it and the one after it.
    peaks = np.maximum(over, np.abs(x))
    peaks[1:] = np.maximum(peaks[1:], over[:-1])
    return peaks


def _interval_peaks(x: np.ndarray, factor: int) -> np.ndarray:
    """over[n]: the largest magnitude of `x` oversampled `factor` times, from sample n
    up to (not including) n + 1."""
    dense = dsp.resample_poly(x, factor, 1, _interpolator(factor))
    np.abs(dense, out=dense)
    over = dense[::factor].copy()
    for phase in range(1, factor):
        np.maximum(over, dense[phase::factor], out=over)
    return over


# `_Peaks` works `_sample_peaks` out only where it can matter. The interpolated point at
# phase p of the interval after sample n is sum_i taps[i, p] * x[n - 6 + i] (13 samples,
# `_phase_taps`), so its magnitude is at most sum_i |taps[i, p]| (under 1.92: 5.6 dB at
# 4x) times the largest |x| of those samples: a rigorous bound (`_overshoot`). Samples
# are taken in blocks of `_PEAK_BLOCK`; a block whose samples and both neighbour blocks'
# (which hold every sample its intervals reach) stay under the level over the bound
# cannot have a peak over the level, and only the other blocks are oversampled, by
# the same taps as resample_poly, so the peaks that count are the same numbers up to
# rounding (relative 1e-15; the bound has 1e-9 to spare for it).
_PEAK_BLOCK = 16  # samples; at least 7, so that neighbour blocks cover every tap
_WHOLE_SHARE = 0.5  # oversample everything at once when more of the blocks need it
_TAPS_BEFORE = 6  # the taps of an interval reach from 6 samples before it to 6 after


@functools.lru_cache(maxsize=8)
def _phase_taps(factor: int) -> np.ndarray:
    """taps[i, p]: weight of x[n - 6 + i] in the point at n + p / factor (13 x factor)."""
    scaled = np.array(_interpolator(factor)) * factor  # resample_poly's gain
    taps = np.zeros((2 * _TAPS_BEFORE + 1, factor))
    for i in range(2 * _TAPS_BEFORE + 1):
        for p in range(factor):
            k = factor * (2 * _TAPS_BEFORE - i) + p
            if k < len(scaled):
                taps[i, p] = scaled[k]
    taps.flags.writeable = False
    return taps


@functools.lru_cache(maxsize=8)
def _overshoot(factor: int) -> float:
    """How far an interpolated point can exceed the samples its taps reach (linear)."""
    return float(np.abs(_phase_taps(factor)).sum(axis=0).max()) * (1 + 1e-9)


class _Peaks:
    """`_sample_peaks` of one signal, worked out only where they may exceed a level.

    `above(level)` can be asked again with lower levels (normalize does, once a pass);
    blocks oversampled before are not oversampled again.
    """

    def __init__(self, x: np.ndarray, rate: int) -> None:
        self.x = x
        self.rate = rate
        self.factor = _oversample_factor(rate)
        self.peaks = np.abs(x)
        blocks = -(-len(x) // _PEAK_BLOCK)
        padded = np.zeros(blocks * _PEAK_BLOCK)
        padded[: len(x)] = self.peaks
        top = padded.reshape(blocks, _PEAK_BLOCK).max(axis=1)
        reach = top.copy()  # the largest |x| any interval of the block's samples uses
        np.maximum(reach[1:], top[:-1], out=reach[1:])
        np.maximum(reach[:-1], top[1:], out=reach[:-1])
        self.bound = reach * _overshoot(self.factor)
        self.done = np.zeros(blocks, dtype=bool)
        self.padded: np.ndarray | None = None

    def above(self, level: float) -> np.ndarray:
        """Peaks, exact wherever they exceed `level`; elsewhere exact or |x| (both under)."""
        todo = np.flatnonzero((self.bound > level) & ~self.done)
        if len(todo) > _WHOLE_SHARE * len(self.done) and not np.any(self.done):
            self.peaks = _sample_peaks(self.x, self.rate)  # cheaper all at once
            self.done[:] = True
        elif len(todo):
            self.done[todo] = True
            self._oversample(todo)
        return self.peaks

    def _oversample(self, blocks: np.ndarray) -> None:
        """Fill in the exact peaks of the samples of `blocks` (ascending block numbers).

        Each run of consecutive blocks is cut out with the 7 samples on either side that
        its intervals reach; the pieces, end to end, are oversampled in one go, and only
        the points whose taps lie inside their own piece are used.
        """
        n, size, reach = len(self.x), _PEAK_BLOCK, _TAPS_BEFORE + 1
        cut = np.flatnonzero(np.diff(blocks) != 1) + 1
        starts = blocks[np.concatenate(([0], cut))] * size
        ends = np.minimum((blocks[np.concatenate((cut - 1, [len(blocks) - 1]))] + 1) * size, n)
        if self.padded is None:  # x[j] is padded[j + reach], with zeros around as resample_poly
            self.padded = np.concatenate((np.zeros(reach), self.x, np.zeros(reach)))
        lengths = ends - starts + 2 * reach
        offsets = np.cumsum(lengths) - lengths
        piece = self.padded[_ranges(starts, lengths)]  # x[start - 7 .. end + 6]
        factor = self.factor
        over = _interval_peaks(piece, factor)
        samples = _ranges(starts, ends - starts)
        at = samples + np.repeat(offsets - starts + reach, ends - starts)
        before = over[at - 1]
        if starts[0] == 0:
            before[0] = 0.0  # resample_poly has no interval before sample 0
        self.peaks[samples] = np.maximum(np.maximum(over[at], before), np.abs(self.x[samples]))


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The integers start, start + 1, ... (length of them) for each pair, concatenated.

    >>> _ranges(np.array([5, 0]), np.array([2, 3])).tolist()
    [5, 6, 0, 1, 2]
    """
    steps = np.ones(int(lengths.sum()), dtype=np.int64)
    firsts = np.cumsum(lengths) - lengths
    steps[0] = starts[0]
    steps[firsts[1:]] = starts[1:] - (starts[:-1] + lengths[:-1] - 1)
    return np.cumsum(steps)


def true_peak_db(samples: np.ndarray, rate: int) -> float:
    """True peak of mono `samples` in dBTP, oversampled at least 4x (to >= 176.4 kHz).

    Silence is -inf.
    """
    x = _as_samples(samples)
    _check_rate(rate)
    if not np.any(x):
        return -math.inf
    # Every peak over the largest sample is worked out, so the maximum is exact.
    top = float(np.abs(x).max())
    return 20 * math.log10(float(_Peaks(x, rate).above(top).max()))


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
    return x * _turn_down(_envelope(need, rate))


def _turn_down(db: np.ndarray) -> np.ndarray:
    """The linear gain of attenuating by `db` decibels (>= 0) at each sample."""
    gain = np.ones(len(db))
    some = np.flatnonzero(db)
    gain[some] = np.exp(db[some] * (-math.log(10) / 20))  # 10 ** (-db / 20), faster
    return gain


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
    return x * _turn_down(_envelope(need, rate))


def _envelope(need: np.ndarray, rate: float) -> np.ndarray:
    """The limiter's attenuation in dB per sample: >= `need` everywhere, and smooth."""
    att = _release(need, rate)

    # Look-ahead: each sample takes the largest attenuation of the next `ATTACK` seconds.
    half = max(1, round(ATTACK * rate / 2))
    ahead = _max_ahead(att, 2 * half + 1)

    # Smoothing: a triangle of 2 * half + 1 past samples, as two box sums of half + 1,
    # in integer micro-decibels (rounded up, so never less than needed).
    micro = np.ceil(ahead * 1e6).astype(np.int64)
    width = half + 1
    return _box_sum(_box_sum(micro, width), width) / (width * width * 1e6)


def _release(need: np.ndarray, rate: float) -> np.ndarray:
    """att[n] = max over k <= n of need[k] * exp(-(n - k) / (RELEASE * rate)), set to 0
    where it has decayed under `RELEASE_FLOOR_DB` (except where need[n] > 0).

    In the log domain, log att[n] + n * step is the running maximum of
    log need[k] + k * step; that maximum only changes at samples that need something,
    so it is taken over those alone and spread to the samples after each.
    """
    att = np.zeros(len(need))
    positive = np.flatnonzero(need > 0)
    if not len(positive):
        return att
    step = 1.0 / (RELEASE * rate)
    top = np.maximum.accumulate(np.log(need[positive]) + positive * step)
    first = int(positive[0])
    held = np.repeat(top, np.diff(np.append(positive, len(need))))
    decayed = np.exp(held - np.arange(first, len(need)) * step)
    decayed[decayed < RELEASE_FLOOR_DB] = 0.0  # the release ends: unity gain again
    att[first:] = decayed
    att[positive] = np.exp(top - positive * step)  # never cut off where something is needed
    return att


def _max_ahead(values: np.ndarray, size: int) -> np.ndarray:
    """For each index n, the largest of values[n .. n + size - 1] (0 past the end; values >= 0)."""
    ahead = values.copy()
    span = 1
    while span * 2 <= size:  # ahead[n] covers `span` values from n; double it
        np.maximum(ahead[:-span], ahead[span:], out=ahead[:-span])
        span *= 2
    if span < size:  # two overlapping spans cover the rest
        rest = size - span
        np.maximum(ahead[:-rest], ahead[rest:], out=ahead[:-rest])
    return ahead


def _cap(y: np.ndarray, rate: int, ceiling_dbtp: float) -> np.ndarray:
    """`y`, scaled down by any excess of its true peak over `ceiling_dbtp`."""
    ceiling = 10 ** (ceiling_dbtp / 20)
    top = float(_Peaks(y, rate).above(ceiling).max()) if len(y) else 0.0
    if not top > ceiling:
        return y
    return y * 10 ** (-(20 * math.log10(top) - ceiling_dbtp) / 20)


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
    long = len(x) >= _SKETCH_SECONDS * rate
    power = _k_weighted(x, rate) ** 2 if long and np.any(x) else None
    if power is not None:
        loudness = _gated_loudness(_block_energies(power, rate))
    else:
        loudness = integrated_loudness(x, rate)
    if not loudness >= SILENCE_LUFS:
        return x.copy()
    gain = target_lufs - loudness
    peaks = _Peaks(x, rate)  # oversampling is linear: scale these with the gain
    aim = ceiling_dbtp - MARGIN_DB
    if power is not None:
        gain = _sketch_gain(power, peaks, rate, gain=gain, target=target_lufs, aim=aim)
    tried: list[tuple[float, float, np.ndarray]] = []  # (gain, loudness, result)
    for _ in range(MAX_PASSES):
        factor = _gain(gain)
        y = _limit(x * factor, rate, aim, peaks.above(10 ** (aim / 20) / factor) * factor)
        got = integrated_loudness(y, rate)
        tried.append((gain, got, y))
        if abs(got - target_lufs) <= TOLERANCE_LU:
            break
        gain = _next_gain(tried, target_lufs)
    _, _, best = min(tried, key=lambda t: abs(t[1] - target_lufs))
    return _cap(best, rate, ceiling_dbtp)


def _next_gain(tried: Sequence[tuple[float, float, object]], target: float) -> float:
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


# `normalize` finds its starting gain on a sketch of the signal (`_sketch_gain`), so that
# its first full pass usually lands within `TOLERANCE_LU`: the sketch works on chunks of
# samples at about `_SKETCH_RATE` (the chunk's largest true peak, the chunk's K-weighted
# energy), runs the same limiter there and measures loudness as if the gain of a chunk
# applied to its K-weighted energy. It is cheap and lands within a few hundredths of an
# LU of the full pass; the full passes still measure and decide.
# At 2756 Hz rather than 5512 it took 8 % less of the encoding's time over one issue's
# pieces, and the first full pass was as often enough (28 times out of 28).
_SKETCH_RATE = 2756.25  # Hz: chunks of 8 samples at 22.05 kHz
_SKETCH_SECONDS = 2.0  # shorter signals go straight to full passes
_SKETCH_TOLERANCE_LU = 0.02
_SKETCH_TRIES = 6


def _sketch_gain(
    power: np.ndarray, peaks: _Peaks, rate: int, *, gain: float, target: float, aim: float
) -> float:
    """The gain (dB) at which the sketch of normalize's pass measures `target`.

    `power` is the signal's K-weighted square, `peaks` its true peaks, `gain` the first
    guess and `aim` the limiter's ceiling in dBTP.
    """
    size = max(1, round(rate / _SKETCH_RATE))
    chunks = -(-len(power) // size)
    energy = _chunked(power, size).sum(axis=1)
    hops = _hop_starts(len(power), rate)
    hops = np.minimum(-(-hops // size), chunks)  # the chunk each hop starts in (about)
    tried: list[tuple[float, float, np.ndarray | None]] = []
    for _ in range(_SKETCH_TRIES):
        factor = _gain(gain)
        level = 10 ** (aim / 20) / factor
        top = _chunked(peaks.above(level), size).max(axis=1)
        over = top > level
        need = np.zeros(chunks)
        need[over] = 20 * np.log10(top[over] * factor) - aim
        weight = _turn_down(_envelope(need, rate / size)) ** 2 * factor**2
        got = _gated_loudness(_blocks_of_hops(_sums(energy * weight, hops), rate))
        tried.append((gain, got, None))
        if abs(got - target) <= _SKETCH_TOLERANCE_LU:
            break
        gain = _next_gain(tried, target)
    return min(tried, key=lambda t: abs(t[1] - target))[0]


def _chunked(values: np.ndarray, size: int) -> np.ndarray:
    """`values` as rows of `size`, the last one padded with zeros."""
    padded = np.zeros(-(-len(values) // size) * size)
    padded[: len(values)] = values
    return padded.reshape(-1, size)


def resample(samples: np.ndarray, rate: int, new_rate: int) -> np.ndarray:
    """`samples` at `rate` resampled to `new_rate` (polyphase FIR, deterministic)."""
    x = _as_samples(samples)
    _check_rate(rate)
    _check_rate(new_rate)
    if rate == new_rate or not len(x):
        return x.copy()
    common = math.gcd(rate, new_rate)
    return dsp.resample_poly(x, new_rate // common, rate // common)


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


# --- streaming -------------------------------------------------------------------------
#
# `normalize_stream` does what `resample` then `normalize` do, for a long 16-bit signal,
# a chunk at a time, so that its memory does not grow with the signal (apart from the
# 16-bit source, its sketch, 8 bytes per 8 samples at 22.05 kHz, and the 100 ms hops):
#
# - resampling is a polyphase FIR, local: each chunk is resampled from its stretch of
#   the source with enough samples around it (`_Resampled`);
# - K-weighting carries the filters' state from chunk to chunk, and only the sums of
#   the 100 ms hops are kept, which is all the gating needs;
# - true peaks need 7 samples around each sample; the limiter's envelope at a sample
#   depends on the needs from `_reach` samples before it to a few after it (the
#   release decays under `RELEASE_FLOOR_DB` within that), so each chunk is limited on
#   a window with that much context and the same numbers come out, up to rounding;
# - the loudness that sets the first gain, and the sketch its search runs on
#   (`_Analysis`), are taken from the source at its own rate, a window at a time:
#   resampling moves them by hundredths of an LU, and the pass measures anyway;
# - the pass (gain, limiter, loudness and true peak of the result) writes its result
#   to a temporary file as 32-bit floats; the best pass is read back, capped (`_cap`).
#
# Chunk boundaries are fixed multiples of `STREAM_CHUNK`, so the output depends only on
# the input.
STREAM_CHUNK = 1 << 17  # samples at the output rate (about 6 s at 22.05 kHz)
_CONTEXT = 8  # samples around a stretch that its true peaks depend on (7, and 1 spare)


class _Resampled:
    """16-bit `pcm` at `rate` resampled to `new_rate`, a stretch at a time."""

    def __init__(self, pcm: np.ndarray, rate: int, new_rate: int) -> None:
        _check_rate(rate)
        _check_rate(new_rate)
        common = math.gcd(rate, new_rate)
        self.pcm = pcm
        self.rate = new_rate
        self.up, self.down = new_rate // common, rate // common
        self.length = -(-len(pcm) * self.up // self.down)
        # resample_poly's filter reaches 10 * max(up, down) upsampled samples each way.
        # Pieces start on a multiple of its period, so they come out bit for bit as the
        # same stretch of the whole signal does.
        self.pad = -(-10 * max(self.up, self.down) // self.up) + 2
        self.period = dsp.resample_period(self.up, self.down)

    def get(self, start: int, stop: int) -> np.ndarray:
        """Samples start to stop (0 <= start <= stop <= length) of the resampled signal."""
        if self.up == self.down:
            return self.pcm[start:stop].astype(np.float64) / 32768.0
        up, down = self.up, self.down
        first = max(0, (start * down // up - self.pad) // self.period * self.period)
        last = min(len(self.pcm), -(-stop * down // up) + self.pad)
        piece = self.pcm[first:last].astype(np.float64) / 32768.0
        offset = first * up // down  # the output sample that piece[0] becomes
        return dsp.resample_poly(piece, up, down)[start - offset : stop - offset]


def _reach(rate: float, top_need: float) -> tuple[int, int]:
    """(before, after): how many samples of need before and after a stretch decide the
    limiter's envelope there, when no need exceeds `top_need` dB."""
    half = max(1, round(ATTACK * rate / 2))
    decay = 0
    if top_need > RELEASE_FLOOR_DB:
        decay = math.ceil(math.log(top_need / RELEASE_FLOOR_DB) * RELEASE * rate)
    return 2 * half + decay + 2, 2 * half + 2


class _HopSums:
    """Sums of values over pyloudnorm's 100 ms hops of a `length`-sample signal, added
    a stretch at a time (every `size` samples summed into one first, for the sketch)."""

    def __init__(self, length: int, rate: int, size: int = 1) -> None:
        starts = _hop_starts(length, rate)
        self.starts = np.minimum(-(-starts // size), -(-length // size))
        self.sums = np.zeros(len(starts) - 1)
        self.rate = rate

    def add(self, values: np.ndarray, at: int) -> None:
        starts = self.starts
        first = max(0, int(np.searchsorted(starts, at, side="right")) - 1)
        last = int(np.searchsorted(starts, at + len(values), side="left"))
        bounds = np.clip(starts[first : last + 1] - at, 0, len(values))
        total = np.concatenate(([0.0], np.cumsum(values)))
        sums = total[bounds[1:]] - total[bounds[:-1]]
        self.sums[first : first + len(sums)] += sums

    def loudness(self) -> float:
        return _gated_loudness(_blocks_of_hops(self.sums, self.rate))


class _KWeighting:
    """K-weighting a stretch at a time: the filters' state carries over."""

    def __init__(self, rate: int) -> None:
        self.filters = _k_filters(rate)
        self.state = [np.zeros(2) for _ in self.filters]

    def power(self, x: np.ndarray) -> np.ndarray:
        for i, (b, a) in enumerate(self.filters):
            x, self.state[i] = dsp.biquad(b, a, x, self.state[i])
        return x * x


def normalize_stream(
    pcm: np.ndarray,
    rate: int,
    new_rate: int,
    *,
    target_lufs: float = TARGET_LUFS,
    ceiling_dbtp: float = CEILING_DBTP,
    chunk: int | None = None,
    preview: Callable[[np.ndarray], None] | None = None,
) -> Iterator[np.ndarray]:
    """`normalize(resample(from_pcm16(pcm), rate, new_rate), new_rate, ...)`, in chunks.

    `pcm` is a 16-bit numpy array; the float chunks, end to end, are the result (up to
    the rounding of sums, and the sketch's starting gain). Memory stays bounded: see
    the section comment above. `chunk` is `STREAM_CHUNK` unless given; a signal that
    fits in one chunk (or is under `_SKETCH_SECONDS`) is normalized in one piece.

    `preview`, if given, is called with each chunk of the first pass's result as soon
    as it is made, before anything is yielded: the chunks yielded later when that pass
    is kept and needs no capping, as it usually is. A caller may start on them (stitch
    encodes them on another thread) but must check them against what is yielded.
    """
    chunk = chunk or STREAM_CHUNK
    source = _Resampled(np.asarray(pcm), rate, new_rate)
    n = source.length
    if n <= chunk or n < _SKETCH_SECONDS * new_rate:
        x = resample(from_pcm16(np.asarray(pcm, dtype="<i2").tobytes()), rate, new_rate)
        yield normalize(x, new_rate, target_lufs=target_lufs, ceiling_dbtp=ceiling_dbtp)
        return
    aim = ceiling_dbtp - MARGIN_DB
    same_rate = rate == new_rate  # then the pass can take its peaks from the analysis
    sketch = _Analysis(np.asarray(pcm), rate, chunk * rate // new_rate, keep_peaks=same_rate)
    loudness = sketch.hops.loudness()
    if not loudness >= SILENCE_LUFS:
        for start in range(0, n, chunk):
            yield source.get(start, min(n, start + chunk))
        return
    gain = sketch.gain(target_lufs - loudness, target=target_lufs, aim=aim)
    tried: list[tuple[float, float, _Pass]] = []
    try:
        for _ in range(MAX_PASSES):
            factor = _gain(gain)
            sketch.tops(10 ** (aim / 20) / factor)
            top_need = sketch.top_need(factor, aim) + 1.0  # resampling moves peaks a little
            first_pass = None if tried else preview
            done = _Pass(
                source, chunk, factor, aim, ceiling_dbtp, top_need, sketch.peaks, first_pass
            )
            tried.append((gain, done.loudness, done))
            if abs(done.loudness - target_lufs) <= TOLERANCE_LU:
                break
            gain = _next_gain(tried, target_lufs)
        best = min(tried, key=lambda t: abs(t[1] - target_lufs))[2]
        yield from best.read(chunk)
    finally:
        for _, _, done in tried:
            done.close()


class _Analysis:
    """One look at the source, at its own rate: its loudness and `normalize`'s sketch of
    it (chunks of samples about `_SKETCH_RATE`: K-weighted energy and largest true peak).

    Resampling changes neither much, and the sketch only picks the first gain to try.
    With `keep_peaks`, the true peaks of every sample are kept too (`peaks`, 32-bit,
    exact where they exceed the level `tops` was last asked), for a pass at this rate.
    """

    def __init__(self, pcm: np.ndarray, rate: int, chunk: int, *, keep_peaks: bool = False) -> None:
        self.pcm, self.rate = pcm, rate
        self.size = size = max(1, round(rate / _SKETCH_RATE))
        self.chunk = chunk = max(size, chunk // size * size)
        n = len(pcm)
        self.hops = _HopSums(n, rate)
        count = -(-n // size)
        self.energy = np.zeros(count, dtype=np.float32)
        self.top = np.zeros(count, dtype=np.float32)
        self.peaks = np.zeros(n, dtype=np.float32) if keep_peaks else None
        self.exact = np.inf  # self.top (and self.peaks) exact where they exceed this level
        weighting = _KWeighting(rate)
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            power = weighting.power(pcm[start:stop] / 32768.0)
            self.hops.add(power, start)
            self.energy[start // size : -(-stop // size)] = _chunked(power, size).sum(axis=1)

    def tops(self, level: float) -> None:
        """Make self.top exact wherever it exceeds `level`."""
        if level >= self.exact:
            return
        level = level / 10 ** (6 / 20)  # 6 dB to spare, for the next tries
        size, n, pcm = self.size, len(self.pcm), self.pcm
        for start in range(0, n, self.chunk):
            stop = min(n, start + self.chunk)
            first = max(0, start - _CONTEXT)
            x = pcm[first : min(n, stop + _CONTEXT)] / 32768.0
            peaks = _Peaks(x, self.rate).above(level)[start - first : stop - first]
            self.top[start // size : -(-stop // size)] = _chunked(peaks, size).max(axis=1)
            if self.peaks is not None:
                self.peaks[start:stop] = peaks
        self.exact = level

    def top_need(self, factor: float, aim: float) -> float:
        """The largest need (dB) of a pass at gain `factor` (after `tops` at its level)."""
        return 20 * math.log10(max(float(self.top.max()) * factor, 1e-300)) - aim

    def gain(self, gain: float, *, target: float, aim: float) -> float:
        """The gain (dB) at which the sketch of a pass measures `target` (`_sketch_gain`)."""
        size, rate = self.size, self.rate
        tried: list[tuple[float, float, None]] = []
        window = max(1, self.chunk // size)
        count = len(self.top)
        for _ in range(_SKETCH_TRIES):
            factor = _gain(gain)
            level = 10 ** (aim / 20) / factor
            self.tops(level)
            before, after = _reach(rate / size, self.top_need(factor, aim))
            hops = _HopSums(len(self.pcm), rate, size)
            for start in range(0, count, window):
                stop = min(count, start + window)
                first, last = max(0, start - before), min(count, stop + after)
                top = self.top[first:last].astype(np.float64)
                over = top > level
                need = np.zeros(last - first)
                need[over] = 20 * np.log10(top[over] * factor) - aim
                env = _envelope(need, rate / size)[start - first : stop - first]
                weight = _turn_down(env) ** 2 * factor**2
                hops.add(self.energy[start:stop] * weight, start)
            got = hops.loudness()
            tried.append((gain, got, None))
            if abs(got - target) <= _SKETCH_TOLERANCE_LU:
                break
            gain = _next_gain(tried, target)
        return min(tried, key=lambda t: abs(t[1] - target))[0]


class _Pass:
    """One pass of `normalize` at linear gain `factor`: the limited signal, kept in a
    temporary file as 32-bit floats, with its loudness and true peak. `top_need` bounds
    the limiter's needs in dB. `peaks` are the source's true peaks when it is not
    resampled (`_Analysis`), exact over `aim` dBTP less the gain; else they are worked
    out here. `preview` is given each chunk as `read` gives it uncapped, once made."""

    def __init__(
        self,
        source: _Resampled,
        chunk: int,
        factor: float,
        aim: float,
        ceiling_dbtp: float,
        top_need: float,
        peaks: np.ndarray | None = None,
        preview: Callable[[np.ndarray], None] | None = None,
    ) -> None:
        import tempfile

        rate, n = source.rate, source.length
        self.length = n
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self.ceiling_dbtp = ceiling_dbtp
        hops = _HopSums(n, rate)
        weighting = _KWeighting(rate)
        level = 10 ** (aim / 20)
        ceiling = 10 ** (ceiling_dbtp / 20)
        before, after = _reach(rate, top_need)
        top = 0.0
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            lo, hi = max(0, start - _CONTEXT), min(n, stop + _CONTEXT)  # y for its peaks
            first, last = max(0, lo - before), min(n, hi + after)  # needs that reach y
            a, b = max(0, first - _CONTEXT), min(n, last + _CONTEXT)  # x for their peaks
            x = source.get(a, b)
            if peaks is None:
                got = _Peaks(x, rate).above(level / factor)[first - a : last - a] * factor
            else:
                got = peaks[first:last].astype(np.float64) * factor
            over = got > level
            y = x[lo - a : hi - a] * factor
            if np.any(over):
                need = np.zeros(last - first)
                need[over] = 20 * np.log10(got[over]) - aim
                y *= _turn_down(_envelope(need, rate)[lo - first : hi - first])
            y_peaks = _Peaks(y, rate).above(ceiling)[start - lo : stop - lo]
            top = max(top, float(y_peaks.max(initial=0.0)))
            y = y[start - lo : stop - lo]
            hops.add(weighting.power(y), start)
            stored = y.astype("<f4")
            self.file.write(stored.tobytes())
            if preview is not None:
                preview(stored.astype(np.float64))
        self.loudness = hops.loudness()
        self.top = top

    def read(self, chunk: int) -> Iterator[np.ndarray]:
        """The result, capped (`_cap`), a chunk at a time."""
        import os

        scale = 1.0
        if self.top > 10 ** (self.ceiling_dbtp / 20):
            scale = 10 ** (-(20 * math.log10(self.top) - self.ceiling_dbtp) / 20)
        fd = self.file.fileno()
        self.file.flush()
        for start in range(0, self.length, chunk):
            count = min(chunk, self.length - start)
            raw = os.pread(fd, 4 * count, 4 * start)
            y = np.frombuffer(raw, dtype="<f4").astype(np.float64)
            yield y * scale if scale != 1.0 else y

    def close(self) -> None:
        self.file.close()


class Attenuation:
    """`attenuate` of a long signal by needs at a few spots, applied a stretch at a time.

    `at` are sample numbers (ascending or not) and `need_db` the decibels each needs.
    """

    def __init__(self, rate: int, at: np.ndarray, need_db: np.ndarray) -> None:
        _check_rate(rate)
        need = np.maximum(np.asarray(need_db, dtype=np.float64), 0.0)
        order = np.argsort(at, kind="stable")
        self.at, self.need, self.rate = np.asarray(at)[order], need[order], rate
        self.before, self.after = _reach(rate, float(need.max(initial=0.0)))

    def apply(self, x: np.ndarray, start: int, length: int) -> np.ndarray:
        """`x`, samples start to start + len(x) of a `length`-sample signal, turned down."""
        first = max(0, start - self.before)
        last = min(length, start + len(x) + self.after)
        lo, hi = np.searchsorted(self.at, [first, last])
        if lo == hi or not np.any(self.need[lo:hi]):
            return x
        need = np.zeros(last - first)
        np.maximum.at(need, self.at[lo:hi] - first, self.need[lo:hi])
        return x * _turn_down(_envelope(need, self.rate)[start - first : start - first + len(x)])
