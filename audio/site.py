"""site: a small web site over the published episodes, next to the feed.

`output/index.html` shows the show (title, artwork, description, the feed's address)
and lists the episodes, newest first; `output/<slug>/index.html` plays one episode
with an `<audio>` player, its chapters and, when `transcript.vtt` is there, its
transcript. Clicking a chapter or a line of the transcript seeks the player there.

Pages are self-contained (inline CSS and a few lines of JavaScript, no outside
requests), use relative links (so they work from `audio-edition serve` and from
`base_url` alike), escape every value, and are deterministic: the same episodes give
the same bytes, and a page is written (atomically) only when its bytes change.
`render_index` and `render_episode` are pure; `write_site` does the I/O.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote, urlsplit

from audio import feed as feed_io
from audio.config import Config
from audio.fsutil import write_text_atomic
from audio.model import Chapter, Episode
from audio.transcript import Cue, parse_vtt

PAGE_NAME = "index.html"
TRANSCRIPT_VTT = feed_io.TRANSCRIPT_VTT
TRANSCRIPT_SRT = feed_io.TRANSCRIPT_SRT

_TAG = re.compile(r"<[^>]*>")

_STYLE = """\
body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:0 auto;padding:1rem;
color:#1b1b1b;background:#fdfdfb}
a{color:#1a4f9c}h1{font-size:1.5rem;line-height:1.25}h2{font-size:1.15rem;margin-top:2rem}
h3{font-size:1rem;margin:1.5rem 0 .25rem}
.meta{color:#555}.cover{width:12rem;height:12rem;border-radius:.5rem}
audio{width:100%;margin:1rem 0}
ol.chapters{padding-left:0;list-style:none}ol.episodes{padding-left:1.25rem}
ol.episodes li{margin:.5rem 0}
button.seek{font:inherit;text-align:left;background:none;border:0;padding:.2rem .3rem;
color:inherit;cursor:pointer;border-radius:.25rem}
button.seek:hover,button.seek:focus{background:#e9eef7}
button.seek[aria-current]{background:#dbe6f8;font-weight:600}
.time{font-variant-numeric:tabular-nums;color:#555;margin-right:.5rem}
.transcript p{margin:.1rem 0}
"""

_SCRIPT = """\
(function () {
  var audio = document.getElementById("player");
  var seekers = Array.prototype.slice.call(document.querySelectorAll("[data-start]"));
  function start(el) { return parseFloat(el.getAttribute("data-start")); }
  seekers.forEach(function (el) {
    el.addEventListener("click", function (event) {
      event.preventDefault();
      audio.currentTime = start(el);
      var playing = audio.play();
      if (playing && playing.catch) { playing.catch(function () {}); }
    });
  });
  audio.addEventListener("timeupdate", function () {
    var now = audio.currentTime + 0.001;
    ["chapter", "cue"].forEach(function (kind) {
      var current = null;
      seekers.forEach(function (el) {
        if (el.getAttribute("data-kind") === kind && start(el) <= now) { current = el; }
      });
      seekers.forEach(function (el) {
        if (el.getAttribute("data-kind") !== kind) { return; }
        if (el === current) { el.setAttribute("aria-current", "true"); }
        else { el.removeAttribute("aria-current"); }
      });
    });
  });
  var at = /^#t=(\\d+(?:\\.\\d+)?)$/.exec(window.location.hash);
  if (at) { audio.currentTime = parseFloat(at[1]); }
  document.documentElement.setAttribute("data-player", "ready");
})();
"""


def write_site(
    output_dir: Path,
    config: Config,
    episodes: Sequence[Episode],
    *,
    artwork: str | None = None,
) -> tuple[Path, ...]:
    """Write the show's page and one page per episode under `output_dir`.

    `artwork` is the file name of the show's artwork in `output_dir`, if any. Reads
    each episode's `transcript.vtt` when present. Returns the pages that changed.
    """
    changed = []
    index = output_dir / PAGE_NAME
    if _write_if_changed(index, render_index(config, episodes, artwork=artwork)):
        changed.append(index)
    for episode in episodes:
        folder = output_dir / episode.slug
        page = render_episode(
            config,
            episode,
            cues=_read_cues(folder / TRANSCRIPT_VTT),
            srt=(folder / TRANSCRIPT_SRT).is_file(),
        )
        if _write_if_changed(folder / PAGE_NAME, page):
            changed.append(folder / PAGE_NAME)
    return tuple(changed)


def render_index(config: Config, episodes: Sequence[Episode], *, artwork: str | None) -> str:
    """The show's page: title, artwork, description, the feed, and every episode."""
    title = _e(config.title)
    lines = [
        *_head(config, config.title, feed_href=feed_io.FEED_NAME),
        f"<h1>{title}</h1>",
    ]
    if artwork:
        lines.append(
            f'<img class="cover" src="{_e(quote(artwork))}" alt="" width="1400" height="1400">'
        )
    if config.description.strip():
        lines.append(f"<p>{_e(config.description.strip())}</p>")
    lines += [
        f'<p>Subscribe in your podcast app: <a href="{feed_io.FEED_NAME}">'
        f"{_e(feed_io.feed_url(config))}</a></p>",
        "<h2>Episodes</h2>",
    ]
    if episodes:
        lines.append('<ol class="episodes">')
        for episode in _newest_first(episodes):
            lines.append(
                f'<li><a href="{_e(quote(episode.slug))}/">{_e(_title(episode))}</a>'
                f'<br><span class="meta">{_date(episode)} · {_clock(episode.duration_ms)}'
                f"</span></li>"
            )
        lines.append("</ol>")
    else:
        lines.append("<p>No episodes yet.</p>")
    lines += ["</body>", "</html>"]
    return "\n".join(lines) + "\n"


def render_episode(
    config: Config,
    episode: Episode,
    *,
    cues: Sequence[Cue] = (),
    srt: bool = False,
) -> str:
    """An episode's page: player, chapters that seek it, and the transcript's `cues`.

    `srt` says whether a `transcript.srt` is there to link to.
    """
    chapters = sorted(episode.chapters, key=lambda c: (c.start_ms, c.end_ms))
    lines = [
        *_head(config, f"{_title(episode)} · {config.title}", feed_href=f"../{feed_io.FEED_NAME}"),
        f'<p><a href="../">{_e(config.title)}</a></p>',
        f"<h1>{_e(_title(episode))}</h1>",
        f'<p class="meta">{_date(episode)} · {_clock(episode.duration_ms)}</p>',
    ]
    if episode.description.strip():
        lines.append(f"<p>{_e(episode.description.strip())}</p>")
    lines.append(
        f'<audio id="player" controls preload="metadata" src="{_e(quote(episode.mp3))}">'
        f'Your browser cannot play this; <a href="{_e(quote(episode.mp3))}">download the MP3</a>.'
        "</audio>"
    )
    if chapters:
        lines += ["<h2>Chapters</h2>", '<ol class="chapters">']
        lines += [f"<li>{_chapter(c)}</li>" for c in chapters]
        lines.append("</ol>")
    if cues:
        lines += ["<h2>Transcript</h2>", '<div class="transcript">', *_transcript(chapters, cues)]
        lines.append("</div>")
    files = [f'<a href="{feed_io.CHAPTERS_NAME}">chapters (JSON)</a>'] if chapters else []
    if cues:
        files.append(f'<a href="{TRANSCRIPT_VTT}">transcript (WebVTT)</a>')
    if srt:
        files.append(f'<a href="{TRANSCRIPT_SRT}">transcript (SubRip)</a>')
    files.append(f'<a href="{_e(quote(episode.mp3))}">MP3</a>')
    lines += [
        f"<p>Files: {', '.join(files)}.</p>",
        f'<p>Subscribe in your podcast app: <a href="../{feed_io.FEED_NAME}">'
        f"{_e(feed_io.feed_url(config))}</a></p>",
        f"<script>\n{_SCRIPT}</script>",
        "</body>",
        "</html>",
    ]
    return "\n".join(lines) + "\n"


def seconds(ms: int) -> str:
    """A time in milliseconds as seconds with three decimals, as `data-start` holds it.

    >>> seconds(0), seconds(20_271), seconds(3_600_005)
    ('0.000', '20.271', '3600.005')
    """
    return f"{ms // 1000}.{ms % 1000:03d}"


def cue_text(text: str) -> str:
    """The plain text of a WebVTT cue: tags such as `<v Name>` removed, entities decoded.

    >>> cue_text("<v Rohin>Tea &amp; <b>cake</b>\\n&lt;3")
    'Tea & cake <3'
    """
    return " ".join(html.unescape(_TAG.sub("", text)).split())


def _head(config: Config, title: str, *, feed_href: str) -> list[str]:
    return [
        "<!DOCTYPE html>",
        f'<html lang="{_e(config.language.strip() or "en")}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f'<link rel="alternate" type="application/rss+xml" title="{_e(config.title)}" '
        f'href="{feed_href}">',
        f"<style>\n{_STYLE}</style>",
        "</head>",
        "<body>",
    ]


def _chapter(chapter: Chapter) -> str:
    button = (
        f'<button type="button" class="seek" data-kind="chapter" '
        f'data-start="{seconds(chapter.start_ms)}"><span class="time">'
        f"{_clock(chapter.start_ms)}</span>{_e(chapter.title)}</button>"
    )
    if chapter.url and _is_web_url(chapter.url):
        button += f' <a href="{_e(chapter.url)}">link</a>'
    return button


def _transcript(chapters: Sequence[Chapter], cues: Sequence[Cue]) -> list[str]:
    """The transcript's lines, each a button, under a heading per chapter."""
    lines = []
    pending = list(chapters)
    for cue in cues:
        heading = None
        while pending and pending[0].start_ms <= cue.start_ms:
            heading = pending.pop(0)
        if heading is not None:
            lines.append(f"<h3>{_e(heading.title)}</h3>")
        text = cue_text(cue.text)
        if text:
            lines.append(
                f'<p><button type="button" class="seek" data-kind="cue" '
                f'data-start="{seconds(cue.start_ms)}"><span class="time">'
                f"{_clock(cue.start_ms)}</span>{_e(text)}</button></p>"
            )
    return lines


def _read_cues(path: Path) -> tuple[Cue, ...]:
    """The cues of a transcript, or none when it is missing or unreadable (`check` says why)."""
    try:
        return parse_vtt(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError):
        return ()


def _write_if_changed(path: Path, text: str) -> bool:
    try:
        if path.read_bytes() == text.encode("utf-8"):
            return False
    except OSError:
        pass
    write_text_atomic(path, text)
    return True


def _newest_first(episodes: Sequence[Episode]) -> list[Episode]:
    by_slug = sorted(episodes, key=lambda e: e.slug)
    return sorted(by_slug, key=lambda e: e.published, reverse=True)


def _title(episode: Episode) -> str:
    return " ".join(episode.title.split()) or episode.slug


def _date(episode: Episode) -> str:
    day = episode.published.date().isoformat()
    return f'<time datetime="{day}">{day}</time>'


def _clock(ms: int) -> str:
    """H:MM:SS, or M:SS under an hour, seconds floored.

    >>> _clock(0), _clock(20_999), _clock(3_723_000)
    ('0:00', '0:20', '1:02:03')
    """
    total = max(ms, 0) // 1000
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _e(text: str) -> str:
    return html.escape(text, quote=True)
