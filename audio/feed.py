"""feed: published episodes -> the podcast's RSS feed, as bytes.

Owns what the feed says and where published files live on the web: the channel from
`Config`, one item per `Episode` (newest first), the show notes with chapter times, and
the URLs under `base_url`. Built with feedgen, its `podcast` (iTunes) extension and our
`feedext` (Podcasting 2.0 tags, Podlove Simple Chapters, `itunes:explicit` as
true/false).

The output is deterministic: the same settings and episodes give the same bytes, in any
order (no clock: the build date is the newest episode's), so an unchanged feed need not
be rewritten. Writes no files; the caller writes the bytes atomically.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from audio.config import Config
from audio.errors import ConfigError
from audio.model import Chapter, Episode

if TYPE_CHECKING:
    from feedgen.feed import FeedGenerator

FEED_NAME = "feed.xml"
CHAPTERS_NAME = "chapters.json"
TRANSCRIPT_VTT = "transcript.vtt"
TRANSCRIPT_SRT = "transcript.srt"
MP3_TYPE = "audio/mpeg"
GENERATOR = "audio-edition"
# Apple: values are limited to 255 characters unless stated otherwise.
MAX_PLAIN = 255
# The build date of a feed without episodes; any fixed date keeps the bytes stable.
EMPTY_FEED_DATE = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

# Characters XML 1.0 cannot hold; lxml refuses them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def feed_url(config: Config) -> str:
    """The public URL of the feed: `feed.xml` under the show's base URL."""
    return _base_url(config) + FEED_NAME


def episode_url(config: Config, episode: Episode, name: str) -> str:
    """The public URL of the file `name` in `episode`'s directory ("" for the directory)."""
    return f"{_base_url(config)}{quote(episode.slug)}/{quote(name)}"


def render_feed(
    config: Config, episodes: Sequence[Episode], *, image_url: str | None = None
) -> bytes:
    """The RSS feed of the show over `episodes`, newest first, as UTF-8 XML.

    `image_url` is the show's artwork (a .jpg or .png URL), when it has one.
    """
    ordered = _newest_first(episodes)
    fg = _channel(config, image_url)
    newest = ordered[0].published if ordered else EMPTY_FEED_DATE
    fg.lastBuildDate(newest)
    if ordered:
        fg.pubDate(newest)
    for episode in ordered:
        _add_item(fg, config, episode)
    return fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)


def show_notes(episode: Episode) -> str:
    """The episode's description, a blank line, then one "HH:MM:SS Title" line per chapter.

    Podcast apps (Apple, Spotify) turn such timestamps into chapters.

    >>> import datetime as dt
    >>> from audio.model import Chapter
    >>> ep = Episode(
    ...     slug="an-1", title="AN #1", description="  Papers on reward learning.\\n",
    ...     guid="g", published=dt.datetime(2019, 1, 1, tzinfo=dt.UTC), mp3="an-1.mp3",
    ...     size=1, duration_ms=3_800_000, chapters=(
    ...         Chapter("01-intro", "Intro", 0, 61_999),
    ...         Chapter("02-highlight", "Reward  learning\\nfrom humans", 61_999, 3_725_500),
    ...         Chapter("03-outro", "Outro", 3_725_500, 3_800_000)))
    >>> print(show_notes(ep))
    Papers on reward learning.
    <BLANKLINE>
    00:00:00 Intro
    00:01:01 Reward learning from humans
    01:02:05 Outro
    """
    chapters = "\n".join(f"{_timestamp(c.start_ms)} {_one_line(c.title)}" for c in episode.chapters)
    return "\n\n".join(part for part in (_text(episode.description), chapters) if part)


def _base_url(config: Config) -> str:
    """The base URL with one trailing slash, so names go under it, not beside it."""
    return config.base_url.rstrip("/") + "/"


def _newest_first(episodes: Sequence[Episode]) -> list[Episode]:
    """Episodes by publication date, newest first; the same date by slug."""
    by_slug = sorted(episodes, key=lambda e: e.slug)
    return sorted(by_slug, key=lambda e: e.published, reverse=True)


def preload() -> None:
    """Import feedgen and our extension of it (with lxml), which `render_feed` needs and
    which take about 50 ms to import: for a caller that has time to spare before it
    renders the feed, or a thread."""
    import feedgen.feed  # noqa: F401  (imported here: most commands never render a feed)

    from audio import feedext  # noqa: F401


def _channel(config: Config, image_url: str | None) -> FeedGenerator:
    """A feed with the show's settings and no items."""
    from feedgen.feed import FeedGenerator

    from audio import feedext

    fg = FeedGenerator()
    fg.load_extension("podcast")
    ours = feedext.register(fg)
    fg.title(_plain(config.title))
    fg.description(_text(config.description))
    # RSS <link> is the last link added, so the self link goes first.
    fg.link(href=feed_url(config), rel="self", type="application/rss+xml")
    fg.link(href=config.site_link, rel="alternate")
    fg.language(config.language.strip())
    fg.generator(GENERATOR)
    fg.podcast.itunes_author(_plain(config.author))
    email = config.email.strip()
    if email:
        fg.podcast.itunes_owner(name=_plain(config.author), email=email)
    category = _category(config.category)
    if category:
        fg.podcast.itunes_category(category)
    if image_url is not None:
        _image(fg, config, image_url)
    ours.set_explicit(config.explicit)
    ours.set_guid(feedext.podcast_guid(feed_url(config)))
    ours.set_locked(False, owner=email or None)
    return fg


def _category(text: str) -> dict[str, str] | None:
    """Apple's category from "Category" or "Category > Subcategory"."""
    parts = [part.strip() for part in text.split(">")]
    if parts == [""]:
        return None
    if len(parts) > 2 or not all(parts):
        raise ConfigError(
            f"setting 'category' must be 'Category' or 'Category > Subcategory', not {text!r}"
        )
    return {"cat": parts[0], "sub": parts[1]} if len(parts) == 2 else {"cat": parts[0]}


def _image(fg: FeedGenerator, config: Config, image_url: str) -> None:
    """`itunes:image` and `<image>`; feedgen silently drops other than .jpg/.png URLs."""
    if not image_url.endswith((".jpg", ".png")):
        raise ConfigError(
            f"artwork URL {image_url!r} must end in .jpg or .png (lower case) for Apple Podcasts"
        )
    fg.podcast.itunes_image(image_url)
    fg.image(url=image_url, title=_plain(config.title), link=config.site_link)


def _add_item(fg: FeedGenerator, config: Config, episode: Episode) -> None:
    """Append the item of one episode (after the ones already added)."""
    from audio import feedext

    fe = fg.add_entry(order="append")
    fe.title(_plain(episode.title) or episode.slug)
    fe.guid(episode.guid, permalink=False)
    fe.link(href=episode_url(config, episode, ""))
    fe.description(show_notes(episode))
    fe.enclosure(episode_url(config, episode, episode.mp3), str(episode.size), MP3_TYPE)
    fe.pubDate(episode.published)
    fe.podcast.itunes_duration(round(episode.duration_ms / 1000))
    if episode.number:
        fe.podcast.itunes_episode(episode.number)
    if episode.chapters:
        ours = feedext.of_entry(fe)
        ours.set_chapters(episode_url(config, episode, CHAPTERS_NAME))
        ours.set_simple_chapters(_simple_chapters(episode))
    if episode.transcript:
        ours = feedext.of_entry(fe)
        ours.add_transcript(episode_url(config, episode, TRANSCRIPT_VTT), feedext.VTT_TYPE)
        ours.add_transcript(
            episode_url(config, episode, TRANSCRIPT_SRT), feedext.SRT_TYPE, rel="captions"
        )


def _simple_chapters(episode: Episode) -> list[Chapter]:
    """The episode's chapters as `psc:chapters` gives them, in time order.

    Titles on one line (the chapter id when empty); only web links become an `href`.
    """
    return [
        replace(
            c,
            title=_one_line(c.title) or c.element_id,
            url=c.url if c.url and _is_web_url(c.url) else None,
        )
        for c in sorted(episode.chapters, key=lambda c: (c.start_ms, c.end_ms))
    ]


def _is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not _NOT_XML.search(url)


def _timestamp(ms: int) -> str:
    """HH:MM:SS of a time in milliseconds, seconds floored.

    >>> _timestamp(0), _timestamp(59_999), _timestamp(3_723_000), _timestamp(360_000_000)
    ('00:00:00', '00:00:59', '01:02:03', '100:00:00')
    """
    seconds = max(ms, 0) // 1000
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _text(text: str) -> str:
    """Free text for XML: no characters XML cannot hold, LF line ends, no outer space."""
    return _NOT_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def _one_line(text: str) -> str:
    """`_text` on one line: runs of white space become one space."""
    return " ".join(_text(text).split())


def _plain(text: str) -> str:
    """A value Apple limits: one line, no outer space, at most 255 characters.

    >>> _plain("  Tea &\\n cake ")
    'Tea & cake'
    >>> long = _plain("x" * 300)
    >>> len(long), long[-2:]
    (255, 'x…')
    """
    line = _one_line(text)
    return line if len(line) <= MAX_PLAIN else line[: MAX_PLAIN - 1].rstrip() + "…"
