"""audio/render.py with fake engines: worker scheduling (timeouts, crashes, retries) and
segments made in pieces.

The real engine's rendering is covered by the end-to-end tests (test_pipeline.py).
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from audio.errors import EngineError
from audio.render import (
    MAX_PIECE_CHARS,
    MIN_PIECE_CHARS,
    RenderJob,
    piece_jobs,
    render_all,
    render_segments,
    split_pieces,
)
from audio.stitch import frames_to_ms
from audio.store import Rendition, Store

HERE = Path(__file__).resolve().parent


HANG_GUARD = 60.0  # seconds


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


# --- pieces -----------------------------------------------------------------------------


def paragraph(n: int, words: int = 60) -> str:
    """A paragraph of about `words` * 6 characters, its sentences numbered from `n`."""
    return " ".join(f"Sentence {n}.{k} goes here." for k in range(words // 4))


def test_pieces_gather_short_paragraphs_and_cut_long_ones():
    short, long = "Title, by Someone.", paragraph(1, 400)
    assert len(long) > 2 * MAX_PIECE_CHARS
    runs = (("narrator", f"{short}\n\n{paragraph(2)}\n\n{long}"), ("opinion", "Mine: yes."))
    pieces = split_pieces(runs)
    texts = [text for piece in pieces for _, text in piece]
    # The title joins the paragraph after it; the long paragraph is cut between sentences.
    assert texts[0] == f"{short}\n\n{paragraph(2)}"
    assert " ".join(texts[1:-1]) == long
    assert all(len(t) <= MAX_PIECE_CHARS for t in texts[1:-1])
    assert all(t.endswith(".") for t in texts)
    # The short opinion at the end is a piece of its own, in its own voice.
    assert pieces[-1] == (("opinion", "Mine: yes."),)
    assert all(len(t) >= MIN_PIECE_CHARS for t in texts[:-1])


def test_an_edit_changes_only_the_piece_it_is_in():
    paragraphs = [paragraph(n, words=4 + 13 * n) for n in range(12)]
    edited = list(paragraphs)
    edited[6] = edited[6].replace("Sentence 6.1", "Sentence six point one")
    before = split_pieces((("narrator", "\n\n".join(paragraphs)),))
    after = split_pieces((("narrator", "\n\n".join(edited)),))
    assert len(before) == len(after) > 4
    changed = [k for k, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert len(changed) == 1
    assert "Sentence six point one" in after[changed[0]][0][1]


def test_piece_jobs_put_lead_chime_and_music_at_the_ends(tmp_path):
    rendition = Rendition(
        engine="fake", voice="v", rate=170, volume=1.0, bitrate=64, quality=5, lead=1.0,
        tail=0.25, opinion_voice="o", gap=0.35, chime=True, music_before="aa", music_after="bb",
    )  # fmt: skip
    text = f"{paragraph(1)}\n\n{paragraph(2)}\n\nRohin's opinion: {paragraph(3)}\n\n{paragraph(4)}"
    job = RenderJob(
        key="segment", segment_id="05-seg", title="Five", text=text, rendition=rendition,
        store_root=tmp_path, timeout=30, music_before=tmp_path / "a.wav",
        music_after=tmp_path / "b.wav",
    )  # fmt: skip
    pieces = piece_jobs(job)
    assert [p.runs[0][0] for p in pieces] == ["narrator", "narrator", "opinion", "narrator"]
    assert [p.rendition.lead for p in pieces] == [1.0, 0.0, 0.35, 0.35]
    assert [p.rendition.tail for p in pieces] == [0.0, 0.0, 0.0, 0.25]
    assert [p.rendition.chime for p in pieces] == [True, False, False, False]
    assert [p.music_before is not None for p in pieces] == [True, False, False, False]
    assert [p.rendition.music_after for p in pieces] == [None, None, None, "bb"]
    assert [(p.piece, p.pieces) for p in pieces] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert len({p.key for p in pieces} | {job.key}) == 5
    # The same text in another voice is another piece.
    assert piece_jobs(replace(job, rendition=replace(rendition, opinion_voice=None)))[2].key != (
        pieces[2].key
    )


def segment_jobs(tmp_path: Path, *texts: str) -> list[RenderJob]:
    return [replace(job, key=f"segment-{job.key}") for job in jobs(tmp_path, *texts)]


def made(tmp_path: Path) -> int:
    return len(list(tmp_path.glob("made-*")))


def test_a_segment_is_its_pieces_joined(fakes, tmp_path):
    first = "\n\n".join(paragraph(n) for n in range(4))
    second = f"{paragraph(10)}\n\n{paragraph(0)}"  # its second piece is the first's first
    done = dict(
        (job.segment_id, part)
        for job, part in render_segments(
            segment_jobs(tmp_path, first, second), workers=2, run=fakes.stored
        )
    )
    assert made(tmp_path) == 5  # the shared piece is made once
    store = Store(tmp_path)
    for job in segment_jobs(tmp_path, first, second):
        pieces = piece_jobs(job)
        part = done[job.segment_id]
        assert store.get(job.key) == part
        data = store.audio_path(job.key).read_bytes()
        assert data == b"".join(p.text.encode() for p in pieces)
        assert part.frames == sum(len(p.text) for p in pieces)
        # Each piece's marks, shifted by the frames before it.
        shifts = [frames_to_ms(sum(len(q.text) for q in pieces[:k])) for k in range(len(pieces))]
        assert [m.start_ms for m in part.marks] == shifts
        assert [m.text for m in part.marks] == [p.text[:20] for p in pieces]


def test_only_missing_pieces_are_made_again(fakes, tmp_path):
    text = "\n\n".join(paragraph(n) for n in range(5))
    list(render_segments(segment_jobs(tmp_path, text), workers=2, run=fakes.stored))
    assert made(tmp_path) == 5
    edited = text.replace("Sentence 3.2", "Sentence three point two")
    [(job, part)] = render_segments(segment_jobs(tmp_path, edited), workers=2, run=fakes.stored)
    assert made(tmp_path) == 6
    assert Store(tmp_path).audio_path(job.key).read_bytes() == edited.replace("\n\n", "").encode()
    # All pieces stored: the segment is joined again without any worker.
    Store(tmp_path).audio_path(job.key).unlink()
    [(job, part)] = render_segments(segment_jobs(tmp_path, edited), workers=1, run=fakes.crash)
    assert part.frames == len(edited.replace("\n\n", ""))


def test_the_caller_hears_how_many_pieces_are_to_be_made_before_any_starts(fakes, tmp_path):
    # `render` forks its workers then (`audio.workers.fork_more`).
    text = "\n\n".join(paragraph(n) for n in range(5))
    list(render_segments(segment_jobs(tmp_path, text), workers=2, run=fakes.stored))
    edited = text.replace("Sentence 3.2", "Sentence three point two")
    heard = []  # (pieces to make, pieces made so far) when told
    segments = render_segments(
        segment_jobs(tmp_path, edited),
        workers=2,
        run=fakes.stored,
        ready=lambda pieces: heard.append((pieces, made(tmp_path))),
    )
    next(segments)
    assert heard == [(1, 5)] and made(tmp_path) == 6


def test_a_failing_piece_is_named(fakes, tmp_path):
    text = "\n\n".join(paragraph(n) for n in range(3))
    with pytest.raises(EngineError, match=r"^segment 01-seg \(Segment 1\), piece 1 of 3: espeak"):
        list(render_segments(segment_jobs(tmp_path, text), workers=1, run=fakes.fail))


def test_workers_keep_freed_memory_for_their_next_arrays(fakes, tmp_path):
    # Encoding 40 s took about 3,000 page faults in a worker that keeps freed memory
    # (WORKER_ENVIRONMENT), 6,000 with glibc's defaults, which give large arrays back.
    list(render_all(jobs(tmp_path, "a"), workers=1, run=fakes.page_faults))
    assert int((tmp_path / "faults-01-seg").read_text()) < 4500


def test_the_next_job_starts_before_a_finished_one_is_handed_over(fakes, tmp_path):
    # While the caller joins and stores a finished piece, the worker slot is not idle.
    results = render_all(jobs(tmp_path, "a", "b"), workers=1, run=fakes.marks_its_start)
    first, _ = next(results)  # the caller holds the first result...
    assert first.segment_id == "01-seg"
    second = tmp_path / "started-02-seg"
    deadline = time.monotonic() + HANG_GUARD  # only against a hang, never a speed limit
    while not second.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert second.exists()  # ...and the second job is running meanwhile
    assert [job.segment_id for job, _ in results] == ["02-seg"]


def test_the_next_job_does_not_wait_for_a_finished_worker_to_exit(fakes, tmp_path):
    # A worker's process ends some milliseconds after its reply (freeing its memory);
    # here a second after, and the next job starts meanwhile.
    results = render_all(jobs(tmp_path, "a", "b"), workers=1, run=fakes.slow_to_exit)
    assert [job.segment_id for job, _ in results] == ["01-seg", "02-seg"]
    exited = (tmp_path / "exited-01-seg").stat().st_mtime_ns
    assert (tmp_path / "started-02-seg").stat().st_mtime_ns < exited


def test_a_worker_that_does_not_exit_after_its_reply_is_killed(fakes, tmp_path, monkeypatch):
    monkeypatch.setattr("audio.render.KILL_GRACE", 0.5)
    results = render_all(jobs(tmp_path, "a", "b", "c"), workers=2, run=fakes.never_exits)
    assert sorted(job.segment_id for job, _ in results) == ["01-seg", "02-seg", "03-seg"]


def test_workers_run_on_one_thread_each(fakes, tmp_path):
    # Any extra thread in a worker competes with the other workers for the cores.
    list(render_all(jobs(tmp_path, "a", "b"), workers=2, run=fakes.threads))
    assert [int(p.read_text()) for p in sorted(tmp_path.glob("threads-*"))] == [1, 1]


@pytest.mark.parametrize(
    "workers, count, expected",
    [(2, 1, ["True"]), (1, 2, ["True", "True"]), (2, 4, ["False", "False"])],
)
def test_jobs_encode_ahead_when_a_core_would_wait(
    fakes, tmp_path, monkeypatch, workers, count, expected
):
    # On 2 cores: a re-render's one piece, and every piece of a build with --jobs 1,
    # have a core to spare; the first pieces of a build on both cores have none.
    monkeypatch.setattr("audio.render.default_jobs", lambda: 2)
    texts = [f"text {n}" for n in range(count)]
    list(render_all(jobs(tmp_path, *texts), workers=workers, run=fakes.notes_ahead))
    notes = [(tmp_path / f"ahead-{n:02d}-seg").read_text() for n in range(1, count + 1)]
    assert notes[: len(expected)] == expected
