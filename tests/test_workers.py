"""audio/workers.py: the worker server can be started before anything heavy is imported,
and `render`'s preforked worker is a worker like the server's (real engine).

A worker is forked only from a process that has not imported numpy, which this one
has: those tests run `fake_engines.render_preforked` in a fresh process.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest

from audio import speech
from audio.render import RenderJob, render_one
from audio.store import Rendition, Store
from audio.workers import prefork_worker

HERE = Path(__file__).resolve().parent
HANG_GUARD = 60.0  # seconds; only against a hung worker, never a speed limit


def printed(code: str) -> str:
    """What Python `code` prints, run in a fresh process (this one has loaded numpy)."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout


def test_starting_the_worker_server_imports_nothing_heavy():
    heavy = ("numpy", "audio.render", "audio.speech", "pyttsx3", "click", "audio.pipeline")
    code = f"import sys, audio.workers; print([m for m in {heavy!r} if m in sys.modules])"
    assert printed(code).strip() == "[]"


def render_preforked(store: Path, run: str, *segment_ids: str) -> int:
    """`fake_engines.render_preforked` in a fresh process; that process's id."""
    args = ", ".join(map(repr, (str(store), run, *segment_ids)))
    out = subprocess.run(
        [sys.executable, "-c", f"import fake_engines; fake_engines.render_preforked({args})"],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=True,
    )
    return int(out.stdout)


def parents(store: Path, *segment_ids: str) -> list[int]:
    return [int((store / f"parent-{s}").read_text()) for s in segment_ids]


def test_as_many_pieces_as_run_at_once_each_get_a_forked_worker(tmp_path):
    pid = render_preforked(tmp_path, "notes_parent", "01-a")
    assert parents(tmp_path, "01-a") == [pid]  # forked from the process itself
    pid = render_preforked(tmp_path, "notes_parent", "02-a", "02-b")
    assert parents(tmp_path, "02-a", "02-b") == [pid, pid]


def test_with_more_pieces_the_first_gets_the_forked_worker_and_the_server_the_others(
    tmp_path,
):
    # Forking more workers would only compete with the server's start for the cores.
    pid = render_preforked(tmp_path, "notes_parent", "01-a", "02-b", "03-c")
    first, *others = parents(tmp_path, "01-a", "02-b", "03-c")
    assert first == pid
    assert pid not in others  # forked by the server


def test_a_preforked_worker_keeps_freed_memory_and_runs_on_one_thread(tmp_path):
    # As a server's worker does (WORKER_ENVIRONMENT), though its malloc was set up
    # before that environment was.
    render_preforked(tmp_path, "page_faults", "01-a")
    assert int((tmp_path / "faults-01-a").read_text()) < 4500
    render_preforked(tmp_path, "threads", "02-b")
    assert int((tmp_path / "threads-02-b").read_text()) == 1


def test_a_preforked_worker_makes_the_bytes_a_cold_process_makes(tmp_path):
    forked, cold = tmp_path / "forked", tmp_path / "cold"
    render_preforked(forked, "render_one", "01-seg")
    (made,) = forked.glob("*/*.mp3")
    rendition = Rendition(speech.engine_id(), "gmw/en-us", 175, 1.0, 64, 5, 0.3, 0.25)
    text = "Verification and Transparency, by Daniel Filan.\n\nThey have similar goals."
    job = RenderJob(made.stem, "01-seg", "Segment", text, rendition, cold, HANG_GUARD)
    # A spawned process imports audio.render afresh, and never audio.warmup.
    spawned = multiprocessing.get_context("spawn").Process(target=render_one, args=(job,))
    spawned.start()
    spawned.join(HANG_GUARD)
    assert spawned.exitcode == 0
    assert len(made.read_bytes()) > 10_000
    assert made.read_bytes() == Store(cold).audio_path(job.key).read_bytes()


def test_a_preforked_worker_that_died_is_passed_over(tmp_path):
    code = (
        "from audio import workers\n"
        "worker = workers.prefork_worker()\n"
        "worker.process.kill()\n"
        "worker.process.join()\n"
        "print(workers.take_preforked(), workers.preforked())\n"
    )
    assert printed(code).split() == ["None", "False"]


def test_an_unused_preforked_worker_ends_when_its_job_pipe_closes():
    code = (
        "from audio import workers\n"
        "worker = workers.prefork_worker()\n"
        "worker._jobs.close()  # as when this process ends, even by SIGKILL\n"
        f"worker.process.join({HANG_GUARD})\n"
        "print(worker.process.exitcode)\n"
    )
    assert printed(code).strip() == "0"


def test_no_worker_is_forked_from_a_process_that_has_loaded_numpy():
    import numpy  # noqa: F401  (this test process has, anyway)

    assert prefork_worker() is None


def test_no_worker_is_forked_from_a_process_with_another_thread():
    code = (
        "import threading, time\n"
        "from audio import workers\n"
        "threading.Thread(target=time.sleep, args=(2,), daemon=True).start()\n"
        "print(workers.prefork_worker())\n"
    )
    assert printed(code).strip() == "None"


def test_an_unused_preforked_worker_is_ended_by_the_parents_exit_whatever_it_is_doing():
    # multiprocessing's exit handler terminates a daemonic child, then waits for it. A
    # worker whose SIGTERM raised SystemExit went on when that was swallowed, as inside
    # soundfile's cffi callbacks during its warm-up, and waited for a job: both hung
    # (CI, `render --segment 99`). Here the warm-up swallows every exception, a while.
    code = (
        "import importlib.abc, importlib.util, os, signal, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)  # which the worker must not keep\n"
        "inside, tell = os.pipe()\n"
        "class Stubborn(importlib.abc.MetaPathFinder, importlib.abc.Loader):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name == 'audio.warmup':\n"
        "            return importlib.util.spec_from_loader(name, self)\n"
        "    def create_module(self, spec):\n"
        "        return None\n"
        "    def exec_module(self, module):\n"
        "        os.write(tell, b'.')\n"
        "        end = time.monotonic() + 30\n"
        "        while time.monotonic() < end:\n"
        "            try:\n"
        "                time.sleep(0.01)\n"
        "            except BaseException:  # as a C library's callback does\n"
        "                pass\n"
        "sys.meta_path.insert(0, Stubborn())\n"
        "from audio import workers\n"
        "assert workers.prefork_worker() is not None\n"
        "os.read(inside, 1)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=HANG_GUARD
    )
    assert (out.returncode, out.stderr) == (0, "")


@pytest.mark.parametrize("seconds", [0.0, 0.05, 0.1, 0.2, 0.4])
def test_an_unused_preforked_worker_ended_during_its_warm_up_leaves_no_temporary_files(
    tmp_path, seconds
):
    # An unused worker (`render` when nothing changed) is terminated when the parent
    # exits, at any moment of its imports and warm-up.
    code = (
        "import time\n"
        "from audio import workers\n"
        "assert workers.prefork_worker() is not None\n"
        f"time.sleep({seconds})\n"
    )
    temp = tmp_path / "tmp"
    temp.mkdir()
    subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "TMPDIR": str(temp)},
        capture_output=True,
        check=True,
        timeout=HANG_GUARD,
    )
    assert list(temp.iterdir()) == []
