"""Shared fixtures."""

from __future__ import annotations

import math
import subprocess
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--update-golden`: rewrite the golden files instead of comparing with them."""
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/ from the current output instead of comparing",
    )


@pytest.fixture
def make_wav(tmp_path: Path) -> Callable[..., Path]:
    """A factory of 16-bit WAV files holding a quiet 440 Hz tone (espeak's format by default)."""

    def make(
        name: str = "tone.wav", *, seconds: float = 1.0, rate: int = 22050, channels: int = 1
    ) -> Path:
        path = tmp_path / name
        n = round(seconds * rate)
        samples = (round(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(n))
        frame = b"".join(s.to_bytes(2, "little", signed=True) * channels for s in samples)
        with wave.open(str(path), "wb") as w:
            w.setnchannels(channels)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(frame)
        return path

    return make


@pytest.fixture
def decode_mp3() -> Callable[[Path | bytes], np.ndarray]:
    """ffmpeg, a decoder independent of ours: an MP3 file (or its bytes) as mono float
    samples at the MP3's own sample rate."""

    def decode(mp3: Path | bytes) -> np.ndarray:
        if isinstance(mp3, bytes):
            data, source = mp3, ["-f", "mp3", "-i", "pipe:0"]
        else:
            data, source = None, ["-i", str(mp3)]
        pcm = subprocess.run(
            ["ffmpeg", "-v", "error", *source, "-f", "f32le", "-ac", "1", "-"],
            input=data,
            capture_output=True,
            check=True,
        ).stdout
        return np.frombuffer(pcm, dtype="<f4").astype(np.float64)

    return decode
