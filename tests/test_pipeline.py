"""End to end, with real parts: espeak-ng speaks, LAME encodes, ffprobe and mutagen read the
chapters back, and gPodder's podcastparser and feedparser read the feed.

One build of two samples (one flattened, one with lines of its own), made once in a
folder that is not the repository, serves most tests; tests that change something work
on a copy of it, so only what they change is synthesized again.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import feedparser
import podcastparser
import pytest
from mutagen.id3 import ID3

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ("alignment-newsletter-062.txt", "alignment-newsletter-076.txt")
SLUGS = ("alignment-newsletter-062", "alignment-newsletter-076")


def run(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """`python -m audio ARGS` in `cwd`, as a user would run it."""
    result = subprocess.run(
        [sys.executable, "-m", "audio", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """A newsletter folder with two sample issues, built into output/."""
    folder = tmp_path_factory.mktemp("newsletter")
    (folder / "issues").mkdir()
    for name in SAMPLES:
        shutil.copy(ROOT / "issues" / name, folder / "issues" / name)
    run(folder, "build")
    return folder


@pytest.fixture
def workspace(built, tmp_path) -> Path:
    """A copy of the built folder (store included) that a test may change."""
    copy = tmp_path / "newsletter"
    shutil.copytree(built, copy)
    return copy


def manifest(folder: Path, slug: str) -> dict:
    return json.loads((folder / "output" / slug / "episode.json").read_text(encoding="utf-8"))


def mp3_of(folder: Path, slug: str) -> Path:
    return folder / "output" / slug / f"{slug}.mp3"


def ffprobe(path: Path, *entries: str) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", *entries, "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize("slug", SLUGS)
def test_chapters_read_back_with_ffprobe(built, slug):
    record = manifest(built, slug)
    mp3 = mp3_of(built, slug)
    chapters = ffprobe(mp3, "-show_chapters")["chapters"]
    assert [c["tags"]["title"] for c in chapters] == [s["title"] for s in record["segments"]]
    assert [round(float(c["start_time"]) * 1000) for c in chapters] == [
        c["start_ms"] for c in record["chapters"]
    ]
    assert [c["end"] for c in chapters] == [c["end_ms"] for c in record["chapters"]]
    duration = float(ffprobe(mp3, "-show_entries", "format=duration")["format"]["duration"])
    assert abs(chapters[-1]["end"] - duration * 1000) <= 30
    assert record["duration_ms"] == chapters[-1]["end"]
    assert record["size"] == mp3.stat().st_size


def test_chapter_titles_of_the_flattened_sample(built):
    titles = [s["title"] for s in manifest(built, "alignment-newsletter-062")["segments"]]
    assert titles == [
        "Introduction",
        "Call for contributors to the Alignment Newsletter",
        "Adversarial Examples Are Not Bugs, They Are Features",
        "Technical AI alignment: Problems",
        "Technical AI alignment: Iterated amplification",
        "Technical AI alignment: Miscellaneous (Alignment)",
        "Near-term concerns: Privacy and security",
        "Near-term concerns: Machine ethics",
        "AI strategy and policy",
        "Other progress in AI: Critiques (AI)",
        "News",
        "Closing",
    ]


@pytest.mark.parametrize("slug", SLUGS)
def test_whole_file_decodes_without_errors(built, slug):
    result = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(mp3_of(built, slug)), "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stderr == ""


def test_id3_tags_and_chapters_with_mutagen(built):
    tags = ID3(mp3_of(built, "alignment-newsletter-076"))
    assert tags.version[:2] == (2, 3)
    assert str(tags["TIT2"]).startswith("Alignment Newsletter #76: How dataset size affects")
    assert str(tags["TPE1"]) == "Alignment Newsletter"
    assert str(tags["TALB"]) == "Newsletter Audio Edition"
    assert str(tags["TRCK"]) == "76"
    (toc,) = tags.getall("CTOC")
    record = manifest(built, "alignment-newsletter-076")
    assert list(toc.child_element_ids) == [s["id"] for s in record["segments"]]
    chaps = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    assert [(c.element_id, c.start_time, c.end_time) for c in chaps] == [
        (c["element_id"], c["start_ms"], c["end_ms"]) for c in record["chapters"]
    ]


def test_chapters_json_matches_the_audio(built):
    folder = built / "output" / "alignment-newsletter-076"
    doc = json.loads((folder / "chapters.json").read_text(encoding="utf-8"))
    record = manifest(built, "alignment-newsletter-076")
    assert doc["version"] == "1.2.0"
    assert [(c["title"], round(c["startTime"] * 1000)) for c in doc["chapters"]] == [
        (c["title"], c["start_ms"]) for c in record["chapters"]
    ]


def test_feed_parses_in_podcast_clients(built):
    xml = (built / "output" / "feed.xml").read_bytes()
    feed_url = "http://localhost:8000/feed.xml"
    parsed = podcastparser.parse(feed_url, io.BytesIO(xml))
    episodes = {e["guid"]: e for e in parsed["episodes"]}
    assert len(episodes) == 2
    for slug in SLUGS:
        record = manifest(built, slug)
        episode = episodes[record["guid"]]
        assert episode["title"] == record["title"]
        (enclosure,) = episode["enclosures"]
        assert enclosure["file_size"] == mp3_of(built, slug).stat().st_size
        assert enclosure["url"] == f"http://localhost:8000/{slug}/{slug}.mp3"
        assert enclosure["mime_type"] == "audio/mpeg"
        assert episode["total_time"] == round(record["duration_ms"] / 1000)
        assert "00:00:00 Introduction" in episode["description"]

    loose = feedparser.parse(xml)
    assert not loose.bozo, loose.get("bozo_exception")
    assert {e.id for e in loose.entries} == {manifest(built, s)["guid"] for s in SLUGS}
    for entry in loose.entries:
        assert entry.guidislink is False
        (enclosure,) = entry.enclosures
        slug = enclosure.href.rsplit("/", 1)[-1].removesuffix(".mp3")
        assert int(enclosure.length) == mp3_of(built, slug).stat().st_size


def test_scripts_are_written_for_the_editor(built):
    scripts = built / "output" / "alignment-newsletter-076" / "scripts"
    record = manifest(built, "alignment-newsletter-076")
    assert sorted(p.stem for p in scripts.glob("*.txt")) == [s["id"] for s in record["segments"]]
    gym = (scripts / "03-highlight-safety-gym.txt").read_text(encoding="utf-8")
    assert gym.startswith("Highlight: Safety Gym, by Alex Ray, Joshua Achiam and colleagues.")


def test_noop_rebuild_changes_nothing_and_speaks_nothing(workspace):
    out = workspace / "output"
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    result = run(workspace, "build")
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert "[1/" not in result.stderr  # no segment was rendered
    assert "unchanged" in result.stdout


def test_hand_edited_script_survives_a_rebuild(workspace):
    slug = "alignment-newsletter-076"
    script = workspace / "output" / slug / "scripts" / "09-outro.txt"
    script.write_text("That was issue seventy-six. Goodbye from the editor.\n", encoding="utf-8")
    old = manifest(workspace, slug)
    result = run(workspace, "build", f"issues/{slug}.txt")
    assert result.stderr.count("[1/1]") == 1 and "09-outro" in result.stderr
    assert script.read_text(encoding="utf-8").startswith("That was issue seventy-six.")
    new = manifest(workspace, slug)
    assert new["guid"] == old["guid"] and new["published"] == old["published"]
    assert [s["key"] for s in new["segments"][:-1]] == [s["key"] for s in old["segments"][:-1]]
    assert new["segments"][-1]["key"] != old["segments"][-1]["key"]
    # Another build keeps the edit and renders nothing.
    again = run(workspace, "build", f"issues/{slug}.txt")
    assert "[1/" not in again.stderr
    assert script.read_text(encoding="utf-8").startswith("That was issue seventy-six.")


def test_segments_json_is_the_structure(built):
    result = run(built, "segments", "--json", "issues/alignment-newsletter-076.txt")
    doc = json.loads(result.stdout)
    assert (doc["number"], doc["newsletter"]) == (76, "Alignment Newsletter")
    kinds = [s["kind"] for s in doc["segments"]]
    assert kinds == ["intro", "highlight", "highlight"] + ["section"] * 5 + ["outro"]
    gym = doc["segments"][2]
    assert (gym["title"], gym["section"], gym["subsection"]) == ("Safety Gym", None, None)
    assert gym["items"] == [
        {
            "title": "Safety Gym",
            "authors": "Alex Ray, Joshua Achiam et al",
            "summarizer": "Flo",
            "url": None,
        }
    ]
    agendas = doc["segments"][4]
    assert (agendas["section"], agendas["subsection"]) == (
        "Technical AI alignment",
        "Technical agendas and prioritization",
    )


def test_segments_lists_durations_once_rendered(built):
    lines = run(built, "segments", "issues/alignment-newsletter-076.txt").stdout.splitlines()
    record = manifest(built, "alignment-newsletter-076")
    assert len(lines) == len(record["segments"])
    first = lines[0].split()
    assert first[:2] == ["01-intro", "intro"]
    ms = record["segments"][0]["end_ms"] - record["segments"][0]["start_ms"]
    assert first[2] == f"0:{round(ms / 1000):02d}"
