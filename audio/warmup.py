"""warmup: what the worker server makes once, so that no worker process makes it again.

Only the forkserver of `audio.workers` and `render`'s forked workers import this module
(it is last in `PRELOAD`). Every piece is rendered in a fresh process forked from that
server (or is such a worker), and a fork inherits what the server holds: here the
espeak-ng library loaded and its voices listed (not initialized: espeak_Initialize
starts a thread, and a fork after it hangs), and the filters, tables and decoder set-up
that the loudness and encoding code makes on first use and keeps (about 15 ms of each
piece's work otherwise), made by encoding a quarter of a second of tone at the speech
rate. Those caches hold pure functions' results, so a worker's audio is the same bytes
with or without them.

Nothing here may fail the import: a missing engine or library is reported by the
worker that needs it, with the segment's name.
"""

from __future__ import annotations

import contextlib
import io
import wave

import numpy as np

from audio import speech, stitch

WARM_SECONDS = 0.25


def warm_speech() -> None:
    """Load pyttsx3's espeak-ng driver and list the voices (what `check_voice` reads)."""
    with contextlib.suppress(Exception):
        import pyttsx3.drivers.espeak  # noqa: F401  (the module pyttsx3.init("espeak") loads)

        speech.list_voices()


def warm_encoder(rate: int = stitch.SPEECH_RATE) -> None:
    """Normalize, encode and check a short tone at `rate`, as a segment is.

    The tone is a WAV in memory, not in a file: a preforked worker (`audio.workers`)
    may be killed at any moment of this, and must leave nothing behind.
    """
    with contextlib.suppress(Exception):
        wav = io.BytesIO()
        with wave.open(wav, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            t = np.arange(round(WARM_SECONDS * rate)) / rate
            w.writeframes((3000 * np.sin(2 * np.pi * 440 * t)).astype("<i2").tobytes())
        wav.seek(0)
        stitch.encode_segment(wav, lead=0.0, tail=0.0, sample_rate=rate)


warm_speech()
warm_encoder()
