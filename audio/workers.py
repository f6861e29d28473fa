"""workers: the server that starts `audio.render`'s worker processes, and what it preloads.

Kept apart from `audio.render`, and light (os, signal, tempfile and multiprocessing
only), so that `python -m audio` can start the server first thing, before importing
anything else: the server's imports (numpy, the audio modules) and `audio.warmup` then
run while the command line is imported and the issues are planned.

`render`, whose usual work is one piece, forks one worker from its own process instead
(`prefork_worker`): no server and no resource tracker to start, so the worker is ready
about when the plan is. When the plan has a few more pieces, `fork_more` forks a
worker for each; with more than run at once, it starts the server for them instead.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import tempfile
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection

# What the forkserver imports once for all workers, and `render`'s preforked worker for
# itself (an ImportError is passed over); last `audio.warmup`, which loads the espeak
# driver (but never starts the engine) and fills the encoding code's caches. Not pydub:
# only music needs it, and the first piece waits for these imports.
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


class Preforked:
    """A worker process forked at the program's start (`prefork_worker`), importing the
    worker modules, then waiting for its one job (`run`)."""

    def __init__(self, others: Sequence[Preforked] = ()) -> None:
        ctx = multiprocessing.get_context("fork")
        jobs_out, self._jobs = ctx.Pipe(duplex=False)
        self.reply, reply_in = ctx.Pipe(duplex=False)
        # The child closes this process's ends of its pipes and of the `others`' pipes.
        parent_ends = [self._jobs, self.reply] + [c for w in others for c in (w._jobs, w.reply)]
        args = (jobs_out, reply_in, parent_ends)
        self.process = ctx.Process(target=_preforked_main, args=args, daemon=True)
        self.process.start()
        jobs_out.close()
        reply_in.close()

    def run(self, target: Callable[..., None], args: tuple) -> bool:
        """Have the worker call `target(*args, reply)`, `reply` the sending end of
        `self.reply`; False when it is gone (then it is not to be used)."""
        try:
            self._jobs.send((target, args))
        except OSError:
            self.discard()
            return False
        self._jobs.close()
        return True

    def discard(self) -> None:
        """End the worker, unused."""
        self._jobs.close()
        self.reply.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join()


_PREFORKED: list[Preforked] = []


def prefork_worker() -> Preforked | None:
    """Fork one worker process from this one now, and return it: it imports PRELOAD, as
    the server does, while this process goes on, and `take_preforked` gives it its job.

    Only from a process that has started no thread and not imported numpy: a fork
    copies one thread only (a lock another held stays locked), and the child's numpy
    must load OpenBLAS under WORKER_ENVIRONMENT, which keeps it to one thread and its
    results to one thread's rounding. None otherwise, or where processes cannot fork.
    """
    threading = sys.modules.get("threading")
    if (
        "fork" not in multiprocessing.get_all_start_methods()
        or "numpy" in sys.modules
        or (threading is not None and threading.active_count() > 1)
    ):
        return None
    # The child's temporary files (audio.loudness's) go where this process's do: the
    # folder is checked here, by writing a file in it, which a child terminated
    # meanwhile would leave behind.
    tempfile.gettempdir()
    worker = Preforked(_PREFORKED)
    _PREFORKED.append(worker)
    return worker


def fork_more(pieces: int, jobs: int) -> None:
    """When a forked worker waits (`render`), make ready for `pieces` pieces, `jobs` at
    a time: when they all run at once, fork a worker for each; else start the server for
    those after the first (more processes importing numpy at once would only compete
    with the server's start for the cores). Call it before starting any thread."""
    if not _PREFORKED:
        return
    if pieces > jobs:
        start_workers()
        return
    for _ in range(pieces - len(_PREFORKED)):
        if prefork_worker() is None:
            break
    if pieces > len(_PREFORKED):
        start_workers()


def take_preforked() -> Preforked | None:
    """The longest waiting of the workers `prefork_worker` made, if any (each once)."""
    while _PREFORKED:
        worker = _PREFORKED.pop(0)
        if worker.process.is_alive():
            return worker
        worker.discard()
    return None


def preforked() -> bool:
    """Whether a forked worker waits for a job (`prefork_worker`)."""
    return bool(_PREFORKED)


def _preforked_main(jobs: Connection, reply: Connection, parent_ends: list[Connection]) -> None:
    """A preforked worker's body: set up as the server sets up a worker, import, wait."""
    for end in parent_ends:  # so that the parent's closing its end ends recv() here
        end.close()
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends it, without a traceback
    # Unused, it is terminated when the parent exits (multiprocessing's exit handler),
    # which waits for it: SIGTERM must end it at once, whatever it is doing. A handler
    # raising SystemExit did not: inside a C library's callback (soundfile's) the
    # exception is only printed, and the worker went on to wait for a job from the
    # parent that waited for it. Its warm-up leaves nothing on disk (`audio.warmup`).
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.environ.update(WORKER_ENVIRONMENT)  # before numpy loads OpenBLAS
    _keep_freed_memory()
    for name in PRELOAD:
        with contextlib.suppress(ImportError):
            __import__(name)
    try:
        target, args = jobs.recv()
    except (EOFError, OSError):
        return
    jobs.close()
    target(*args, reply)


def _keep_freed_memory() -> None:
    """What WORKER_ENVIRONMENT's MALLOC_ settings do, in a process whose malloc has
    already read its environment (a fork)."""
    import ctypes

    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is not None:
        mallopt(-1, int(WORKER_ENVIRONMENT["MALLOC_TRIM_THRESHOLD_"]))  # M_TRIM_THRESHOLD
        mallopt(-3, int(WORKER_ENVIRONMENT["MALLOC_MMAP_THRESHOLD_"]))  # M_MMAP_THRESHOLD


def default_jobs() -> int:
    """Worker processes to use by default: the number of cores."""
    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )
