"""render: make the audio of segments, each in a fresh worker process.

A fresh process per segment gives byte-identical audio for identical text (a reused
espeak-ng engine does not; TECH-NOTES section 1). Workers come from a `forkserver`
that has imported the speech and audio modules but never started the engine, so each
worker starts in milliseconds with espeak-ng untouched; `spawn` is the slower
equivalent. Each worker synthesizes, encodes and stores its segment, so finished work
is kept whatever happens to the others.

This module is what worker processes import: keep its imports light.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from audio import speech, stitch
from audio.errors import EngineError
from audio.model import Part
from audio.store import Rendition, Store


@dataclass(frozen=True)
class RenderJob:
    """One segment to synthesize, encode and store under `key`."""

    key: str
    segment_id: str
    title: str
    text: str
    rendition: Rendition
    store_root: Path
    timeout: float


def render_one(job: RenderJob) -> Part:
    """Synthesize, encode and store one segment in this process; return its part."""
    voice = speech.Voice(job.rendition.voice, job.rendition.rate, job.rendition.volume)
    store = Store(job.store_root)
    job.store_root.mkdir(parents=True, exist_ok=True)
    fd, wav_name = tempfile.mkstemp(dir=job.store_root, prefix=".tmp-", suffix=".wav")
    os.close(fd)
    wav = Path(wav_name)
    try:
        speech.EspeakSynthesizer(voice, timeout=job.timeout).synthesize(job.text, wav)
        data = stitch.encode_segment(
            wav,
            lead=job.rendition.lead,
            tail=job.rendition.tail,
            bitrate=job.rendition.bitrate,
            quality=job.rendition.quality,
        )
    finally:
        wav.unlink(missing_ok=True)
    scan = stitch.scan_frames(data)
    return store.put(
        job.key,
        data,
        frames=scan.frames,
        samples_per_frame=scan.samples_per_frame,
        sample_rate=scan.sample_rate,
    )


def _worker_context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["audio.render"])
        return ctx
    return multiprocessing.get_context("spawn")


def render_all(jobs: Iterable[RenderJob], *, workers: int) -> Iterator[tuple[RenderJob, Part]]:
    """Render `jobs` in fresh worker processes, `workers` at a time; yield each as it is done.

    A failure is raised as `EngineError` naming the segment, after the segments already
    finished have been yielded (and stored).
    """
    pending_jobs = list(jobs)
    if not pending_jobs:
        return
    with ProcessPoolExecutor(
        max_workers=max(1, min(workers, len(pending_jobs))),
        mp_context=_worker_context(),
        max_tasks_per_child=1,
    ) as pool:
        futures: dict[Future, RenderJob] = {pool.submit(render_one, j): j for j in pending_jobs}
        failure: BaseException | None = None
        failed_job: RenderJob | None = None
        while futures:
            done, _ = wait(futures, return_when=FIRST_COMPLETED)
            for future in done:
                job = futures.pop(future)
                error = future.exception()
                if error is None:
                    yield job, future.result()
                elif failure is None:
                    failure, failed_job = error, job
                    for other in futures:
                        other.cancel()
        if failure is not None and failed_job is not None:
            raise EngineError(
                f"segment {failed_job.segment_id} ({failed_job.title}): {_describe(failure)}"
            ) from failure


def _describe(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    if type(error).__name__ == "BrokenProcessPool":
        return "the speech worker process crashed"
    return text.splitlines()[0]
