"""check: a real build passes; each kind of damage to it is reported, naming the file.

One sample issue is built once (real espeak-ng, LAME, mutagen) in a folder outside the
repository; each test that damages something works on its own copy.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import podcastparser
import pytest
from lxml import etree
from mutagen.id3 import ID3, CTOCFlags
from PIL import Image

from audio.chapters import Tags, read_chapters, write_id3
from audio.check import Problem, check_output
from audio.config import Config

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = "alignment-newsletter-076.txt"
SLUG = "alignment-newsletter-076"
CONFIG = Config()
NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
}


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """`python -m audio ARGS` in `cwd`, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "audio", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A newsletter folder with one sample issue, built into output/."""
    folder = tmp_path_factory.mktemp("newsletter")
    (folder / "issues").mkdir()
    shutil.copy(ROOT / "issues" / SAMPLE, folder / "issues" / SAMPLE)
    result = run(folder, "build")
    assert result.returncode == 0, result.stderr
    return folder


@pytest.fixture
def output(built, tmp_path) -> Path:
    """A copy of the built output/ that a test may damage."""
    copy = tmp_path / "output"
    shutil.copytree(built / "output", copy, ignore=shutil.ignore_patterns(".store"))
    return copy


def messages(output: Path) -> list[str]:
    return [str(p) for p in check_output(output, CONFIG)]


def mp3(output: Path) -> Path:
    return output / SLUG / f"{SLUG}.mp3"


def edit_feed(output: Path, change) -> None:
    path = output / "feed.xml"
    root = etree.fromstring(path.read_bytes())
    change(root)
    path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def remove(root: etree._Element, path: str) -> None:
    for element in root.xpath(path, namespaces=NS):
        element.getparent().remove(element)


# --------------------------------------------------------------------------- a real build


def test_a_real_build_passes(built):
    assert check_output(built / "output", CONFIG) == []


def test_a_real_feed_carries_its_chapters_for_podcastparser(built):
    xml = (built / "output" / "feed.xml").read_bytes()
    record = json.loads((built / "output" / SLUG / "episode.json").read_text(encoding="utf-8"))

    (episode,) = podcastparser.parse("http://localhost:8000/feed.xml", io.BytesIO(xml))["episodes"]

    assert episode["chapters"] == [
        {"start": c["start_ms"] // 1000, "title": c["title"]} for c in record["chapters"]
    ]


def test_the_command_says_ok(built):
    result = run(built, "check")

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "OK: 1 episode(s), feed valid\n"


def test_the_command_lists_problems_and_fails(built, output):
    shutil.copytree(built / "issues", output.parent / "issues")
    with open(mp3(output), "r+b") as f:
        f.truncate(mp3(output).stat().st_size - 1000)

    result = run(output.parent, "check")

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert f"output/{SLUG}/{SLUG}.mp3: enclosure length in the feed is" in lines[0]
    assert all(line.startswith("output/") for line in lines)
    assert "problem(s)" in result.stderr


def test_a_good_transcript_passes(output):
    (output / SLUG / "transcript.vtt").write_text(
        "WEBVTT\n\nNOTE made by hand\n\n1\n00:00.000 --> 00:02.500\nWelcome.\n\n"
        "00:00:02.500 --> 00:00:20.000 align:start\n<v Reader>Noisy &amp; students.\n",
        encoding="utf-8",
    )
    (output / SLUG / "transcript.srt").write_text(
        "1\n00:00:00,000 --> 00:00:02,500\nWelcome.\n\n2\n00:00:02,500 --> 00:00:20,000\nOn.\n",
        encoding="utf-8",
    )

    assert messages(output) == []


# --------------------------------------------------------------------------- damage


def test_truncated_mp3_is_an_enclosure_length_mismatch(output):
    size = mp3(output).stat().st_size
    with open(mp3(output), "r+b") as f:
        f.truncate(size - 1000)

    found = messages(output)

    assert f"{mp3(output)}: enclosure length in the feed is {size}, file is {size - 1000}" in found
    assert any("not a valid MP3: truncated MP3" in m for m in found)


def test_enclosure_length_off_by_one_in_the_feed_is_the_only_problem(built, output):
    shutil.copytree(built / "issues", output.parent / "issues")
    size = mp3(output).stat().st_size

    def off_by_one(root):
        (enclosure,) = root.iter("enclosure")
        enclosure.set("length", str(size + 1))

    edit_feed(output, off_by_one)
    result = run(output.parent, "check")

    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"output/{SLUG}/{SLUG}.mp3: enclosure length in the feed is {size + 1}, file is {size}"
    ]


def test_edited_chapters_json_is_reported(output):
    path = output / SLUG / "chapters.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    want = doc["chapters"][2]
    doc["chapters"][2] = dict(want, startTime=want["startTime"] + 0.001, title="Unsafe Gym")
    path.write_text(json.dumps(doc), encoding="utf-8")

    found = messages(output)

    start = round(want["startTime"] * 1000)
    assert found == [
        f"{path}: chapter 3: title 'Unsafe Gym', manifest '{want['title']}'",
        f"{path}: chapter 3 ({want['title']}): startTime {start + 1} ms, manifest {start} ms",
    ]


def test_missing_chapters_json_is_reported(output):
    (output / SLUG / "chapters.json").unlink()

    assert messages(output) == [
        f"{output / SLUG / 'chapters.json'}: missing; the episode has chapters"
    ]


def test_id3_chapters_that_differ_are_reported_by_mutagen_and_ffprobe(output):
    chapters = read_chapters(mp3(output))
    moved = replace(chapters[1], start_ms=chapters[1].start_ms + 5)
    write_id3(mp3(output), Tags("t", "a", "b"), (chapters[0], moved, *chapters[2:]))
    size = mp3(output).stat().st_size

    found = messages(output)

    start, title = chapters[1].start_ms, chapters[1].title
    for reader in ("mutagen", "ffprobe"):
        assert (
            f"{mp3(output)}: chapter 2 ({title}): {reader} reads start (ms) {start + 5}, "
            f"manifest {start}"
        ) in found
    assert any(f"{mp3(output)}: enclosure length in the feed is " in m for m in found)
    assert any(f"{mp3(output)}: the manifest says " in m and f"file is {size}" in m for m in found)


def test_chap_frames_out_of_time_order_are_reported(output):
    tags = ID3(mp3(output))
    tags.save(mp3(output), v1=0, v2_version=3, padding=lambda info: 0)  # sorts CHAPs by size

    found = messages(output)

    assert (
        f"{mp3(output)}: the ID3 CHAP frames are not in time order in the file "
        "(some players stop at the first chapter out of order)"
    ) in found
    assert not any("reads start" in m for m in found)


def test_missing_ctoc_is_reported(output):
    tags = ID3(mp3(output))
    tags.delall("CTOC")
    tags.save(mp3(output), v1=0, v2_version=3, padding=lambda info: 0)

    found = messages(output)

    assert f"{mp3(output)}: the ID3 tag has CHAP frames but no top-level CTOC" in found


def test_ctoc_that_misses_a_chapter_is_reported(output):
    tags = ID3(mp3(output))
    (toc,) = tags.getall("CTOC")
    assert toc.flags & CTOCFlags.TOP_LEVEL
    toc.child_element_ids = toc.child_element_ids[:-1]
    tags.save(mp3(output), v1=0, v2_version=3, padding=lambda info: 0)

    found = messages(output)

    assert f"{mp3(output)}: the ID3 CTOC does not list exactly the CHAP frames" in found
    assert any("mutagen reads 8 chapters, the manifest has 9" in m for m in found)


def test_last_chapter_must_end_with_the_audio(output):
    manifest_path = output / SLUG / "episode.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["chapters"][-1]["end_ms"] += 31
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")

    found = messages(output)

    end = manifest["chapters"][-1]["end_ms"]
    assert f"{mp3(output)}: the last chapter ends at {end} ms, the audio at {end - 31} ms" in found


def test_missing_podcast_guid_is_reported(output):
    edit_feed(output, lambda root: remove(root, "channel/podcast:guid"))

    assert messages(output) == [f"{output / 'feed.xml'}: the channel has no podcast:guid"]


@pytest.mark.parametrize(
    "path, message",
    [
        ("channel/title", "the channel has no title"),
        ("channel/language", "the channel has no language"),
        ("channel/itunes:author", "the channel has no itunes:author"),
        (
            "channel/itunes:owner",
            "the channel has no itunes:owner/itunes:email (Apple requires one)",
        ),
        ("channel/itunes:image", "the channel has no itunes:image"),
        ("channel/itunes:category", "the channel has no itunes:category"),
        ("channel/itunes:explicit", 'itunes:explicit must be "true" or "false", not \'missing\''),
        ("channel/podcast:locked", 'podcast:locked must be "yes" or "no", not \'missing\''),
        ("channel/item/itunes:duration", "item 1 (Alignment Newsletter #76: How dataset size"),
        ("channel/item/pubDate", "has no pubDate"),
    ],
)
def test_missing_channel_and_item_tags_are_reported(output, path, message):
    edit_feed(output, lambda root: remove(root, path))

    found = messages(output)

    assert len(found) == 1
    assert found[0].startswith(f"{output / 'feed.xml'}: ")
    assert message in found[0]


def test_wrong_self_link_is_reported(output):
    config = replace(CONFIG, base_url="https://pod.example.org/an/")

    found = [str(p) for p in check_output(output, config)]

    feed = output / "feed.xml"
    assert (
        f'{feed}: atom:link rel="self" is http://localhost:8000/feed.xml, '
        "but the feed is at https://pod.example.org/an/feed.xml"
    ) in found
    assert any("not under the base URL https://pod.example.org/an/" in m for m in found)


def test_bad_dates_and_duplicate_guids_are_reported(output):
    def change(root):
        item = root.find("channel/item")
        item.find("pubDate").text = "2019-12-04"
        twin = etree.fromstring(etree.tostring(item))
        twin.find("title").text = "Twin"
        item.addnext(twin)

    edit_feed(output, change)
    found = messages(output)

    assert any(
        "item 1 (" in m and "pubDate '2019-12-04' is not an RFC 2822 date" in m for m in found
    )
    assert any("item 2 (Twin) has the same guid as an earlier item" in m for m in found)


def test_episode_missing_from_the_feed_is_reported(output):
    edit_feed(output, lambda root: remove(root, "channel/item"))

    assert messages(output) == [
        f"{output / SLUG / 'episode.json'}: episode "
        f"{json.loads((output / SLUG / 'episode.json').read_text())['guid']} is not in the feed"
    ]


def test_malformed_feed_is_reported(output):
    feed = output / "feed.xml"
    feed.write_bytes(feed.read_bytes().replace(b"</channel>", b""))

    found = messages(output)

    assert len(found) == 1
    assert found[0].startswith(f"{feed}: not well-formed XML: ")


def test_missing_feed_is_reported(output):
    (output / "feed.xml").unlink()

    found = messages(output)

    assert found == [
        f"{output / 'feed.xml'}: cannot read the feed (No such file or directory); "
        "run `audio-edition build`"
    ]


def test_wrong_artwork_is_reported(output):
    (cover,) = output.glob("cover-*.png")
    Image.new("RGBA", (1000, 1200), (0, 0, 0, 0)).save(cover)

    assert messages(output) == [
        f"{cover}: artwork is 1000x1200 pixels; it must be a square of 1400 to 3000",
        f"{cover}: artwork must be RGB without transparency, not RGBA",
    ]


def test_missing_artwork_is_reported(output):
    (cover,) = output.glob("cover-*.png")
    cover.unlink()

    found = messages(output)

    assert len(found) == 1
    assert found[0].endswith(f"no such file {cover}")


def test_bad_transcript_is_reported(output):
    path = output / SLUG / "transcript.vtt"
    path.write_text(
        "WEBVTT\n\n00:00:05.000 --> 00:00:04.000\nBackwards.\n\n"
        "00:00:01.000 --> 00:59:00.000\nToo long.\n",
        encoding="utf-8",
    )

    found = messages(output)

    assert found[0] == f"{path}: cue 1 ends (00:00:04.000) before it starts (00:00:05.000)"
    assert found[1] == f"{path}: cue 2 starts at 00:00:01.000, before cue 1"
    assert found[2].startswith(f"{path}: cue 2 ends at 00:59:00.000, after the audio (00:18:")


def test_unparseable_transcript_is_reported(output):
    path = output / SLUG / "transcript.vtt"
    path.write_text("WEBVTT\n\n00:00:01.000 -> 00:00:02.000\nOops.\n", encoding="utf-8")

    assert messages(output) == [
        f"{path}: cannot parse: line 3: not a cue timing: '00:00:01.000 -> 00:00:02.000'"
    ]


def test_problems_are_one_line():
    problem = Problem(Path("output/feed.xml"), "first\nsecond")

    assert str(problem) == "output/feed.xml: first second"


# --------------------------------------------------------------------------- captions
