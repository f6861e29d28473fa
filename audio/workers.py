"""workers: the server that starts `audio.render`'s worker processes, and what it preloads.

Kept apart from `audio.render`, and light (os and multiprocessing only), so that
`python -m audio` can start the server first thing, before importing anything else: the
server's imports (numpy, the audio modules) and `audio.warmup` then run while the
command line is imported and the issues are planned.
"""

from __future__ import annotations

import multiprocessing
import os

# What the forkserver imports once for all workers (an ImportError is passed over), and
# last `audio.warmup`, which loads the espeak driver (but never starts the engine) and
# fills the encoding code's caches. Not pydub: only music needs it, and the first piece
# waits for these imports.
PRELOAD = [
    "audio.render",
    "audio.loudness",
    "lameenc",
    "soundfile",
    "pyttsx3",
    "logging",
    "audio.warmup",
]


# Each worker is one core's work (`--jobs` sets how many run): numpy's BLAS, which
# audio.dsp's matrix products use, must not start threads of its own in each of them
# (with 2 workers on 2 cores, its threads took 1.7 times the CPU time). And glibc's
# malloc is told to keep freed memory for the next array instead of handing every
# large one back to the kernel (mmap and munmap): the loudness code makes many
# temporary arrays of a few megabytes, and fresh pages cost a fault each (273,000
# faults and 19 % of the CPU time over one issue's pieces; 3,000 faults this way).
# A worker lives for one piece, so what it keeps is freed when it exits. Workers take
# the environment of the process that starts the forkserver, at that moment.
WORKER_ENVIRONMENT = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MALLOC_MMAP_THRESHOLD_": str(1 << 28),
    "MALLOC_TRIM_THRESHOLD_": str(1 << 28),
}


def worker_context() -> multiprocessing.context.BaseContext:
    """The multiprocessing context that starts worker processes: forkserver, else spawn."""
    os.environ.update(WORKER_ENVIRONMENT)
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


def start_workers() -> None:
    """Start the forkserver now, so that its imports overlap the caller's own work (they
    take about 0.25 s); `render.render_all` would start it at its first job anyway."""
    ctx = worker_context()
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def default_jobs() -> int:
    """Worker processes to use by default: the number of cores."""
    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )
