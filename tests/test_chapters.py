"""Chapter planning, the ID3v2.3 tag with CHAP/CTOC (checked with ffprobe), chapters JSON."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest
from mutagen.id3 import ID3

from audio.chapters import Tags, chapters_json, plan_chapters, read_chapters, write_id3
from audio.model import Chapter
from audio.stitch import encode_segment, frames_to_ms, join_parts, scan_frames

ENTRIES = (
    ("01-intro", "Intro: Stuhlmüller's café", None),
    ("02-highlight-utility", "Utility ≠ Reward 🎉", "https://example.org/utility"),
    ("03-outro", "Outro", None),
)
TAGS = Tags(
    title="Issue 42: Utility ≠ Reward",
    artist="The Alignment Newsletter",
    album="Alignment Newsletter Audio",
    date="2019-12-04",
    track=42,
    comment="Read by espeak-ng.",
)


@pytest.fixture
def episode(make_wav, tmp_path) -> tuple[Path, tuple[Chapter, ...], int]:
    """A joined three-part MP3 (no tag yet), its planned chapters and its frame count."""
    parts = []
    for i, seconds in enumerate((0.7, 1.9, 0.4)):
        part = tmp_path / f"part{i}.mp3"
        part.write_bytes(encode_segment(make_wav(f"{i}.wav", seconds=seconds), lead=0.2, tail=0.5))
        parts.append(part)
    mp3 = tmp_path / "episode.mp3"
    with mp3.open("wb") as out:
        total = join_parts(parts, out)
    counts = [scan_frames(p.read_bytes()).frames for p in parts]
    return mp3, plan_chapters(ENTRIES, counts), total


def ffprobe_chapters(path: Path) -> list[dict]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_chapters", "-of", "json", path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)["chapters"]


def chap_order(path: Path) -> list[str]:
    """The element ids of the CHAP frames in the order they are stored in the file."""
    data = path.read_bytes()
    assert data[:4] == b"ID3\x03"
    end = 10 + (data[6] << 21 | data[7] << 14 | data[8] << 7 | data[9])
    pos, ids = 10, []
    while pos < end and data[pos] != 0:
        size = int.from_bytes(data[pos + 4 : pos + 8], "big")
        if data[pos : pos + 4] == b"CHAP":
            ids.append(data[pos + 10 : data.index(b"\0", pos + 10)].decode())
        pos += 10 + size
    return ids


def test_plan_chapters_exact_ms():
    chapters = plan_chapters(ENTRIES, [38, 100, 1])
    assert [(c.element_id, c.start_ms, c.end_ms) for c in chapters] == [
        ("01-intro", 0, 993),  # 38 frames = 992.65 ms
        ("02-highlight-utility", 993, 3605),  # 138 frames = 3604.90 ms
        ("03-outro", 3605, 3631),  # 139 frames = 3631.02 ms
    ]
    assert chapters[1].url == "https://example.org/utility"
    assert chapters[0].title == "Intro: Stuhlmüller's café"


def test_plan_chapters_has_no_rounding_drift():
    chapters = plan_chapters([(f"c{i}", "t", None) for i in range(200)], [77] * 200)
    assert chapters[-1].end_ms == frames_to_ms(200 * 77)
    assert all(a.end_ms == b.start_ms for a, b in itertools.pairwise(chapters))


@pytest.mark.parametrize(
    "entries, counts, message",
    [
        (ENTRIES, [1, 2], "3 chapters but 2"),
        (ENTRIES, [1, -2, 3], "negative"),
        ((("a", "A", None), ("a", "B", None)), [1, 2], "used twice"),
        ((("toc", "A", None),), [1], "reserved"),
        ((("toc-2", "A", None),), [1], "reserved"),
        ((("", "A", None),), [1], "non-empty ASCII"),
    ],
)
def test_plan_chapters_rejects(entries, counts, message):
    with pytest.raises(ValueError, match=message):
        plan_chapters(entries, counts)


def test_ffprobe_sees_the_planned_chapters(episode):
    mp3, chapters, total = episode
    write_id3(mp3, TAGS, chapters)
    probed = ffprobe_chapters(mp3)
    assert [c["tags"]["title"] for c in probed] == [title for _, title, _ in ENTRIES]
    assert [c["time_base"] for c in probed] == ["1/1000"] * 3
    assert [c["start"] for c in probed] == [c.start_ms for c in chapters]
    assert [c["end"] for c in probed] == [c.end_ms for c in chapters]
    assert probed[-1]["end"] == frames_to_ms(total)


def test_tagged_episode_still_decodes_and_keeps_its_frames(episode):
    mp3, chapters, total = episode
    write_id3(mp3, TAGS, chapters)
    assert scan_frames(mp3.read_bytes()).frames == total
    decode = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", mp3, "-f", "null", "-"], capture_output=True, text=True
    )
    assert (decode.returncode, decode.stderr) == (0, "")


def test_mutagen_reads_back_tags_and_chapters(episode):
    mp3, chapters, _ = episode
    write_id3(mp3, TAGS, chapters)
    id3 = ID3(mp3)
    assert id3.version == (2, 3, 0)
    assert id3["TIT2"].text == [TAGS.title]
    assert id3["TPE1"].text == [TAGS.artist]
    assert id3["TALB"].text == [TAGS.album]
    assert id3["TRCK"].text == ["42"]
    assert str(id3["TDRC"].text[0]) == "2019-12-04"  # stored as TYER + TDAT
    assert id3.getall("COMM")[0].text == [TAGS.comment]
    toc = id3["CTOC:toc"]
    assert toc.flags == 3  # TOP_LEVEL | ORDERED
    assert toc.child_element_ids == [c.element_id for c in chapters]
    assert read_chapters(mp3) == chapters  # unicode titles and the URL survive


def test_more_chapters_than_one_ctoc_can_list(make_wav, tmp_path):
    # A CTOC counts its entries in one byte; 600 chapters need sub-tables.
    part = tmp_path / "part.mp3"
    part.write_bytes(encode_segment(make_wav(seconds=0.05), lead=0.0, tail=0.0))
    mp3 = tmp_path / "long.mp3"
    with mp3.open("wb") as out:
        total = join_parts([part] * 600, out)
    entries = [(f"{n:03d}-part", f"Part {n}", None) for n in range(1, 601)]
    chapters = plan_chapters(entries, [total // 600] * 600)
    write_id3(mp3, TAGS, chapters)

    id3 = ID3(mp3)
    assert id3["CTOC:toc"].child_element_ids == ["toc-1", "toc-2", "toc-3"]
    assert [len(id3[f"CTOC:toc-{n}"].child_element_ids) for n in (1, 2, 3)] == [255, 255, 90]
    assert read_chapters(mp3) == chapters
    assert [c["start"] for c in ffprobe_chapters(mp3)] == [c.start_ms for c in chapters]


def test_chap_frames_are_stored_in_time_order(episode):
    mp3, chapters, _ = episode
    # mutagen alone would store these by frame size: "03-outro" (shortest) first.
    write_id3(mp3, TAGS, chapters)
    assert chap_order(mp3) == [c.element_id for c in chapters]


def test_write_id3_is_deterministic_and_replaces_old_tags(episode):
    mp3, chapters, _ = episode
    write_id3(mp3, TAGS, chapters)
    once = mp3.read_bytes()
    write_id3(mp3, TAGS, chapters)
    assert mp3.read_bytes() == once
    longer = Tags(title="x" * 5000, artist="a", album="b", comment="old")
    write_id3(mp3, longer, chapters[:1])
    write_id3(mp3, TAGS, chapters)
    assert mp3.read_bytes() == once


def test_write_id3_drops_an_id3v1_tag_and_old_frames(make_wav, tmp_path):
    mp3 = tmp_path / "ff.mp3"
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-i", make_wav(), "-ar", "44100", "-write_id3v1", "1"),
            *("-metadata", "title=Old", "-metadata", "genre=Old", mp3),
        ],
        check=True,
    )
    assert mp3.read_bytes()[-128:].startswith(b"TAG")
    write_id3(mp3, TAGS, [])
    data = mp3.read_bytes()
    assert not data[-128:].startswith(b"TAG")
    id3 = ID3(mp3)
    assert id3["TIT2"].text == [TAGS.title] and "TCON" not in id3
    assert read_chapters(mp3) == ()


def test_read_chapters_without_a_tag(episode):
    mp3, _, _ = episode
    assert read_chapters(mp3) == ()


def test_minimal_tags(episode):
    mp3, chapters, _ = episode
    write_id3(mp3, Tags(title="T", artist="A", album="B"), chapters)
    id3 = ID3(mp3)
    assert {"TRCK", "TYER", "COMM::eng"}.isdisjoint(id3.keys())


@pytest.mark.parametrize(
    "tags, message",
    [
        (Tags("t", "a", "b", date="4 Dec 2019"), "date"),
        (Tags("t", "a", "b", language="en"), "language"),
    ],
)
def test_write_id3_rejects_bad_tags(episode, tags, message):
    mp3, chapters, _ = episode
    with pytest.raises(ValueError, match=message):
        write_id3(mp3, tags, chapters)


def test_chapters_json_shape():
    chapters = plan_chapters(ENTRIES, [38, 100, 1])
    doc = chapters_json(chapters, title="Issue 42")
    assert json.loads(json.dumps(doc, ensure_ascii=False)) == doc
    assert doc["version"] == "1.2.0" and doc["title"] == "Issue 42"
    assert doc["chapters"] == [
        {"startTime": 0.0, "endTime": 0.993, "title": "Intro: Stuhlmüller's café"},
        {
            "startTime": 0.993,
            "endTime": 3.605,
            "title": "Utility ≠ Reward 🎉",
            "url": "https://example.org/utility",
        },
        {"startTime": 3.605, "endTime": 3.631, "title": "Outro"},
    ]
    assert "title" not in chapters_json(chapters)


def test_importing_chapters_does_not_load_mutagen():
    code = "import sys, audio.chapters; print('mutagen' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
