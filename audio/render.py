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
import multiprocessing.connection as mp_connection
import os
import signal
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path

from audio import speech, stitch
from audio.errors import EngineError
from audio.model import Part
from audio.script import voice_parts
from audio.store import Rendition, Store


@dataclass(frozen=True)
class RenderJob:
    """One segment to synthesize, encode and store under `key`.

    `music_before` and `music_after` are the files whose content hashes the rendition
    carries (intro and outro music).
    """

    key: str
    segment_id: str
    title: str
    text: str
    rendition: Rendition
    store_root: Path
    timeout: float
    music_before: Path | None = None
    music_after: Path | None = None


def render_one(job: RenderJob) -> Part:
    """Synthesize, encode and store one segment in this process; return its part."""
    r = job.rendition
    narrator = speech.Voice(r.voice, r.rate, r.volume)
    store = Store(job.store_root)
    job.store_root.mkdir(parents=True, exist_ok=True)
    fd, wav_name = tempfile.mkstemp(dir=job.store_root, prefix=".tmp-", suffix=".wav")
    os.close(fd)
    wav = Path(wav_name)
    try:
        marks = speech.EspeakSynthesizer(narrator, timeout=job.timeout).synthesize_parts(
            _voiced_parts(job.text, r, narrator), wav, gap=r.gap
        )
        data = stitch.encode_segment(
            wav,
            lead=r.lead,
            tail=r.tail,
            bitrate=r.bitrate,
            quality=r.quality,
            loudness=r.loudness,
            chime=r.chime,
            music_before=job.music_before,
            music_after=job.music_after,
        )
    finally:
        wav.unlink(missing_ok=True)
    scan = stitch.scan_frames(data)
    offset = round(1000 * (r.lead + _music_seconds(job.music_before)))
    return store.put(
        job.key,
        data,
        frames=scan.frames,
        samples_per_frame=scan.samples_per_frame,
        sample_rate=scan.sample_rate,
        marks=[replace(m, start_ms=m.start_ms + offset, end_ms=m.end_ms + offset) for m in marks],
    )


def _voiced_parts(
    text: str, r: Rendition, narrator: speech.Voice
) -> list[tuple[str, speech.Voice]]:
    """The segment's text as (text, voice) runs: opinions in the second voice, if any."""
    if not r.opinion_voice:
        return [(text, narrator)]
    opinion = speech.Voice(r.opinion_voice, r.opinion_rate, r.volume)
    voices = {"narrator": narrator, "opinion": opinion}
    return [(part, voices[role]) for role, part in voice_parts(text)]


def _music_seconds(path: Path | None) -> float:
    """How long the music before the speech lasts, as encode_segment places it."""
    if path is None:
        return 0.0
    return len(stitch.load_music(path, stitch.SAMPLE_RATE)) / stitch.SAMPLE_RATE


def _worker_context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["audio.render", "audio.loudness"])
        return ctx
    return multiprocessing.get_context("spawn")


# Seconds a worker may run past its job's own timeout before it is killed: the
# synthesizer stops itself after `timeout`, this only catches a worker stuck in C code.
KILL_GRACE = 2.0


@dataclass
class _Running:
    """A job in its worker process, and how to hear from it."""

    job: RenderJob
    process: multiprocessing.process.BaseProcess
    reply: Connection
    deadline: float
    attempt: int


def _child(run: Callable[[RenderJob], Part], job: RenderJob, reply: Connection) -> None:
    """Worker process body: run the job and send back ("ok", part) or ("error", text)."""
    try:
        message = ("ok", run(job))
    except BaseException as e:  # reported to the parent, which names the segment
        message = ("error", _describe(e))
    reply.send(message)
    reply.close()


def render_all(
    jobs: Iterable[RenderJob],
    *,
    workers: int,
    run: Callable[[RenderJob], Part] = render_one,
    retries: int = 1,
) -> Iterator[tuple[RenderJob, Part]]:
    """Render `jobs` in fresh worker processes, `workers` at a time; yield each as it is done.

    A worker that dies (espeak-ng can crash its process) or fails is replaced and its
    job tried again in a fresh process, `retries` times; a worker that outlives its
    job's timeout is killed and its job not tried again. A
    failure is raised as `EngineError` naming the segment, once the segments already
    running have finished (and are stored); no new ones are started after it.
    """
    queue = [(job, 1) for job in jobs]
    queue.reverse()  # pop() from the end keeps the given order
    ctx = _worker_context()
    running: list[_Running] = []
    failure: str | None = None
    try:
        while queue or running:
            while queue and failure is None and len(running) < max(1, workers):
                job, attempt = queue.pop()
                running.append(_start(ctx, run, job, attempt))
            if not running:
                break
            ready = mp_connection.wait(
                [r.reply for r in running] + [r.process.sentinel for r in running],
                timeout=max(0.0, min(r.deadline for r in running) - time.monotonic()),
            )
            for entry in list(running):
                outcome = _outcome(entry, ready)
                if outcome is None:
                    continue
                running.remove(entry)
                kind, value = outcome
                if kind == "ok":
                    yield entry.job, value
                elif kind != "timeout" and entry.attempt <= retries and failure is None:
                    queue.append((entry.job, entry.attempt + 1))
                elif failure is None:
                    failure = f"segment {entry.job.segment_id} ({entry.job.title}): {value}"
    finally:
        for entry in running:
            _stop(entry)
    if failure is not None:
        raise EngineError(failure)


def _start(
    ctx: multiprocessing.context.BaseContext,
    run: Callable[[RenderJob], Part],
    job: RenderJob,
    attempt: int,
) -> _Running:
    reply, send = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(run, job, send), daemon=True)
    process.start()
    send.close()
    deadline = time.monotonic() + job.timeout + KILL_GRACE
    return _Running(job, process, reply, deadline, attempt)


def _outcome(entry: _Running, ready: list) -> tuple[str, object] | None:
    """("ok", part), ("error" | "crashed" | "timeout", text), or None while it runs."""
    if entry.reply in ready:
        try:
            kind, value = entry.reply.recv()
        except (EOFError, OSError):
            entry.process.join()
            return "crashed", _crash_text(entry.process.exitcode)
        entry.process.join()
        entry.reply.close()
        return kind, value
    if entry.process.sentinel in ready:
        entry.process.join()
        entry.reply.close()
        return "crashed", _crash_text(entry.process.exitcode)
    if time.monotonic() >= entry.deadline:
        _stop(entry)
        return "timeout", f"no result within {entry.job.timeout:g} s; the worker was stopped"
    return None


def _stop(entry: _Running) -> None:
    if entry.process.is_alive():
        entry.process.kill()
    entry.process.join()
    entry.reply.close()


def _crash_text(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"the speech worker process crashed ({name})"
    return f"the speech worker process exited with code {exitcode}"


def _describe(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
