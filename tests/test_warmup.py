"""audio/warmup.py: the worker server's preparations are safe to fork from, fill the
caches, and change no byte of the audio (real engine)."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

from audio import speech
from audio.render import RenderJob, render_all, render_one
from audio.store import Rendition, Store
from audio.workers import WORKER_ENVIRONMENT

HANG_GUARD = 60.0  # seconds; only against a hung worker, never a speed limit
TEXT = (
    "Verification and Transparency, by Daniel Filan. Summarized by Rohin.\n\n"
    "This post points out that verification and transparency have similar goals."
)


def test_warming_up_fills_the_caches_and_starts_no_thread():
    # A fork copies only the thread that calls it: a server with espeak-ng's thread
    # running (espeak_Initialize) would hang its workers (TECH-NOTES section 1).
    code = (
        "import audio.warmup, sys\n"
        "from audio import loudness, speech\n"
        "status = open('/proc/self/status').read().split('Threads:')[1].split()[0]\n"
        "print(status, loudness._k_filters.cache_info().currsize,\n"
        "      speech.list_voices.cache_info().currsize, speech._engine.cache_info().currsize,\n"
        "      'pyttsx3.drivers.espeak' in sys.modules)\n"
    )
    assert _run_as_a_worker(code).split() == ["1", "1", "1", "0", "True"]


def _run_as_a_worker(code: str) -> str:
    """What `code` prints, run in a fresh process with the workers' environment."""
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **WORKER_ENVIRONMENT},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def _job(store: Path) -> RenderJob:
    rendition = Rendition(speech.engine_id(), "gmw/en-us", 175, 1.0, 64, 5, 0.3, 0.25)
    return RenderJob("k" * 64, "01-seg", "Segment", TEXT, rendition, store, HANG_GUARD)


def test_a_worker_of_the_warm_server_makes_the_bytes_a_cold_process_makes(tmp_path):
    warm, cold = tmp_path / "warm", tmp_path / "cold"
    [(job, _)] = render_all([_job(warm)], workers=1)
    # A spawned process imports audio.render afresh, and never audio.warmup.
    spawned = multiprocessing.get_context("spawn").Process(target=render_one, args=(_job(cold),))
    spawned.start()
    spawned.join(HANG_GUARD)
    assert spawned.exitcode == 0
    made = Store(warm).audio_path(job.key).read_bytes()
    assert len(made) > 10_000
    assert made == Store(cold).audio_path(job.key).read_bytes()


def test_warming_up_makes_no_file_or_folder_by_name():
    # A preforked worker (audio.workers) is killed when its parent exits, perhaps while
    # it warms up: a file or folder made by name then would stay behind. The parent has
    # checked the temporary folder (tempfile.gettempdir) before it forks.
    code = (
        "import os, sys, tempfile\n"
        "tempfile.gettempdir()\n"
        "made = []\n"
        "def watch(event, args):\n"
        "    if event in ('os.mkdir', 'tempfile.mkstemp', 'tempfile.mkdtemp'):\n"
        "        made.append((event, str(args[0])))\n"
        "    elif event == 'open' and isinstance(args[0], (str, bytes, os.PathLike)):\n"
        "        mode, flags = args[1], args[2]\n"
        "        writes = set(mode or '') & set('wax+') or flags & (os.O_WRONLY | os.O_RDWR)\n"
        "        if writes and not os.path.isdir(args[0]):  # a folder: a file without a name\n"
        "            made.append((event, str(args[0])))\n"
        "sys.addaudithook(watch)\n"
        "import audio.warmup\n"
        "from audio import loudness\n"
        "print(loudness._k_filters.cache_info().currsize, made)\n"
    )
    assert _run_as_a_worker(code).strip() == "1 []"
