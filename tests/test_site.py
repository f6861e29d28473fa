"""site: the show's page and the episode pages parse, seek, escape, and stay the same."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from audio.config import Config
from audio.model import Chapter, Episode
from audio.serve import make_server
from audio.site import render_episode, render_index, seconds, write_site
from audio.transcript import Cue

CONFIG = Config(
    title="Tea & <Cake> Audio",
    description="Each issue, read aloud.",
    base_url="https://pod.example.org/an/",
    language="en-GB",
)
NASTY = 'Tom & Jerry <script>alert("x")</script> Stuhlmüller'
EPISODE = Episode(
    slug="an-76",
    title="AN #76: Robustness & <scale>",
    description="Papers on <robustness> & exploration.",
    guid="urn:uuid:76",
    published=dt.datetime(2019, 12, 4, 17, 0, tzinfo=dt.UTC),
    mp3="an-76.mp3",
    size=1000,
    duration_ms=3_725_500,
    chapters=(
        Chapter("01-intro", "Introduction", 0, 20_271),
        Chapter("02-highlight", NASTY, 20_271, 145_162, url="https://example.org/?a=1&b=2"),
        Chapter("03-outro", "Closing", 145_162, 3_725_500, url="javascript:alert(1)"),
    ),
    number=76,
)
OLDER = replace(
    EPISODE,
    slug="an-75",
    title="AN #75",
    guid="urn:uuid:75",
    published=dt.datetime(2019, 11, 27, tzinfo=dt.UTC),
    mp3="an 75.mp3",
)
CUES = (
    Cue(0, 2_500, "<v Reader>Welcome &amp; hello."),
    Cue(2_500, 20_000, "Today: <b>robustness</b>."),
    Cue(20_271, 30_000, "Noisy <Student>"),
    Cue(150_000, 160_000, "Bye &lt;3"),
)
VOID = {"meta", "link", "img", "br", "input", "source", "track", "hr", "wbr"}


class Page(HTMLParser):
    """Parses a page, checking tags nest, and collects what tests look at."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.seekers: list[dict[str, str | None]] = []
        self.texts: dict[int, str] = {}
        self.links: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.data: list[str] = []
        self._in_seeker: int | None = None
        self.feed(text)
        self.close()
        if self.stack:
            self.errors.append(f"unclosed {self.stack}")

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "a":
            self.links.append(attributes.get("href") or "")
        if "data-start" in attributes:
            self.seekers.append(attributes)
            self._in_seeker = len(self.seekers) - 1
            self.texts[self._in_seeker] = ""
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()
        if tag == "button":
            self._in_seeker = None

    def handle_data(self, data):
        self.data.append(data)
        if self._in_seeker is not None:
            self.texts[self._in_seeker] += data


@pytest.fixture
def page() -> Page:
    return Page(render_episode(CONFIG, EPISODE, cues=CUES, srt=True))


def test_episode_page_parses_and_nests(page):
    assert page.errors == []
    assert page.tags[0] == ("html", {"lang": "en-GB"})


def test_player_loads_the_mp3_lazily(page):
    (audio,) = [a for t, a in page.tags if t == "audio"]

    assert audio == {"id": "player", "controls": None, "preload": "metadata", "src": "an-76.mp3"}


def test_every_chapter_seeks_to_its_start(page):
    chapters = [
        (s["data-start"], page.texts[i])
        for i, s in enumerate(page.seekers)
        if s["data-kind"] == "chapter"
    ]

    assert chapters == [
        ("0.000", "0:00Introduction"),
        ("20.271", "0:20" + NASTY),
        ("145.162", "2:25Closing"),
    ]
    assert all(s["type"] == "button" for s in page.seekers)


def test_transcript_cues_seek_and_sit_under_their_chapters(page):
    cues = [
        (s["data-start"], page.texts[i])
        for i, s in enumerate(page.seekers)
        if s["data-kind"] == "cue"
    ]

    assert cues == [
        ("0.000", "0:00Welcome & hello."),
        ("2.500", "0:02Today: robustness."),
        ("20.271", "0:20Noisy"),
        ("150.000", "2:30Bye <3"),
    ]
    html = render_episode(CONFIG, EPISODE, cues=CUES)
    transcript = html[html.index('<div class="transcript">') :]
    assert re.findall(r"<h3>(.*?)</h3>", transcript) == [
        "Introduction",
        "Tom &amp; Jerry &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Stuhlmüller",
        "Closing",
    ]


def test_values_are_escaped():
    html = render_episode(CONFIG, EPISODE, cues=CUES)

    assert "<script>alert" not in html
    assert "Tom &amp; Jerry &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "AN #76: Robustness &amp; &lt;scale&gt;" in html
    assert "Tea &amp; &lt;Cake&gt; Audio" in html
    assert "Noisy &lt;Student&gt;" not in html  # a WebVTT tag, dropped from the text
    assert "Bye &lt;3" in html
    assert html.count("<script>") == 1


def test_only_web_links_are_linked(page):
    assert "https://example.org/?a=1&b=2" in page.links
    assert not any(link.startswith("javascript:") for link in page.links)


def test_links_are_relative_and_name_the_files(page):
    assert "../feed.xml" in page.links
    assert "../" in page.links
    assert {"chapters.json", "transcript.vtt", "transcript.srt", "an-76.mp3"} <= set(page.links)
    (alternate,) = [a for t, a in page.tags if t == "link" and a.get("rel") == "alternate"]
    assert alternate["href"] == "../feed.xml"
    assert alternate["type"] == "application/rss+xml"


def test_page_without_transcript_or_chapters():
    html = render_episode(CONFIG, replace(EPISODE, chapters=()))
    page = Page(html)

    assert page.errors == []
    assert page.seekers == []
    assert "Transcript" not in html
    assert "chapters.json" not in html


def test_mp3_name_is_quoted_in_urls():
    page = Page(render_episode(CONFIG, OLDER))

    (audio,) = [a for t, a in page.tags if t == "audio"]
    assert audio["src"] == "an%2075.mp3"


def test_index_lists_episodes_newest_first():
    html = render_index(CONFIG, [OLDER, EPISODE], artwork="cover-abc.png")
    page = Page(html)

    assert page.errors == []
    assert [link for link in page.links if link.startswith("an-")] == ["an-76/", "an-75/"]
    assert "feed.xml" in page.links
    assert "https://pod.example.org/an/feed.xml" in html
    (image,) = [a for t, a in page.tags if t == "img"]
    assert image["src"] == "cover-abc.png"
    assert "AN #76: Robustness &amp; &lt;scale&gt;" in html
    assert render_index(CONFIG, [EPISODE, OLDER], artwork="cover-abc.png") == html


def test_index_without_episodes_or_artwork():
    page = Page(render_index(CONFIG, [], artwork=None))

    assert page.errors == []
    assert [t for t, _ in page.tags if t == "img"] == []
    assert "No episodes yet." in "".join(page.data)


@pytest.mark.parametrize("ms", [0, 1, 999, 20_271, 3_600_000, 36_000_001])
def test_data_start_is_exact_seconds(ms):
    assert round(float(seconds(ms)) * 1000) == ms


# --------------------------------------------------------------------------- write_site


@pytest.fixture
def output(tmp_path) -> Path:
    out = tmp_path / "output"
    for episode in (EPISODE, OLDER):
        (out / episode.slug).mkdir(parents=True)
    (out / EPISODE.slug / "transcript.vtt").write_text(
        "WEBVTT\n\n00:00.000 --> 00:02.500\nWelcome &amp; hello.\n", encoding="utf-8"
    )
    return out


def test_write_site_writes_pages_only_when_they_change(output):
    written = write_site(output, CONFIG, [EPISODE, OLDER], artwork="cover.png")

    assert written == (
        output / "index.html",
        output / "an-76" / "index.html",
        output / "an-75" / "index.html",
    )
    page = (output / "an-76" / "index.html").read_text(encoding="utf-8")
    assert "Welcome &amp; hello." in page
    assert Page(page).errors == []
    assert oct((output / "index.html").stat().st_mode & 0o777) == "0o644"

    assert write_site(output, CONFIG, [OLDER, EPISODE], artwork="cover.png") == ()

    newer = replace(EPISODE, title="AN #76, retitled")
    assert write_site(output, CONFIG, [OLDER, newer], artwork="cover.png") == (
        output / "index.html",
        output / "an-76" / "index.html",
    )


def test_unreadable_transcript_is_left_out(output):
    (output / EPISODE.slug / "transcript.vtt").write_text("not a transcript", encoding="utf-8")

    write_site(output, CONFIG, [EPISODE])

    assert "Transcript" not in (output / "an-76" / "index.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- a browser


def _chromium() -> str | None:
    return next(
        (
            path
            for name in ("chromium", "chromium-browser", "google-chrome")
            if (path := shutil.which(name))
        ),
        None,
    )


@pytest.fixture
def served(output) -> Iterator[str]:
    write_site(output, CONFIG, [EPISODE, OLDER], artwork=None)
    (output / EPISODE.slug / EPISODE.mp3).write_bytes(b"")
    server = make_server(output, port=0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()


def test_chromium_runs_the_page_script(served):
    assert _chromium(), "needs Debian's chromium (make test installs it)"
    result = subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--dump-dom",
            f"{served}an-76/",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    dom = result.stdout
    assert 'data-player="ready"' in dom  # the inline script ran to its end
    page = Page(dom)
    assert [s["data-start"] for s in page.seekers if s["data-kind"] == "chapter"] == [
        "0.000",
        "20.271",
        "145.162",
    ]
