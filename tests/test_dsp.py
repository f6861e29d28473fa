"""audio.dsp against the originals it stands in for: scipy.signal's lfilter, firwin and
resample_poly, and pyloudnorm's K-weighting coefficients."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pyloudnorm
import pytest
from scipy.signal import firwin, lfilter, resample_poly

from audio import dsp

RATES = [22050, 44100, 48000]


def speechlike(rate: int, seconds: float = 2.0, seed: int = 1) -> np.ndarray:
    """Voiced buzz and noise in syllables, with a loud click now and then."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * rate)) / rate
    buzz = sum(np.sin(2 * np.pi * 120 * k * t) / k for k in range(1, 30) if 120 * k < rate / 2)
    x = (buzz + 0.3 * rng.standard_normal(len(t))) * np.clip(np.sin(2 * np.pi * 3.7 * t), 0, 1)
    burst = round(0.015 * rate)
    for start in range(round(0.3 * rate), len(t) - burst, round(0.9 * rate)):
        x[start : start + burst] += 3 * rng.standard_normal(burst) * np.hanning(burst)
    return 0.2 * x


def signal(kind: str, rate: int, n: int | None = None) -> np.ndarray:
    rng = np.random.default_rng(rate)
    n = n or round(1.5 * rate)
    if kind == "speech":
        return speechlike(rate, seconds=n / rate)
    if kind == "noise":
        return rng.standard_normal(n)
    if kind == "step":  # DC: the high-pass's double pole near 1 at its worst
        return np.ones(n)
    return np.cumsum(rng.standard_normal(n))  # "walk": mostly very low frequencies


def k_stages(rate: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return [
        dsp.high_shelf(4.0, 1 / np.sqrt(2), 1500.0, rate),
        dsp.high_pass(0.5, 38.0, rate),
    ]


def interpolator(factor: int) -> np.ndarray:
    """The true-peak oversampling filter loudness.py uses."""
    return firwin(12 * factor + 1, 1 / factor, window=("kaiser", 5.0))


# --- K-weighting coefficients ------------------------------------------------------------


@pytest.mark.parametrize("rate", [8000, 16000, *RATES, 96000, 192000])
def test_k_weighting_coefficients_are_pyloudnorms_to_the_bit(rate):
    stages = list(pyloudnorm.Meter(rate)._filters.values())
    assert len(stages) == 2
    for stage, (b, a) in zip(stages, k_stages(rate), strict=True):
        assert np.array_equal(b, stage.b) and np.array_equal(a, stage.a)
        assert stage.passband_gain == 1.0


# --- biquad --------------------------------------------------------------------------------


def relative_error(got: np.ndarray, want: np.ndarray, scale: float) -> float:
    return float(np.abs(got - want).max(initial=0.0)) / scale


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("kind", ["speech", "noise", "step", "walk"])
@pytest.mark.parametrize("stage", [0, 1])
def test_biquad_is_lfilter(rate, kind, stage):
    b, a = k_stages(rate)[stage]
    x = signal(kind, rate)
    want, want_zf = lfilter(b, a, x, zi=np.zeros(2))
    got, zf = dsp.biquad(b, a, x)
    # The walk's low frequencies are mostly filtered away: measure against the input.
    scale = np.abs(x).max() if kind == "walk" else np.abs(want).max()
    assert relative_error(got, want, scale) < 1e-12
    assert relative_error(zf, want_zf, scale) < 1e-12


def test_biquad_through_both_stages_is_pyloudnorms_k_weighting():
    rate = 44100
    x = speechlike(rate, seconds=5.0)
    want = x.copy()
    for stage in pyloudnorm.Meter(rate)._filters.values():
        want = stage.apply_filter(want)
    got = x
    for b, a in k_stages(rate):
        got, _ = dsp.biquad(b, a, got)
    assert relative_error(got, want, np.abs(want).max()) < 1e-12


@pytest.mark.parametrize("n", [0, 1, 2, 5, 31, 32, 33, 64, 100])
def test_biquad_of_short_input_with_a_state(n):
    b, a = k_stages(22050)[1]
    rng = np.random.default_rng(n)
    _, zi = lfilter(b, a, rng.standard_normal(1000), zi=np.zeros(2))  # a signal goes on
    x = rng.standard_normal(n)
    got, zf = dsp.biquad(b, a, x, zi)
    assert got.shape == (n,)
    if n == 0:
        assert np.array_equal(zf, zi)  # (scipy's lfilter returns a wrong zf here)
        return
    want, want_zf = lfilter(b, a, x, zi=zi)
    scale = np.abs(want).max()
    assert relative_error(got, want, scale) < 1e-13
    assert relative_error(zf, want_zf, scale) < 1e-13


def test_biquad_of_other_coefficients():
    # Not normalized (a[0] != 1), poles of both signs, and a plain FIR.
    x = np.random.default_rng(3).standard_normal(5000)
    for b, a in [
        ([0.5, 0.2, -0.1], [2.0, -0.8, -0.9]),
        ([1.0, -1.0, 0.25], [1.0, 0.0, 0.0]),
        ([0.2, 0.3, 0.2], [1.0, -1.2, 0.72]),
    ]:
        want = lfilter(b, a, x)
        got, _ = dsp.biquad(np.array(b), np.array(a), x)
        assert relative_error(got, want, np.abs(want).max()) < 1e-13


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("kind", ["speech", "noise"])
def test_biquad_in_uneven_chunks_is_biquad_of_the_whole(rate, kind):
    x = signal(kind, rate, n=300_007)  # more than one batch of rows inside biquad
    bounds = [0, 0, 1, 2, 33, 1000, 1000, 4097, 140_000, 270_001, len(x) - 1, len(x)]
    for b, a in k_stages(rate):
        whole, whole_zf = dsp.biquad(b, a, x)
        state, pieces = None, []
        for start, stop in itertools.pairwise(bounds):
            piece, state = dsp.biquad(b, a, x[start:stop], state)
            pieces.append(piece)
        scale = np.abs(whole).max()
        assert relative_error(np.concatenate(pieces), whole, scale) < 1e-12
        assert relative_error(state, whole_zf, scale) < 1e-12
        assert relative_error(whole, lfilter(b, a, x), scale) < 1e-12
        x = whole  # the next stage filters this one's output, as K-weighting does


# --- FIR design ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "numtaps, cutoff", [(41, 1 / 2), (49, 1 / 4), (61, 1 / 3), (97, 1 / 8), (3201, 1 / 160)]
)
def test_kaiser_lowpass_is_firwin(numtaps, cutoff):
    want = firwin(numtaps, cutoff, window=("kaiser", 5.0))
    np.testing.assert_allclose(dsp.kaiser_lowpass(numtaps, cutoff), want, rtol=0, atol=1e-15)
    want = firwin(numtaps, cutoff, window=("kaiser", 8.0))
    np.testing.assert_allclose(dsp.kaiser_lowpass(numtaps, cutoff, 8.0), want, rtol=0, atol=1e-15)


@pytest.mark.parametrize("cutoff", [0.0, 1.0, -0.5])
def test_kaiser_lowpass_rejects_a_cutoff_outside_the_band(cutoff):
    with pytest.raises(ValueError, match="cutoff"):
        dsp.kaiser_lowpass(11, cutoff)


# --- resampling ----------------------------------------------------------------------------

PAIRS = [(2, 1), (4, 1), (8, 1), (147, 160), (160, 147), (1, 2)]


@pytest.mark.parametrize("up, down", PAIRS)
@pytest.mark.parametrize("n", [0, 1, 2, 5, 30, 1001, 44_101])
def test_resample_poly_is_scipys(up, down, n):
    x = np.random.default_rng(n).standard_normal(n)
    want = resample_poly(x, up, down)
    got = dsp.resample_poly(x, up, down)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-14)


@pytest.mark.parametrize("rate, up, down", [(22050, 2, 1), (48000, 147, 160), (44100, 160, 147)])
def test_resample_poly_of_speech_is_scipys(rate, up, down):
    x = speechlike(rate, seconds=3.0)
    np.testing.assert_allclose(
        dsp.resample_poly(x, up, down), resample_poly(x, up, down), rtol=0, atol=1e-14
    )


@pytest.mark.parametrize("factor", [4, 8])
@pytest.mark.parametrize("n", [1, 12, 13, 100, 262_144])
def test_oversampling_with_given_taps_is_scipys(factor, n):
    x = np.random.default_rng(factor * n).standard_normal(n)
    taps = interpolator(factor)
    want = resample_poly(x, factor, 1, window=taps)
    got = dsp.resample_poly(x, factor, 1, taps)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-14)


def test_resample_poly_reduces_the_ratio_and_copies_at_one():
    x = np.random.default_rng(0).standard_normal(500)
    np.testing.assert_allclose(
        dsp.resample_poly(x, 4, 2), resample_poly(x, 2, 1), rtol=0, atol=1e-14
    )
    same = dsp.resample_poly(x, 3, 3)
    assert np.array_equal(same, x) and same is not x


@pytest.mark.parametrize("up, down", [(0, 1), (1, 0), (2.5, 1), (-2, 1)])
def test_resample_poly_rejects_bad_factors(up, down):
    with pytest.raises(ValueError, match="positive integers"):
        dsp.resample_poly(np.zeros(10), up, down)


@pytest.mark.parametrize("up, down", PAIRS)
def test_a_stretch_starting_on_a_tile_is_resampled_as_in_the_whole(up, down):
    # What loudness._Resampled relies on: the same bits, not just the same to 1e-15.
    x = speechlike(48000, seconds=2.0)
    whole = dsp.resample_poly(x, up, down)
    period = dsp.resample_period(up, down)
    assert period % down == 0
    reach = 10 * max(up, down) // up + 2  # input samples the filter reaches each way
    for k, length in [(period, 5000), (3 * period, 20_000), (0, 777)]:
        piece = dsp.resample_poly(x[k : k + length], up, down)
        inner = slice(0 if k == 0 else reach * up // down + 1, len(piece) - reach * up // down - 1)
        at = k * up // down
        assert np.array_equal(piece[inner], whole[at : at + len(piece)][inner])


@pytest.mark.parametrize("factor", [4, 8])
@pytest.mark.parametrize("k", [1, 7, 9, 16, 1001])
def test_oversampling_a_piece_anywhere_gives_the_peaks_of_the_whole(factor, k):
    # What loudness._Peaks relies on: an interpolated point does not depend on where the
    # call starts, up to rounding. Not always the same bits: OpenBLAS's SKYLAKEX kernels
    # round some rows at 4x differently by where they fall in a tile (seen on 2026-12-07).
    x = speechlike(44100, seconds=0.5)
    taps = interpolator(factor)
    whole = dsp.resample_poly(x, factor, 1, taps)
    piece = dsp.resample_poly(x[k : k + 3000], factor, 1, taps)
    inner = slice(7 * factor, len(piece) - 7 * factor)
    same = whole[k * factor : k * factor + len(piece)][inner]
    assert np.allclose(piece[inner], same, rtol=1e-13, atol=1e-15 * np.abs(x).max())


# --- imports -------------------------------------------------------------------------------


def test_importing_loudness_loads_neither_scipy_nor_pyloudnorm():
    code = (
        "import sys, audio.loudness\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scipy', 'pyloudnorm')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
