"""render: make the audio of segments, a piece at a time, each in a fresh worker process.

A segment is made in pieces (`split_pieces`): runs of whole paragraphs of at least
MIN_PIECE_CHARS characters, long paragraphs cut between sentences. Each piece is
synthesized, normalized and encoded on its own and stored under its own key; the
segment is its pieces' MP3 frames joined (`assemble`), with sentence times from frame
counts. So an edit re-renders only the pieces it touches (a paragraph, not a section),
and the pieces of one long segment are made on all cores at once.

A fresh process per piece gives byte-identical audio for identical text (a reused
espeak-ng engine does not; TECH-NOTES section 1). Workers come from a `forkserver`
(`audio.workers`) that has imported the speech and audio modules and filled their
caches (`audio.warmup`) but never started the engine, so each worker starts in
milliseconds with espeak-ng untouched; `spawn` is the slower equivalent. Each worker
synthesizes, encodes and stores its piece, so finished work is kept whatever happens
to the others.

This module is what worker processes import: keep its imports light.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection as mp_connection
import os
import re
import signal
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from pathlib import Path

from audio import speech, stitch
from audio.errors import EngineError
from audio.model import Part
from audio.store import Rendition, Store, segment_key
from audio.workers import default_jobs, take_preforked, worker_context


@dataclass(frozen=True)
class RenderJob:
    """One segment, or one piece of it, to synthesize, encode and store under `key`.

    `music_before` and `music_after` are the files whose content hashes the rendition
    carries (intro and outro music). A piece (`split_pieces`) has its text as `runs`
    of (role, text), role "narrator" or "opinion", and is piece `piece` of `pieces`.
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
    runs: tuple[tuple[str, str], ...] = ()
    piece: int = 0
    pieces: int = 0
    # A core is free for it (`render_all` sets it): see `encode_segment`'s `ahead`.
    encode_ahead: bool = field(default=False, compare=False)


def render_one(job: RenderJob) -> Part:
    """Synthesize, encode and store one segment or piece in this process; return its part."""
    r = job.rendition
    narrator = speech.Voice(r.voice, r.rate, r.volume)
    store = Store(job.store_root)
    job.store_root.mkdir(parents=True, exist_ok=True)
    fd, wav_name = tempfile.mkstemp(dir=job.store_root, prefix=".tmp-", suffix=".wav")
    os.close(fd)
    wav = Path(wav_name)
    try:
        marks = speech.EspeakSynthesizer(narrator, timeout=job.timeout).synthesize_parts(
            _voiced_parts(job.runs or _runs(job.text, r), r, narrator), wav, gap=r.gap
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
            sample_rate=r.sample_rate,
            ahead=job.encode_ahead,
        )
    finally:
        wav.unlink(missing_ok=True)
    scan = stitch.scan_frames(data)
    offset = round(1000 * (r.lead + _music_seconds(job.music_before, r.sample_rate)))
    return store.put(
        job.key,
        data,
        frames=scan.frames,
        samples_per_frame=scan.samples_per_frame,
        sample_rate=scan.sample_rate,
        marks=[replace(m, start_ms=m.start_ms + offset, end_ms=m.end_ms + offset) for m in marks],
    )


def _runs(text: str, r: Rendition) -> tuple[tuple[str, str], ...]:
    """A segment's text as (role, text) runs: opinions apart when they have their own voice."""
    if not r.opinion_voice:
        return (("narrator", text.strip()),)
    # Imported here: the planning process splits the runs (`piece_jobs`), so a worker
    # does without the script module and its rules.
    from audio.script import voice_parts

    return voice_parts(text)


def _voiced_parts(
    runs: tuple[tuple[str, str], ...], r: Rendition, narrator: speech.Voice
) -> list[tuple[str, speech.Voice]]:
    """(text, voice) of each run: opinions in the second voice, if there is one."""
    if not r.opinion_voice:
        return [(text, narrator) for _, text in runs]
    opinion = speech.Voice(r.opinion_voice, r.opinion_rate, r.volume)
    voices = {"narrator": narrator, "opinion": opinion}
    return [(text, voices[role]) for role, text in runs]


# --- pieces ---------------------------------------------------------------------------

# A piece is at least this many characters of whole paragraphs where the segment has
# them (about 18 s of speech), and a paragraph longer than MAX_PIECE_CHARS is cut
# between sentences: about 60 s of speech at most, so that fixing one word re-renders
# about a minute of audio, not a whole section.
MIN_PIECE_CHARS = 300
MAX_PIECE_CHARS = 1000


def split_pieces(runs: tuple[tuple[str, str], ...]) -> tuple[tuple[tuple[str, str], ...], ...]:
    r"""The (role, text) `runs` of a segment cut into pieces, each a tuple of runs.

    Paragraphs (separated by blank lines) are gathered in order until a piece holds at
    least MIN_PIECE_CHARS characters; a paragraph over MAX_PIECE_CHARS is cut between
    sentences first. Cuts depend only on the paragraphs before them, so an edit moves
    no cut before it, and rarely one after it.

    >>> text = "Title.\n\n" + "Word. " * 60 + "\n\nEnd."
    >>> pieces = split_pieces((("narrator", text), ("opinion", "Mine.")))
    >>> [[(role, len(text)) for role, text in piece] for piece in pieces]
    [[('narrator', 367)], [('narrator', 4), ('opinion', 5)]]
    """
    pieces: list[tuple[tuple[str, str], ...]] = []
    current: list[tuple[str, str]] = []
    size = 0
    for role, text in runs:
        for paragraph in re.split(r"\n\s*\n", text.strip()):
            for k, unit in enumerate(speech.split_for_speech(paragraph, MAX_PIECE_CHARS)):
                if current and current[-1][0] == role:
                    joint = " " if k else "\n\n"
                    current[-1] = (role, f"{current[-1][1]}{joint}{unit}")
                else:
                    current.append((role, unit))
                size += len(unit)
                if size >= MIN_PIECE_CHARS:
                    pieces.append(tuple(current))
                    current, size = [], 0
    if current:
        pieces.append(tuple(current))
    return tuple(pieces)


def piece_jobs(job: RenderJob) -> tuple[RenderJob, ...]:
    """The jobs that make segment `job` piece by piece, each with its own store key.

    The first piece has the segment's lead (chime, music before), the last its tail
    (music after); a piece that starts in the other voice starts with the voice gap.
    """
    r = job.rendition
    pieces = split_pieces(_runs(job.text, r))
    jobs = []
    for n, runs in enumerate(pieces, start=1):
        first, last = n == 1, n == len(pieces)
        turn = not first and pieces[n - 2][-1][0] != runs[0][0]
        piece = replace(
            r,
            lead=float(r.lead if first else (r.gap if turn else 0)),  # floats: one key
            tail=float(r.tail if last else 0),
            chime=r.chime and first,
            music_before=r.music_before if first else None,
            music_after=r.music_after if last else None,
        )
        jobs.append(
            replace(
                job,
                key=segment_key(runs, piece),
                text="\n\n".join(text for _, text in runs),
                rendition=piece,
                music_before=job.music_before if first else None,
                music_after=job.music_after if last else None,
                runs=runs,
                piece=n,
                pieces=len(pieces),
            )
        )
    return tuple(jobs)


def assemble(store: Store, key: str, pieces: tuple[str, ...]) -> Part:
    """Store under `key` the stored `pieces` (keys) joined: frames end to end, and
    sentence marks shifted by the frames before them."""
    loaded = [found for found in map(store.load, pieces) if found is not None]
    if len(loaded) < len(pieces):
        raise EngineError(f"a piece of segment {key[:12]} is missing from the store")
    parts = [part for part, _ in loaded]
    marks, frames = [], 0
    for part in parts:
        shift = stitch.frames_to_ms(frames)
        marks += [
            replace(m, start_ms=m.start_ms + shift, end_ms=m.end_ms + shift) for m in part.marks
        ]
        frames += part.frames
    return store.put(
        key,
        b"".join(data for _, data in loaded),
        frames=frames,
        samples_per_frame=parts[0].samples_per_frame,
        sample_rate=parts[0].sample_rate,
        marks=marks,
    )


def render_segments(
    jobs: Iterable[RenderJob],
    *,
    workers: int,
    run: Callable[[RenderJob], Part] = render_one,
    ready: Callable[[int], None] | None = None,
) -> Iterator[tuple[RenderJob, Part]]:
    """Render segment `jobs` piece by piece (`render_all`); yield each segment as soon as
    all its pieces are stored, joined (`assemble`). Pieces already stored are not made
    again; a piece two segments share is made once. `ready`, if given, is called with
    the number of pieces to make before anything else is done.
    """
    segments = [(job, piece_jobs(job)) for job in jobs]
    todo: dict[str, RenderJob] = {}  # the pieces not stored, by key
    for _, pieces in segments:
        for p in pieces:
            if p.key not in todo and Store(p.store_root).get(p.key) is None:
                todo[p.key] = p
    if ready is not None:
        ready(len(todo))
    waiting: dict[str, set[str]] = {}  # segment key -> keys of pieces not yet stored
    needed_by: dict[str, list[RenderJob]] = {}  # piece key -> segments waiting for it
    for job, pieces in segments:
        waiting[job.key] = {p.key for p in pieces if p.key in todo}
        for key in waiting[job.key]:
            needed_by.setdefault(key, []).append(job)
    pieces_of = {job.key: tuple(p.key for p in pieces) for job, pieces in segments}
    for job, _ in segments:
        if not waiting[job.key]:
            yield job, assemble(Store(job.store_root), job.key, pieces_of[job.key])
    for piece, _ in render_all(todo.values(), workers=workers, run=run):
        for job in needed_by[piece.key]:
            waiting[job.key].discard(piece.key)
            if not waiting[job.key]:
                yield job, assemble(Store(job.store_root), job.key, pieces_of[job.key])


def _music_seconds(path: Path | None, rate: int) -> float:
    """How long the music before the speech lasts, as encode_segment places it at `rate`."""
    if path is None:
        return 0.0
    return len(stitch.load_music(path, rate)) / rate


# Seconds a worker may run past its job's own timeout before it is killed: the
# synthesizer stops itself after `timeout`, this only catches a worker stuck in C code.
# A worker that has replied has as long to exit, and is killed then (`_reap`).
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
    ctx = worker_context()
    cores = default_jobs()
    running: list[_Running] = []
    failure: str | None = None

    def fill() -> None:
        """Start queued jobs while there are free workers (none after a failure). A job
        started while fewer jobs can run than there are cores (those running and
        waiting, at most `workers`) encodes ahead (`encode_segment`), on a core that
        would otherwise wait."""
        while queue and failure is None and len(running) < max(1, workers):
            job, attempt = queue.pop()
            spare = min(workers, len(running) + 1 + len(queue)) < cores
            running.append(_start(ctx, run, replace(job, encode_ahead=spare), attempt))

    try:
        fill()
        while running:
            ready = mp_connection.wait(
                [r.reply for r in running] + [r.process.sentinel for r in running],
                timeout=max(0.0, min(r.deadline for r in running) - time.monotonic()),
            )
            done, ended = [], []
            for entry in list(running):
                outcome = _outcome(entry, ready)
                if outcome is None:
                    continue
                running.remove(entry)
                ended.append(entry)
                kind, value = outcome
                if kind == "ok":
                    done.append((entry.job, value))
                elif kind != "timeout" and entry.attempt <= retries and failure is None:
                    queue.append((entry.job, entry.attempt + 1))
                elif failure is None:
                    failure = f"{_where(entry.job)}: {value}"
            # The next jobs start before the finished ones are handed over, so that no
            # core waits while the caller joins, stores and reports them, or while their
            # processes exit (a few milliseconds, unmapping their memory).
            fill()
            for entry in ended:
                _reap(entry.process)
            yield from done
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
    """Start `job` in a worker `render` forked from its own process, if one waits
    (`take_preforked`), else in a fresh one from `ctx` (which starts the worker server
    if it has not started)."""
    deadline = time.monotonic() + job.timeout + KILL_GRACE
    worker = take_preforked()
    if worker is not None and worker.run(_child, (run, job)):
        return _Running(job, worker.process, worker.reply, deadline, attempt)
    reply, send = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(run, job, send), daemon=True)
    process.start()
    send.close()
    return _Running(job, process, reply, deadline, attempt)


def _outcome(entry: _Running, ready: list) -> tuple[str, object] | None:
    """("ok", part), ("error" | "crashed" | "timeout", text), or None while it runs."""
    if entry.reply in ready:
        try:
            kind, value = entry.reply.recv()
        except (EOFError, OSError):
            _reap(entry.process)
            return "crashed", _crash_text(entry.process.exitcode)
        entry.reply.close()  # the process ends by itself; the caller joins it
        return kind, value
    if entry.process.sentinel in ready:
        entry.process.join()
        entry.reply.close()
        return "crashed", _crash_text(entry.process.exitcode)
    if time.monotonic() >= entry.deadline:
        _stop(entry)
        return "timeout", f"no result within {entry.job.timeout:g} s; the worker was stopped"
    return None


def _reap(process: multiprocessing.process.BaseProcess) -> None:
    """Wait for a worker that has replied or closed its pipe to exit; kill it if it has
    not within KILL_GRACE (stuck in its exit, it would hold up the whole build)."""
    process.join(KILL_GRACE)
    if process.is_alive():
        process.kill()
        process.join()


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


def _where(job: RenderJob) -> str:
    """Which segment (and piece of it) a job makes, for messages."""
    where = f"segment {job.segment_id} ({job.title})"
    return f"{where}, piece {job.piece} of {job.pieces}" if job.pieces > 1 else where


def _describe(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
