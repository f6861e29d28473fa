"""Fake render functions for tests of the worker scheduling in audio/render.py.

They run in worker processes, which import them by module name: tests put this
folder on `sys.path` first. Each stands in for `audio.render.render_one`.
"""

from __future__ import annotations

import os
import signal
import time

from audio.model import Mark, Part
from audio.render import RenderJob
from audio.store import Store


def quick(job: RenderJob) -> Part:
    """Succeed at once with a part whose frame count is the text's length."""
    return Part(
        key=job.key, frames=len(job.text), samples_per_frame=1152, sample_rate=44100, size=0
    )


def hang(job: RenderJob) -> Part:
    """Never finish, like a synthesis stuck in espeak-ng."""
    while True:
        time.sleep(60)


def crash(job: RenderJob) -> Part:
    """Die with SIGSEGV, as pyttsx3 can when a process ends mid-synthesis."""
    os.kill(os.getpid(), signal.SIGSEGV)
    raise AssertionError("unreachable")


def crash_once(job: RenderJob) -> Part:
    """Crash the first time a job is tried (a marker file remembers), succeed the second."""
    marker = job.store_root / f"tried-{job.segment_id}"
    if not marker.exists():
        marker.touch()
        crash(job)
    return quick(job)


def fail(job: RenderJob) -> Part:
    """Raise an error as the synthesizer does for a bad result; count the tries."""
    (job.store_root / f"try-{job.segment_id}-{os.getpid()}").touch()
    raise RuntimeError("espeak-ng wrote an empty WAV")


def hang_on_hang(job: RenderJob) -> Part:
    """Hang on the text "hang"; succeed on any other."""
    return hang(job) if job.text == "hang" else quick(job)


def stored(job: RenderJob) -> Part:
    """Store the job's text as its "audio" (a frame per character, a mark per run) and
    leave a file named after its key, so that tests can count what was made."""
    (job.store_root / f"made-{job.key}").touch()
    marks, at = [], 0
    for _, text in job.runs or (("narrator", job.text),):
        marks.append(Mark(at, at + 10, text[:20]))
        at += 100
    return Store(job.store_root).put(
        job.key,
        job.text.encode("utf-8"),
        frames=len(job.text),
        samples_per_frame=1152,
        sample_rate=44100,
        marks=marks,
    )


def threads(job: RenderJob) -> Part:
    """Do a matrix product as audio.dsp does, then leave the number of this process's
    threads in a file named after the segment."""
    import numpy as np

    from audio import dsp

    dsp.biquad(np.array([1.0, -2.0, 1.0]), np.array([1.0, -1.99, 0.99]), np.ones(1 << 20))
    count = len(os.listdir("/proc/self/task"))
    (job.store_root / f"threads-{job.segment_id}").write_text(str(count))
    return quick(job)


def page_faults(job: RenderJob) -> Part:
    """Encode 40 s of noisy tone bursts as a piece is encoded (loudness, limiter, LAME,
    peak check) and leave the page faults that took in a file named after the segment."""
    import resource
    import wave

    import numpy as np

    from audio import stitch

    rate, n = 22050, 22050 * 40
    t = np.arange(n)
    bursts = np.random.default_rng(7).standard_normal(n) * (np.sin(t / 3000) > 0)
    samples = 0.1 * bursts + 0.2 * np.sin(2 * np.pi * 180 * t / rate) * (np.sin(t / 700) > 0)
    wav = job.store_root / f"{job.segment_id}.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((samples * 32767).clip(-32768, 32767).astype("<i2").tobytes())
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    stitch.encode_segment(wav, lead=0.5, tail=0.25)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    (job.store_root / f"faults-{job.segment_id}").write_text(str(faults))
    return quick(job)


def marks_its_start(job: RenderJob) -> Part:
    """Leave a file named after the segment as soon as the worker runs, then succeed."""
    (job.store_root / f"started-{job.segment_id}").touch()
    return quick(job)


def notes_ahead(job: RenderJob) -> Part:
    """Leave whether the job was to encode ahead in a file named after the segment."""
    (job.store_root / f"ahead-{job.segment_id}").write_text(str(job.encode_ahead))
    return quick(job)


def notes_parent(job: RenderJob) -> Part:
    """`quick`, leaving the worker's parent process id in a file named after the segment."""
    (job.store_root / f"parent-{job.segment_id}").write_text(str(os.getppid()))
    return quick(job)


def render_preforked(store: str, run_name: str, *segment_ids: str) -> None:
    """What `render` does, in a fresh process (`python -c`): fork a worker first thing,
    then, after "planning", workers for the pieces (`fork_more`), and render a job per
    segment id, two at a time, by `run_name` (a function here, or "render_one": the
    real engine). Prints this process's id."""
    from pathlib import Path

    from audio import workers

    assert workers.prefork_worker() is not None
    from audio import render, speech
    from audio.store import Rendition

    workers.fork_more(len(segment_ids), 2)

    run = render.render_one if run_name == "render_one" else globals()[run_name]
    engine = speech.engine_id() if run_name == "render_one" else "fake"
    rendition = Rendition(engine, "gmw/en-us", 175, 1.0, 64, 5, 0.3, 0.25)
    text = "Verification and Transparency, by Daniel Filan.\n\nThey have similar goals."
    jobs = [
        RenderJob(f"{n:064x}", s, "Segment", text, rendition, Path(store), 60.0)
        for n, s in enumerate(segment_ids)
    ]
    list(render.render_all(jobs, workers=2, run=run))
    assert not workers.preforked()
    print(os.getpid())


def slow_to_exit(job: RenderJob) -> Part:
    """`marks_its_start`, and the worker process ends a second after its reply (a
    thread it waits for), leaving a file named after the segment just before."""
    import threading

    def linger() -> None:
        time.sleep(1)
        (job.store_root / f"exited-{job.segment_id}").touch()

    threading.Thread(target=linger).start()
    return marks_its_start(job)


def never_exits(job: RenderJob) -> Part:
    """`quick`, and the worker process never ends after its reply (a thread it waits
    for sleeps on)."""
    import threading

    threading.Thread(target=time.sleep, args=(3600,)).start()
    return quick(job)
