"""The worker scheduling of audio/render.py, with fake engines: timeouts, crashes, retries.

The real engine's rendering is covered by the end-to-end tests (test_pipeline.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from audio.errors import EngineError
from audio.render import RenderJob, render_all
from audio.store import Rendition

HERE = Path(__file__).resolve().parent


@pytest.fixture
def fakes(monkeypatch):
    """The fake engines module, importable by worker processes too."""
    monkeypatch.syspath_prepend(str(HERE))
    import fake_engines

    return fake_engines


def jobs(tmp_path: Path, *texts: str, timeout: float = 30.0) -> list[RenderJob]:
    rendition = Rendition(
        engine="fake", voice="v", rate=170, volume=1.0, bitrate=64, quality=5, lead=0, tail=0
    )
    return [
        RenderJob(
            key=f"k{i}",
            segment_id=f"{i:02d}-seg",
            title=f"Segment {i}",
            text=text,
            rendition=rendition,
            store_root=tmp_path,
            timeout=timeout,
        )
        for i, text in enumerate(texts, start=1)
    ]


def test_every_job_is_yielded_once(fakes, tmp_path):
    done = list(render_all(jobs(tmp_path, "a", "bb", "ccc", "dddd"), workers=2, run=fakes.quick))
    assert sorted((job.segment_id, part.frames) for job, part in done) == [
        ("01-seg", 1),
        ("02-seg", 2),
        ("03-seg", 3),
        ("04-seg", 4),
    ]


def test_a_hanging_synthesis_is_stopped_after_its_timeout(fakes, tmp_path):
    with pytest.raises(EngineError) as caught:
        list(render_all(jobs(tmp_path, "a", timeout=0.5), workers=1, run=fakes.hang))
    message = str(caught.value)
    assert message == ("segment 01-seg (Segment 1): no result within 0.5 s; the worker was stopped")


def test_a_crashed_worker_is_retried_once_in_a_fresh_process(fakes, tmp_path):
    done = list(render_all(jobs(tmp_path, "a", "bb"), workers=2, run=fakes.crash_once))
    assert sorted(job.segment_id for job, _ in done) == ["01-seg", "02-seg"]
    assert sorted(p.name for p in tmp_path.glob("tried-*")) == ["tried-01-seg", "tried-02-seg"]


def test_a_worker_that_crashes_twice_is_reported_by_segment(fakes, tmp_path):
    with pytest.raises(EngineError) as caught:
        list(render_all(jobs(tmp_path, "a"), workers=1, run=fakes.crash))
    assert str(caught.value) == (
        "segment 01-seg (Segment 1): the speech worker process crashed (SIGSEGV)"
    )


def test_a_failure_is_tried_again_then_reported_and_finished_work_is_kept(fakes, tmp_path):
    with pytest.raises(EngineError) as caught:
        list(render_all(jobs(tmp_path, "a"), workers=1, run=fakes.fail))
    assert str(caught.value) == "segment 01-seg (Segment 1): espeak-ng wrote an empty WAV"
    assert len(list(tmp_path.glob("try-01-seg-*"))) == 2  # two processes tried


def test_segments_finished_before_a_failure_are_yielded(fakes, tmp_path):
    finished = []
    with pytest.raises(EngineError, match=r"^segment 02-seg "):
        for job, _ in render_all(
            jobs(tmp_path, "a", "hang", timeout=1.0), workers=1, run=fakes.hang_on_hang
        ):
            finished.append(job.segment_id)
    assert finished == ["01-seg"]
