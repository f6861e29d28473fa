"""End to end, with real parts: espeak-ng speaks, LAME encodes, ffprobe and mutagen read the
chapters back, and gPodder's podcastparser and feedparser read the feed.

One build of two samples (one flattened, one with lines of its own), made once in a
folder that is not the repository, serves most tests; tests that change something work
on a copy of it, so only what they change is synthesized again.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import wave
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import feedparser
import numpy as np
import podcastparser
import pyloudnorm
import pytest
from lxml import etree
from mutagen.id3 import ID3
from mutagen.mp3 import MP3
from selenium import webdriver
from selenium.webdriver.chrome.service import Service as ChromeService
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from audio import pipeline
from audio.fsutil import Layout
from audio.pipeline import clean_temporary_files
from audio.serve import make_server
from audio.transcript import parse_srt, parse_vtt

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ("alignment-newsletter-062.txt", "alignment-newsletter-076.txt")
SLUGS = ("alignment-newsletter-062", "alignment-newsletter-076")
NULL = ("-f", "null", "-")  # ffmpeg: decode, write nothing
HANG_GUARD = 60.0  # seconds


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
        shutil.copy2(ROOT / "issues" / name, folder / "issues" / name)
    BUILD_STDERR.append(run(folder, "build", "--jobs", "2").stderr)
    return folder


BUILD_STDERR: list[str] = []  # what the `built` fixture's build wrote on stderr


def test_a_build_writes_only_its_progress_on_stderr(built):
    # Nothing from the libraries underneath (libmpg123 warns when misused, espeak-ng's
    # driver prints "Audio saved"): one line per segment as it is done.
    (stderr,) = BUILD_STDERR
    lines = stderr.splitlines()
    assert len(lines) == sum(len(manifest(built, slug)["segments"]) for slug in SLUGS)
    for line in lines:
        assert re.fullmatch(r"\[\d+/\d+\] alignment-newsletter-0\d\d \S+", line), line


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


@pytest.mark.parametrize("slug", SLUGS)
def test_loudness_and_true_peak_of_the_episode(built, slug, decode_mp3):
    info = MP3(mp3_of(built, slug)).info
    assert (info.sample_rate, info.channels, info.bitrate) == (22050, 1, 64000)  # speech only
    samples = decode_mp3(mp3_of(built, slug))
    meter = pyloudnorm.Meter(info.sample_rate)
    episode = meter.integrated_loudness(samples)
    assert abs(episode - -16.0) <= 1.0
    per_ms = info.sample_rate / 1000
    for chapter in manifest(built, slug)["chapters"]:
        part = samples[round(chapter["start_ms"] * per_ms) : round(chapter["end_ms"] * per_ms)]
        assert abs(meter.integrated_loudness(part) - episode) <= 1.5, chapter["title"]

    # True peak by an independent meter: ffmpeg's EBU R128 filter, oversampled.
    summary = subprocess.run(
        ["ffmpeg", "-nostats", "-i", str(mp3_of(built, slug)), "-af", "ebur128=peak=true", *NULL],
        capture_output=True,
        text=True,
        check=True,
    ).stderr.rsplit("True peak:", 1)[1]
    peak = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))
    assert peak <= -1.0


def test_cover_art_is_embedded_and_in_the_feed(built):
    output = built / "output"
    (cover,) = output.glob("cover-*.png")
    (apic,) = ID3(mp3_of(built, "alignment-newsletter-076")).getall("APIC")
    assert apic.type == 3  # front cover
    assert apic.mime == "image/png"
    assert apic.data == cover.read_bytes()
    channel = feedparser.parse((output / "feed.xml").read_bytes()).feed
    assert channel.image.href == f"http://localhost:8000/{cover.name}"


def test_transcript_follows_the_script_with_times_from_the_synthesis(built, decode_mp3):
    slug = "alignment-newsletter-076"
    folder = built / "output" / slug
    cues = parse_vtt((folder / "transcript.vtt").read_text(encoding="utf-8"))
    assert parse_srt((folder / "transcript.srt").read_text(encoding="utf-8")) == cues
    record = manifest(built, slug)
    for segment, chapter in zip(record["segments"], record["chapters"], strict=True):
        inside = [c for c in cues if chapter["start_ms"] <= c.start_ms < chapter["end_ms"]]
        assert inside[-1].end_ms <= chapter["end_ms"]
        script = (folder / "scripts" / f"{segment['id']}.txt").read_text(encoding="utf-8")
        assert " ".join(" ".join(c.text for c in inside).split()) == " ".join(script.split())

    # A cue that starts a sentence starts where the voice pauses: within 50 ms of a
    # quiet stretch of 441 samples (20 ms at 22.05 kHz) of the decoded audio. Guessed
    # times drift by far more.
    samples = decode_mp3(folder / f"{slug}.mp3")
    window_ms = 441 * 1000 / MP3(folder / f"{slug}.mp3").info.sample_rate
    frames = samples[: len(samples) // 441 * 441].reshape(-1, 441)
    quiet = np.flatnonzero(np.sqrt((frames**2).mean(axis=1)) < 10 ** (-50 / 20))
    quiet_ms = quiet * window_ms
    ends = (".", "?", "!")
    starts = [c.start_ms for p, c in itertools.pairwise(cues) if p.text.endswith(ends)]
    assert len(starts) >= 20
    for start in starts:
        assert np.abs(quiet_ms - start).min() <= 50, start


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


def test_feed_links_chapters_and_transcripts_of_each_episode(built):
    root = etree.fromstring((built / "output" / "feed.xml").read_bytes())
    ns = {"podcast": "https://podcastindex.org/namespace/1.0"}
    for item in root.iter("item"):
        slug = item.find("enclosure").get("url").rsplit("/", 2)[-2]
        base = f"http://localhost:8000/{slug}/"
        (chapters,) = item.findall("podcast:chapters", ns)
        assert chapters.attrib == {
            "url": base + "chapters.json",
            "type": "application/json+chapters",
        }
        assert [t.attrib for t in item.findall("podcast:transcript", ns)] == [
            {"url": base + "transcript.vtt", "type": "text/vtt"},
            {"url": base + "transcript.srt", "type": "application/x-subrip", "rel": "captions"},
        ]
        for name in ("chapters.json", "transcript.vtt", "transcript.srt"):
            assert (built / "output" / slug / name).is_file()


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


def test_a_lost_transcript_comes_back_though_the_episode_is_unchanged(workspace):
    # An unchanged episode skips making its transcripts, unless one of them is missing.
    vtt = workspace / "output" / "alignment-newsletter-076" / "transcript.vtt"
    expected = vtt.read_bytes()
    vtt.unlink()
    result = run(workspace, "build")
    assert "[1/" not in result.stderr  # nothing rendered: the episode is unchanged
    assert vtt.read_bytes() == expected


def test_the_cover_is_drawn_while_the_workers_speak(workspace):
    # Drawing a cover takes 0.15 s; publishing after the last segment need not wait for it.
    from audio.config import SETTINGS_FILE, load_config
    from audio.fsutil import Layout

    layout = Layout(workspace / "issues", workspace / "output")
    shutil.rmtree(layout.store / "covers")
    script = layout.scripts("alignment-newsletter-076") / "09-outro.txt"
    script.write_text(script.read_text(encoding="utf-8") + " One more line.\n", "utf-8")
    config = load_config(layout.issues / SETTINGS_FILE)
    issue = layout.issues / "alignment-newsletter-076.txt"
    plan = pipeline.plan_build([issue], config, layout)
    events = pipeline.run_build(plan, config, layout, jobs=1)
    first = next(events)  # the one segment rendered, before anything is published
    assert isinstance(first, pipeline.SegmentRendered)
    deadline = time.monotonic() + HANG_GUARD  # only against a hang, never a speed limit
    while not any((layout.store / "covers").glob("cover-*.png")) and time.monotonic() < deadline:
        time.sleep(0.01)
    covers = list((layout.store / "covers").glob("cover-*.png"))
    rest = list(events)
    assert len(covers) == 1
    published = [e for e in rest if isinstance(e, pipeline.EpisodeBuilt)]
    assert [e.episode.slug for e in published] == ["alignment-newsletter-076"]


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


SHORT_ISSUE = """Weekly Notes #3

Hello, listeners.

NEWS

A new model
The lab released a new model today, and it is better at reading aloud than the last one.

A new benchmark
The benchmark has a thousand problems, each written by hand and checked twice.
"""


def test_an_edit_made_after_script_survives_every_build(tmp_path):
    # The editor reviews the scripts before the first build and edits one: the builds
    # after keep it, while the others follow the issue.
    issue = tmp_path / "issues" / "notes-3.txt"
    issue.parent.mkdir()
    issue.write_text(SHORT_ISSUE, encoding="utf-8")
    scripts = tmp_path / "output" / "notes-3" / "scripts"
    run(tmp_path, "script", "notes-3")
    intro = scripts / "01-intro.txt"
    intro.write_text("Weekly Notes, issue three, read by the editor.\n", encoding="utf-8")
    for change in ("", "better at reading aloud", "better at speaking"):
        if change:
            issue.write_text(SHORT_ISSUE.replace("better at reading aloud", change))
        result = run(tmp_path, "build")
        assert intro.read_text(encoding="utf-8") == (
            "Weekly Notes, issue three, read by the editor.\n"
        )
        assert "Warning" not in result.stderr  # the intro's source did not change
        assert (change or "better at reading aloud") in (
            scripts / "02-section-news.txt"
        ).read_text()
    # The intro's own source changes: the edit is kept, and the editor is told.
    issue.write_text(SHORT_ISSUE.replace("Hello, listeners.", "Hello, readers."))
    result = run(tmp_path, "build")
    assert intro.read_text(encoding="utf-8").endswith("read by the editor.\n")
    assert "segment 01-intro: the issue changed since you edited its script" in result.stderr


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


# --------------------------------------------------------------------------- re-render


def audio_frames(path: Path) -> bytes:
    """The MP3's audio frames, without its ID3 tag."""
    from audio.stitch import strip_to_frames

    return strip_to_frames(path.read_bytes())


def part_sizes(folder: Path, record: dict) -> list[int]:
    """The byte size of each segment's stored part, in order."""
    store = folder / "output" / ".store"
    sizes = []
    for seg in record["segments"]:
        key = seg["key"]
        sizes.append((store / key[:2] / f"{key}.mp3").stat().st_size)
    return sizes


def feed_item(folder: Path, guid: str) -> dict:
    parsed = feedparser.parse((folder / "output" / "feed.xml").read_bytes())
    assert not parsed.bozo
    (entry,) = [e for e in parsed.entries if e.id == guid]
    return entry


def test_render_one_segment_republishes_in_place(workspace):
    slug = "alignment-newsletter-076"
    old = manifest(workspace, slug)
    old_audio = audio_frames(mp3_of(workspace, slug))
    old_sizes = part_sizes(workspace, old)
    old_entry = feed_item(workspace, old["guid"])
    other = manifest(workspace, "alignment-newsletter-062")
    other_mp3 = mp3_of(workspace, "alignment-newsletter-062").read_bytes()
    edited = 4  # 05-section-technical-agendas-and-prioritization
    seg_id = old["segments"][edited]["id"]
    script = workspace / "output" / slug / "scripts" / f"{seg_id}.txt"
    script.write_text(
        script.read_text(encoding="utf-8").rstrip() + " A sentence the editor added, for you.\n",
        encoding="utf-8",
    )

    store = workspace / "output" / ".store"
    stored_before = {p.stem for p in store.glob("*/*.json")}

    result = run(workspace, "render", f"issues/{slug}.txt", "--segment", "05", "--json")

    report = json.loads(result.stdout)["episodes"][0]
    new = manifest(workspace, slug)
    new_audio = audio_frames(mp3_of(workspace, slug))
    new_sizes = part_sizes(workspace, new)
    # Only the edited segment was made again.
    assert [r["id"] for r in report["rendered"]] == [seg_id]
    assert [s["key"] for s in new["segments"]] == [
        s["key"] if i != edited else new["segments"][edited]["key"]
        for i, s in enumerate(old["segments"])
    ]
    assert new["segments"][edited]["key"] != old["segments"][edited]["key"]
    # Within it, only the piece that holds the added sentence (its last paragraph) was made;
    # the segment is the old one's other pieces, byte for byte, and that piece.
    made = {p.stem for p in store.glob("*/*.json")} - stored_before
    assert new["segments"][edited]["key"] in made and len(made) == 2
    (piece,) = made - {new["segments"][edited]["key"]}
    piece_frames = (store / piece[:2] / f"{piece}.mp3").read_bytes()
    old_part, new_part = (
        (store / k[:2] / f"{k}.mp3").read_bytes()
        for k in (old["segments"][edited]["key"], new["segments"][edited]["key"])
    )
    kept = new_part[: len(new_part) - len(piece_frames)]
    assert new_part.endswith(piece_frames) and old_part.startswith(kept)
    assert len(kept) > len(old_part) / 2
    # (a) every other segment's frames are the same bytes as before.
    before, after = sum(old_sizes[:edited]), sum(old_sizes[edited + 1 :])
    assert (
        new_sizes[:edited] == old_sizes[:edited]
        and new_sizes[edited + 1 :] == old_sizes[edited + 1 :]
    )
    assert len(new_audio) == before + new_sizes[edited] + after
    assert new_audio[:before] == old_audio[:before]
    assert new_audio[len(new_audio) - after :] == old_audio[len(old_audio) - after :]
    # (b) chapters before are unchanged; those after moved by exactly the change in frames.
    from audio.stitch import frames_to_ms

    change = new["segments"][edited]["frames"] - old["segments"][edited]["frames"]
    assert change > 0
    old_starts = [c["start_ms"] for c in old["chapters"]]
    new_starts = [c["start_ms"] for c in new["chapters"]]
    assert new_starts[: edited + 1] == old_starts[: edited + 1]
    frames_before = [sum(s["frames"] for s in old["segments"][:i]) for i in range(len(old_starts))]
    assert new_starts[edited + 1 :] == [
        frames_to_ms(f + change) for f in frames_before[edited + 1 :]
    ]
    # The report gives the published starts and durations, and one change: the change in
    # frames, rounded once (a difference of rounded values can be 1 ms more or less).
    assert [m["id"] for m in report["moved"]] == [s["id"] for s in old["segments"][edited + 1 :]]
    assert [(m["old_start_ms"], m["new_start_ms"]) for m in report["moved"]] == list(
        zip(old_starts[edited + 1 :], new_starts[edited + 1 :], strict=True)
    )
    assert {m["shift_ms"] for m in report["moved"]} == {frames_to_ms(change)}
    (seg,) = report["rendered"]
    assert (seg["old_ms"], seg["new_ms"], seg["change_ms"]) == (
        frames_to_ms(old["segments"][edited]["frames"]),
        frames_to_ms(new["segments"][edited]["frames"]),
        frames_to_ms(change),
    )
    assert (report["previous_duration_ms"], report["duration_ms"], report["change_ms"]) == (
        old["duration_ms"],
        new["duration_ms"],
        frames_to_ms(change),
    )
    chapters = ffprobe(mp3_of(workspace, slug), "-show_chapters")["chapters"]
    assert [c["start"] for c in chapters] == new_starts
    # (c) the same episode in the feed: GUID and date kept, new length.
    entry = feed_item(workspace, old["guid"])
    assert (new["guid"], new["published"]) == (old["guid"], old["published"])
    assert entry.published == old_entry.published
    assert int(entry.enclosures[0].length) == mp3_of(workspace, slug).stat().st_size == new["size"]
    # (d) ffmpeg decodes the whole file without an error.
    decoded = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(mp3_of(workspace, slug)), "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert decoded.stderr == ""
    # The other episode was not touched.
    assert manifest(workspace, "alignment-newsletter-062") == other
    assert mp3_of(workspace, "alignment-newsletter-062").read_bytes() == other_mp3


def test_render_names_the_segments_when_the_id_is_ambiguous_or_unknown(built):
    ambiguous = run(built, "render", "issues/alignment-newsletter-076.txt", "-s", "0", check=False)
    assert ambiguous.returncode == 1
    (line,) = ambiguous.stderr.strip().splitlines()
    assert line.startswith("Error: issues/alignment-newsletter-076.txt: segment '0' matches 9 ")
    assert "01-intro, 02-highlight-self-training" in line
    unknown = run(built, "render", "issues/alignment-newsletter-076.txt", "-s", "zz", check=False)
    assert unknown.returncode == 1
    assert "no segment 'zz'; the segments are 01-intro," in unknown.stderr


def test_a_segment_is_named_by_words_of_its_id_or_title():
    from audio.errors import SegmentError
    from audio.parse import parse_text
    from audio.pipeline import select_segment
    from audio.script import make_segments

    text = "# Notes #1\n\nHi.\n\n## Quick Links\n\n- [A](https://a.org)\n\n## Research\n\n"
    text += "- [B](https://b.org)\n"
    segments = make_segments(parse_text(text, slug="notes-1", fmt="markdown"))
    assert [s.id for s in segments] == [
        "01-intro",
        "02-section-quick-links",
        "03-section-research",
        "04-outro",
    ]
    path = Path("notes-1.md")
    assert select_segment(segments, "03", path) == "03-section-research"
    assert select_segment(segments, "quick", path) == "02-section-quick-links"
    assert select_segment(segments, "Research", path) == "03-section-research"
    with pytest.raises(SegmentError, match="'section' matches 2 segments"):
        select_segment(segments, "section", path)


def test_a_lexicon_change_re_renders_exactly_the_segments_with_the_word(workspace):
    from audio.script import lexicon_words_in

    slug = "alignment-newsletter-076"
    scripts = workspace / "output" / slug / "scripts"
    lexicon = (("Rohin", "Roe-hin"),)
    expected = sorted(
        p.stem
        for p in scripts.glob("*.txt")
        if lexicon_words_in(p.read_text(encoding="utf-8"), lexicon)
    )
    assert 0 < len(expected) < len(list(scripts.glob("*.txt")))
    guid = manifest(workspace, slug)["guid"]
    (workspace / "issues" / "show.toml").write_text(
        '[lexicon]\nRohin = "Roe-hin"\n', encoding="utf-8"
    )
    report = json.loads(run(workspace, "build", f"issues/{slug}.txt", "--json").stdout)
    (episode,) = report["episodes"]
    assert sorted(r["id"] for r in episode["rendered"]) == expected
    assert manifest(workspace, slug)["guid"] == guid
    assert "Roe-hin" not in "".join(p.read_text(encoding="utf-8") for p in scripts.glob("*.txt"))
    # The transcripts have the written words too, with as many cues as before.
    for name, parse in (("transcript.vtt", parse_vtt), ("transcript.srt", parse_srt)):
        cues = parse((workspace / "output" / slug / name).read_text(encoding="utf-8"))
        text = " ".join(c.text for c in cues)
        assert "Roe-hin" not in text and text.count("Rohin") >= len(expected)


def test_a_show_with_music_is_encoded_at_44_1_khz_throughout(tmp_path):
    # Speech alone is encoded at espeak-ng's 22.05 kHz; music keeps its treble at 44.1.
    folder = tmp_path / "music"
    (folder / "issues").mkdir(parents=True)
    shutil.copy2(ROOT / "issues" / "ml-safety-newsletter-002.txt", folder / "issues")
    jingle = folder / "issues" / "jingle.wav"
    tone = ("-f", "lavfi", "-i", "sine=frequency=880:duration=2", "-ac", "2", "-ar", "48000")
    subprocess.run(["ffmpeg", "-v", "error", *tone, str(jingle)], check=True)
    (folder / "issues" / "show.toml").write_text('intro_music = "jingle.wav"\n', encoding="utf-8")
    run(folder, "build", "--jobs", "2")
    slug = "ml-safety-newsletter-002"
    info = MP3(mp3_of(folder, slug)).info
    assert (info.sample_rate, info.channels) == (44100, 1)
    decoded = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(mp3_of(folder, slug)), *NULL],
        capture_output=True,
        text=True,
        check=True,
    )
    assert decoded.stderr == ""
    record = manifest(folder, slug)
    chapters = ffprobe(mp3_of(folder, slug), "-show_chapters")["chapters"]
    assert [round(float(c["start_time"]) * 1000) for c in chapters] == [
        c["start_ms"] for c in record["chapters"]
    ]
    intro = record["chapters"][0]
    assert intro["end_ms"] - intro["start_ms"] > 2000 + 3000  # the jingle, then the welcome


def test_issues_of_other_newsletters_become_chaptered_episodes(tmp_path):
    # A Markdown issue, an e-mail's HTML and a web page's text, shaped by their markup
    # rather than like the samples: one chapter per segment, as ffprobe and mutagen read
    # them, and the feed names each episode as podcast apps will show it.
    folder = tmp_path / "others"
    (folder / "issues").mkdir(parents=True)
    for name in ("weekly-ai-017.md", "import-ai-350.html", "tldr-2026-04-23.txt"):
        shutil.copy2(ROOT / "tests" / "data" / "marked" / name, folder / "issues")
    # and an e-mail as sent, whose date is the episode's
    mail = EmailMessage()
    mail["Subject"] = "AI Brief #42: Agents everywhere"
    mail["Date"] = "Tue, 03 Jun 2025 08:00:00 -0400"
    mail.set_content(
        "<p>Hi friends,</p><h2>Top stories</h2><h3>Claude uses a computer</h3><p>It can now "
        "click and type.</p><h3>Blackwell ramps up</h3><p>Shipments begin in Q4.</p>",
        subtype="html",
    )
    (folder / "issues" / "ai-brief-42.eml").write_bytes(bytes(mail))
    run(folder, "build", "--jobs", "2")
    expected = {
        "weekly-ai-017": [
            "Introduction",
            "Chinchilla revisited",
            "Research: Benchmarks",
            "Funding",
            "News",
            "Closing",
        ],
        "import-ai-350": [
            "Introduction",
            "Robots that fold laundry",
            "A benchmark for scientific agents",
            "Tech Tales",
            "Closing",
        ],
        # Plain text: an advertisement says so; the sponsor's "Get your guide" is no chapter.
        "tldr-2026-04-23": [
            "Introduction",
            "AI is compressing the path to purchase (Sponsor)",
            "Big Tech & Startups",
            "Science & Futuristic Technology",
            "Quick Links",
            "Closing",
        ],
        "ai-brief-42": ["Introduction", "Top stories", "Closing"],
    }
    for slug, titles in expected.items():
        record = manifest(folder, slug)
        chapters = ffprobe(mp3_of(folder, slug), "-show_chapters")["chapters"]
        assert [c["tags"]["title"] for c in chapters] == titles
        assert [round(float(c["start_time"]) * 1000) for c in chapters] == [
            c["start_ms"] for c in record["chapters"]
        ]
        tags = ID3(mp3_of(folder, slug))
        assert [
            tags[key].sub_frames["TIT2"].text[0] for key in sorted(tags) if key.startswith("CHAP")
        ] == titles
    xml = (folder / "output" / "feed.xml").read_bytes()
    parsed = podcastparser.parse("http://localhost:8000/feed.xml", io.BytesIO(xml))
    assert sorted(e["title"] for e in parsed["episodes"]) == [
        "AI Brief #42: Agents everywhere",
        "Import AI #350: Robots that fold laundry; a benchmark for scientific agents",
        "TLDR: April 23, 2026",
        "Weekly AI #17: March 3, 2025",
    ]
    (sent,) = (e["published"] for e in parsed["episodes"] if e["title"].startswith("AI Brief"))
    assert sent == int(dt.datetime(2025, 6, 3, 12, 0, tzinfo=dt.UTC).timestamp())
    assert manifest(folder, "ai-brief-42")["published"] == "2025-06-03T12:00:00+00:00"


def test_an_old_issue_added_to_the_archive_is_dated_for_the_day_it_names(tmp_path):
    # A back catalogue copied in at once: each issue dated by its name or title, not by
    # when its file was copied; today's issue keeps the time of day its file has.
    path = tmp_path / "tldr-ai-2024-03-04.md"
    path.write_text("# TLDR AI 2024-03-04\n\nText.\n", encoding="utf-8")
    copied = dt.datetime(2026, 12, 8, 9, 30, tzinfo=dt.UTC)
    os.utime(path, (copied.timestamp(), copied.timestamp()))
    named = pipeline._named_date("tldr-ai-2024-03-04", "March 4, 2024")
    assert named == dt.date(2024, 3, 4)
    assert pipeline._named_date("weekly", "March 4, 2024") == named
    assert pipeline._named_date("alignment-newsletter-076", "Safety Gym") is None
    noon = dt.datetime(2024, 3, 4, 12, tzinfo=dt.UTC)
    assert pipeline._published(None, path, named) == noon
    assert pipeline._published(None, path, None) == copied
    assert pipeline._published(None, path, dt.date(2026, 12, 8)) == copied
    kept = {"published": "2024-03-05T07:00:00+00:00"}
    assert pipeline._published(kept, path, named).isoformat() == kept["published"]


def test_loudness_false_keeps_espeak_ngs_own_levels(tmp_path, decode_mp3):
    # For a show mastered elsewhere: no gain and no limiter, so the episode measures what
    # espeak-ng's own WAV of the same scripts measures (about -21 LUFS), not -16.
    folder = tmp_path / "unmastered"
    (folder / "issues").mkdir(parents=True)
    shutil.copy2(ROOT / "issues" / "ml-safety-newsletter-002.txt", folder / "issues")
    (folder / "issues" / "show.toml").write_text("loudness = false\n", encoding="utf-8")
    run(folder, "build", "--jobs", "2")
    slug = "ml-safety-newsletter-002"
    scripts = sorted((folder / "output" / slug / "scripts").glob("*.txt"))
    text = tmp_path / "scripts.txt"
    text.write_text("\n\n".join(p.read_text(encoding="utf-8") for p in scripts), encoding="utf-8")
    reference = tmp_path / "reference.wav"
    subprocess.run(
        ["espeak-ng", "-v", "gmw/en-us", "-s", "170", "-w", str(reference), "-f", str(text)],
        check=True,
    )
    meter = pyloudnorm.Meter(22050)
    with wave.open(str(reference), "rb") as w:
        raw = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2") / 32768
    episode = meter.integrated_loudness(decode_mp3(mp3_of(folder, slug)))
    assert episode < -18.0
    assert abs(episode - meter.integrated_loudness(raw)) <= 1.0


def test_jobs_do_not_change_the_bytes(built, tmp_path):
    folder = tmp_path / "serial"
    (folder / "issues").mkdir(parents=True)
    for name in SAMPLES:
        shutil.copy2(ROOT / "issues" / name, folder / "issues" / name)
    run(folder, "build", "--jobs", "1")
    for slug in SLUGS:
        assert mp3_of(folder, slug).read_bytes() == mp3_of(built, slug).read_bytes()
    assert (folder / "output" / "feed.xml").read_bytes() == (
        built / "output" / "feed.xml"
    ).read_bytes()


# --------------------------------------------------------------------------- a browser


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    """Debian's headless Chromium, driven through its chromedriver (`make test` installs both)."""
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and chromedriver, "needs Debian's chromium and chromium-driver (make test)"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--mute-audio"):
        options.add_argument(flag)
    options.add_argument("--autoplay-policy=no-user-gesture-required")
    driver = webdriver.Chrome(service=ChromeService(chromedriver), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_episode_page_plays_and_seeks_in_chromium(built, browser):
    slug = "alignment-newsletter-076"
    record = manifest(built, slug)
    server = make_server(built / "output", port=0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        browser.get(f"{server.url}{slug}/")
        wait = WebDriverWait(browser, 60)
        wait.until(lambda b: b.execute_script("return player.readyState >= 1"))  # metadata
        duration = browser.execute_script("return player.duration")
        assert abs(duration * 1000 - record["duration_ms"]) <= 50

        buttons = browser.find_elements(By.CSS_SELECTOR, 'button[data-kind="chapter"]')
        assert [b.get_attribute("data-start") for b in buttons] == [
            f"{c['start_ms'] / 1000:.3f}" for c in record["chapters"]
        ]
        chapter = record["chapters"][4]
        buttons[4].click()
        wait.until(lambda b: b.execute_script("return !player.seeking"))
        now = browser.execute_script("return player.currentTime")
        assert chapter["start_ms"] / 1000 - 0.001 <= now < chapter["end_ms"] / 1000
        assert now - chapter["start_ms"] / 1000 < 5.0  # where the chapter starts, not later
    finally:
        server.shutdown()
        server.server_close()


def test_temporary_files_left_anywhere_in_the_output_are_removed(tmp_path):
    output = tmp_path / "output"
    kept = [output / "feed.xml", output / "ep" / "ep.mp3", output / ".store" / "ab" / "ab1.mp3"]
    left = [
        output / ".tmp-feed.xml",
        output / "ep" / ".tmp-ep.mp3",
        output / ".store" / "ab" / ".tmp-1.wav",
    ]
    for path in [*kept, *left, output / ".store" / ".tmp-folder" / "inner" / "file"]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    layout = Layout(tmp_path / "issues", output)
    assert clean_temporary_files(layout) == 4  # three files and a folder
    assert sorted(p for p in output.rglob("*") if p.is_file()) == sorted(kept)
    assert clean_temporary_files(layout) == 0
    assert clean_temporary_files(Layout(tmp_path / "issues", tmp_path / "none")) == 0
