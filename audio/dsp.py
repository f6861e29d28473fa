"""Signal processing in plain numpy: the few things loudness.py needs from scipy.signal
and pyloudnorm, without importing either (scipy.signal alone takes about a second).

- `high_shelf`, `high_pass`: biquad coefficients from RBJ's Audio EQ Cookbook, with
  pyloudnorm's formulas (pyloudnorm/iirfilter.py, MIT licence), so that pyloudnorm's
  K-weighting stages come out the same to the last bit.
- `biquad`: an IIR filter of order 2, as scipy.signal.lfilter(b, a, x, zi=zi).
- `kaiser_lowpass`: a Kaiser-windowed sinc low-pass, as
  scipy.signal.firwin(numtaps, cutoff, window=("kaiser", beta)).
- `resample_poly`: polyphase resampling, as scipy.signal.resample_poly(x, up, down).

Each agrees with the original up to float rounding (tests/test_dsp.py measures how
closely). Numpy has no recursive filter and a Python loop over samples is far too slow,
so `biquad` and `resample_poly` are written as matrix products over blocks of samples;
see the comments above each.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def high_shelf(gain_db: float, q: float, fc: float, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """(b, a) of a high shelf of `gain_db` above `fc` Hz at `rate`, normalized to a[0] == 1."""
    A = 10 ** (gain_db / 40.0)
    w0 = 2.0 * np.pi * (fc / rate)
    alpha = np.sin(w0) / (2.0 * q)
    b0 = A * ((A + 1) + (A - 1) * np.cos(w0) + 2 * np.sqrt(A) * alpha)
    b1 = -2 * A * ((A - 1) + (A + 1) * np.cos(w0))
    b2 = A * ((A + 1) + (A - 1) * np.cos(w0) - 2 * np.sqrt(A) * alpha)
    a0 = (A + 1) - (A - 1) * np.cos(w0) + 2 * np.sqrt(A) * alpha
    a1 = 2 * ((A - 1) - (A + 1) * np.cos(w0))
    a2 = (A + 1) - (A - 1) * np.cos(w0) - 2 * np.sqrt(A) * alpha
    return np.array([b0, b1, b2]) / a0, np.array([a0, a1, a2]) / a0


def high_pass(q: float, fc: float, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """(b, a) of a high-pass at `fc` Hz at `rate`, normalized to a[0] == 1."""
    w0 = 2.0 * np.pi * (fc / rate)
    alpha = np.sin(w0) / (2.0 * q)
    b0 = (1 + np.cos(w0)) / 2
    b1 = -(1 + np.cos(w0))
    b2 = (1 + np.cos(w0)) / 2
    a0 = 1 + alpha
    a1 = -2 * np.cos(w0)
    a2 = 1 - alpha
    return np.array([b0, b1, b2]) / a0, np.array([a0, a1, a2]) / a0


# --- biquad ------------------------------------------------------------------------------
#
# The filter is scipy's transposed direct form II: y[n] = b0 x[n] + z0, then the state
# becomes z0 = b1 x[n] - a1 y[n] + z1, z1 = b2 x[n] - a2 y[n]. It is linear, so a block
# of `_BLOCK` samples comes out as (the block's samples) @ (its response to each) plus
# (the state before it) @ (the response to each state component), and the state after
# it likewise: `_Biquad` holds these matrices, worked out in exact rational arithmetic
# and rounded once. Only the states between blocks remain sequential: s_k = s_{k-1} @ T
# + e_k, with T the state matrix to the power `_BLOCK`. `_scan` solves that recurrence
# in blocks of `_BLOCK` again (matrix products once more), recursively.
#
# K-weighting's high-pass has a double pole near 1. In the filter's own state basis,
# powers of its state matrix have entries of about 1 / (1 - pole) that cancel each
# other, so multiplying them out loses digits; `_scan` therefore works in the basis
# u = (z0, z1 - a1 / 2 * z0), where the state matrix is m I + J with m = -a1 / 2 and
# J = [[0, 1], [-d, 0]], d = a2 - a1**2 / 4 (J @ J = -d I). Its powers are P I + Q J,
# with P and Q found by multiplying pairs (no cancellation when the poles are close).
_BLOCK = 32  # samples per row of the block form
_ROWS = 4096  # rows per matrix product (bounds the temporary arrays)


@dataclass(frozen=True, eq=False)
class _Biquad:
    """A biquad's block matrices (row vectors: x and states on the left)."""

    response: np.ndarray  # [i, j]: y[j] of a unit sample at i (B x B)
    free: np.ndarray  # [c, j]: y[j] of a unit initial state component c (2 x B)
    push: np.ndarray  # [i, c]: state component c after the block, of a unit sample at i
    after: np.ndarray  # [t - 1]: state after t samples, of each sample and state (B x B+2 x 2)
    half_a1: float  # the basis change to u: u1 = z1 - half_a1 * z0
    step: tuple[float, float]  # (P, Q) of the state matrix to the power _BLOCK, in u
    d: float


def biquad(
    b: np.ndarray, a: np.ndarray, x: np.ndarray, zi: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """`x` through the IIR filter with three coefficients `b` and three `a`: (y, zf).

    As scipy.signal.lfilter(b, a, x, zi=zi), up to float rounding: `zi` is the filter's
    state before `x` (transposed direct form II; zeros if None) and `zf` after it, so
    filtering a signal chunk by chunk, passing each zf on as the next zi, gives the
    same samples as filtering it whole.
    """
    a0 = float(a[0])
    plan = _biquad_plan(
        (float(b[0]) / a0, float(b[1]) / a0, float(b[2]) / a0),
        (float(a[1]) / a0, float(a[2]) / a0),
    )
    x = np.asarray(x, dtype=np.float64)
    state = np.zeros(2) if zi is None else np.array(zi, dtype=np.float64)
    y = np.empty(-(-len(x) // _BLOCK) * _BLOCK)
    size = _ROWS * _BLOCK
    for start in range(0, len(x), size):
        state = _biquad_rows(plan, x[start : start + size], state, y[start : start + size])
    return y[: len(x)], state


def _biquad_rows(plan: _Biquad, x: np.ndarray, state: np.ndarray, out: np.ndarray) -> np.ndarray:
    """`x` (at most `_ROWS` blocks) through the filter from `state`, into `out` (whole
    blocks long); returns the state after x."""
    n = len(x)
    rows = len(out) // _BLOCK
    if n < rows * _BLOCK:
        x = np.concatenate((x, np.zeros(rows * _BLOCK - n)))
    blocks = x.reshape(rows, _BLOCK)
    ends = _states(plan, blocks @ plan.push, state)
    starts = np.concatenate((state[None], ends[:-1]))
    y = out.reshape(rows, _BLOCK)
    np.matmul(blocks, plan.response, out=y)
    y += starts @ plan.free
    last = n - (rows - 1) * _BLOCK  # samples in the last row
    return np.concatenate((blocks[-1], starts[-1])) @ plan.after[last - 1]


def _states(plan: _Biquad, pushed: np.ndarray, state: np.ndarray) -> np.ndarray:
    """The state at the end of each block, from the states its samples alone leave."""
    h = plan.half_a1
    u = pushed.copy()
    u[:, 1] -= h * pushed[:, 0]
    s = _scan(plan.step, plan.d, u, np.array([state[0], state[1] - h * state[0]]))
    s[:, 1] += h * s[:, 0]
    return s


def _scan(step: tuple[float, float], d: float, e: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Rows s_k = s_{k-1} @ M + e_k from s_{-1} = `first`, where M is the pair `step`.

    In blocks of `_BLOCK` rows: each block's own part is one matrix product, and the
    states between blocks are the same recurrence with M to the power `_BLOCK`.
    """
    within, carried, next_step = _scan_plan(step, d)
    k = len(e)
    rows = -(-k // _BLOCK)
    if k < rows * _BLOCK:
        e = np.concatenate((e, np.zeros((rows * _BLOCK - k, 2))))
    s = e.reshape(rows, 2 * _BLOCK) @ within
    starts = first[None]
    if rows > 1:
        starts = np.concatenate((starts, _scan(next_step, d, s[:-1, -2:], first)))
    s += starts @ carried
    return s.reshape(-1, 2)[:k]


@functools.lru_cache(maxsize=64)
def _scan_plan(
    step: tuple[float, float], d: float
) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """For `_scan`: the matrix of one block's own part (2B x 2B), the matrix carrying
    the state before it through the block (2 x 2B) and the pair of the next level."""
    p, q = _pair_powers(step, d, _BLOCK + 1)
    powers = np.empty((_BLOCK + 1, 2, 2))  # M**k as row-vector matrices [[P, -dQ], [Q, P]]
    powers[:, 0, 0] = powers[:, 1, 1] = p
    powers[:, 0, 1] = -d * q
    powers[:, 1, 0] = q
    lag = np.arange(_BLOCK)[None, :] - np.arange(_BLOCK)[:, None]  # j - i
    within = np.where((lag >= 0)[:, :, None, None], powers[np.maximum(lag, 0)], 0.0)
    within = within.transpose(0, 2, 1, 3).reshape(2 * _BLOCK, 2 * _BLOCK)
    carried = powers[1:].transpose(1, 0, 2).reshape(2, 2 * _BLOCK)
    return within, carried, (float(p[-1]), float(q[-1]))


def _pair_powers(pair: tuple[float, float], d: float, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(P, Q) of (P I + Q J)**k for k < count, J @ J = -d I, by doubling."""
    p, q = np.ones(1), np.zeros(1)
    while len(p) < count:  # times the power len(p), the powers double in number
        top_p, top_q = p[-1] * pair[0] - d * q[-1] * pair[1], p[-1] * pair[1] + q[-1] * pair[0]
        p, q = np.append(p, p * top_p - d * q * top_q), np.append(q, p * top_q + q * top_p)
    return p[:count], q[:count]


@functools.lru_cache(maxsize=16)
def _biquad_plan(b: tuple[float, float, float], a: tuple[float, float]) -> _Biquad:
    """The block matrices of the filter (b, a) (a[0] == 1 left out), each entry worked
    out exactly and rounded once: the coefficients are floats, integers over a power of
    two, and so are the entries of the state matrix's powers."""
    ratios = [v.as_integer_ratio() for v in (*b, *a)]
    shift = max(den.bit_length() - 1 for _, den in ratios)
    # The coefficients times 2**shift, as integers.
    b0, b1, b2, a1, a2 = (num << shift >> (den.bit_length() - 1) for num, den in ratios)
    one = 1 << shift
    # powers[k] is A**k times 2**(k * shift), A the state matrix (column vectors here:
    # with x == 0, the state after a sample is A @ z).
    powers = [((1, 0), (0, 1))]
    for _ in range(_BLOCK):
        (p, q), (r, s) = powers[-1]
        powers.append(((-a1 * p + one * r, -a1 * q + one * s), (-a2 * p, -a2 * q)))
    kick = (b1 * one - a1 * b0, b2 * one - a2 * b0)  # the state a unit sample leaves, 2**2s
    pushed = [  # A**k @ kick
        (p * kick[0] + q * kick[1], r * kick[0] + s * kick[1]) for (p, q), (r, s) in powers
    ]
    power = np.array(
        [[[v / (1 << k * shift) for v in row] for row in m] for k, m in enumerate(powers)]
    )
    push = np.array([[v / (1 << (k + 2) * shift) for v in vec] for k, vec in enumerate(pushed)])
    impulse = np.concatenate(([b[0]], push[: _BLOCK - 1, 0]))  # y of a unit sample
    lag = np.arange(_BLOCK)[None, :] - np.arange(_BLOCK)[:, None]
    response = np.where(lag >= 0, impulse[np.maximum(lag, 0)], 0.0)
    after = np.zeros((_BLOCK, _BLOCK + 2, 2))
    for t in range(1, _BLOCK + 1):
        after[t - 1, :t] = push[t - 1 :: -1][:t]
        after[t - 1, _BLOCK:] = power[t].T
    (p, q), _ = powers[_BLOCK]
    top = _BLOCK * shift
    return _Biquad(
        response=response,
        free=power[:_BLOCK, 0, :].T.copy(),
        push=push[_BLOCK - 1 :: -1][:_BLOCK].copy(),
        after=after,
        half_a1=a[0] / 2,
        step=((2 * one * p + a1 * q) / (1 << top + shift + 1), q / (1 << top)),
        d=(4 * one * a2 - a1 * a1) / (1 << 2 * shift + 2),
    )


# --- FIR design and resampling -------------------------------------------------------------


def kaiser_lowpass(numtaps: int, cutoff: float, beta: float = 5.0) -> np.ndarray:
    """Taps of a linear-phase low-pass: a sinc cut off at `cutoff` (relative to Nyquist,
    0 < cutoff < 1) under a Kaiser window, scaled to gain 1 at DC."""
    if not 0 < cutoff < 1:
        raise ValueError(f"cutoff must be between 0 and 1 (Nyquist), not {cutoff}")
    m = np.arange(numtaps) - 0.5 * (numtaps - 1)
    h = cutoff * np.sinc(cutoff * m) * np.kaiser(numtaps, beta)
    return h / np.sum(h)


# `resample_poly` with the polyphase structure written out: output sample m * up + p
# (p < up) is sum_j x[m * down + j] * h[(p + skip) * down - j * up], a weight that does
# not depend on m. So one row of a matrix product makes `group` * up outputs from one
# window of the input, and a tile of rows is one product (the windows are copied out
# side by side, a batch of tiles at a time, so memory stays bounded).
#
# Rounding: every tile is a separate product of the same shape, so a stretch that starts
# on a tile (`resample_period`) comes out bit for bit as in the whole, whatever the
# BLAS. At other starts (multiples of down) it does too where BLAS computes all rows of
# a product alike and adds up each dot product in order, as OpenBLAS does when the rows
# come in whole register blocks: hence a multiple of 16 rows per tile. loudness's
# `_Peaks` relies on that to find the same peaks in pieces as in the whole signal
# (tests/test_dsp.py checks it).
_TILE = 4096  # outputs per tile, about
_BATCH = 32  # tiles whose windows are copied out at once


@dataclass(frozen=True, eq=False)
class _Polyphase:
    weights: np.ndarray  # window (length x group * up) -> a row of outputs
    first: int  # input of the first window sample, relative to the row's first input
    group: int  # input blocks of `down` samples per row
    rows: int  # rows per tile


def resample_poly(x: np.ndarray, up: int, down: int, taps: np.ndarray | None = None) -> np.ndarray:
    """`x` resampled by `up` / `down`: zeros stuffed in, low-pass filtered, decimated.

    As scipy.signal.resample_poly(x, up, down) (or its window=taps), up to float
    rounding: the filter is kaiser_lowpass(20 * f + 1, 1 / f) with f = max(up, down)
    unless `taps` are given, times up (after up and down are divided by their gcd); the
    output has ceil(len(x) * up / down) samples, centred on the filter; outside `x` is
    zero. Where `x` starts does not change the rounding: when k is a multiple of
    resample_period(up, down, taps), resample_poly(x[k:l], ...) is the same bits as
    resample_poly(x, ...)[k * up // down:] wherever the filter reaches only x[k:l].
    """
    x = np.asarray(x, dtype=np.float64)
    up, down, plan = _reduced(up, down, taps)
    if plan is None:
        return x.copy()
    n_out = -(-len(x) * up // down)
    rows, per_row, length = plan.rows, plan.group * up, plan.weights.shape[0]
    span = plan.group * down  # inputs per row
    tiles = -(-n_out // (rows * per_row))
    y = np.empty((tiles, rows, per_row))
    for k in range(0, tiles, _BATCH):
        count = min(_BATCH, tiles - k)
        piece = _zero_padded(x, k * rows * span + plan.first, (count * rows - 1) * span + length)
        windows = np.ascontiguousarray(sliding_window_view(piece, length)[::span])
        for i, tile in enumerate(windows.reshape(count, rows, length)):
            np.matmul(tile, plan.weights, out=y[k + i])
    return y.reshape(-1)[:n_out]


def resample_period(up: int, down: int, taps: np.ndarray | None = None) -> int:
    """The input samples of one tile of `resample_poly` (a multiple of down / gcd)."""
    _, down, plan = _reduced(up, down, taps)
    return 1 if plan is None else plan.rows * plan.group * down


def _reduced(up: int, down: int, taps: np.ndarray | None) -> tuple[int, int, _Polyphase | None]:
    """up and down divided by their gcd, and their `_Polyphase` (None if they are equal)."""
    if int(up) != up or int(down) != down or up < 1 or down < 1:
        raise ValueError(f"up and down must be positive integers, not {up} and {down}")
    common = math.gcd(int(up), int(down))
    up, down = int(up) // common, int(down) // common
    if up == down:
        return up, down, None
    key = None if taps is None else tuple(np.asarray(taps, dtype=np.float64).tolist())
    return up, down, _polyphase(up, down, key)


@functools.lru_cache(maxsize=16)
def _polyphase(up: int, down: int, taps: tuple[float, ...] | None) -> _Polyphase:
    """The weights of `resample_poly` for coprime up and down (scipy's alignment)."""
    if taps is None:
        top = max(up, down)
        half = 10 * top
        h = kaiser_lowpass(2 * half + 1, 1 / top)
    else:
        h = np.array(taps)
        half = (len(h) - 1) // 2
    h = h * up
    pre = down - half % down  # scipy's n_pre_pad and n_pre_remove
    skip = (half + pre) // down
    h = np.concatenate((np.zeros(pre), h))
    phase = np.arange(up)
    first = int(np.min(-(-((phase + skip) * down - len(h) + 1) // up)))
    last = int(np.max((phase + skip) * down // up))
    group = max(1, -(-(last - first + 1 - down) // down))  # windows overlap at most 2x
    length = (group - 1) * down + last - first + 1
    t = np.arange(length)[:, None]
    column = np.arange(group * up)[None, :]
    at = (column % up + skip) * down - (t + first - column // up * down) * up
    inside = (at >= 0) & (at < len(h))
    weights = np.where(inside, h[np.clip(at, 0, len(h) - 1)], 0.0)
    rows = max(16, _TILE // (group * up) // 16 * 16)  # a multiple of BLAS's row blocks
    return _Polyphase(weights, first, group, rows)


def _zero_padded(x: np.ndarray, start: int, length: int) -> np.ndarray:
    """x[start:start + length], with zeros where that reaches outside x."""
    out = np.zeros(length)
    lo, hi = max(0, start), min(len(x), start + length)
    if lo < hi:
        out[lo - start : hi - start] = x[lo:hi]
    return out
