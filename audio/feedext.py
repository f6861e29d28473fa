"""feedext: a feedgen extension for the tags feedgen 1.0.0 cannot write.

Channel: `podcast:guid`, `podcast:locked`, and `itunes:explicit` with Apple's current
values "true"/"false" (feedgen's own setter accepts only yes/no/clean).
Item: `podcast:chapters`, any number of `podcast:transcript`, and the chapters
themselves as Podlove Simple Chapters (`psc:chapters`), which gPodder, AntennaPod and
feedparser read from the feed.

`register(fg)` adds both classes to a `FeedGenerator`. The channel class is needed even
for item tags: only its `extend_ns()` feeds the `<rss>` namespace map. Setters check
their input and raise short `ValueError`s, like feedgen's.

Specs: the Podcasting 2.0 namespace, https://podcastindex.org/namespace/1.0
(Podcastindex-org/podcast-namespace, docs/tags/{guid,locked,chapters,transcript}.md);
Podlove Simple Chapters 1.2, https://podlove.org/simple-chapters/.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from lxml import etree

from audio.model import Chapter

if TYPE_CHECKING:
    from feedgen.entry import FeedEntry
    from feedgen.feed import FeedGenerator

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PSC_NS = "http://podlove.org/simple-chapters"
PSC_VERSION = "1.2"
EXTENSION = "podcast20"
"""The attribute name of the extension on a `FeedGenerator` and on its entries."""
CHAPTERS_TYPE = "application/json+chapters"
VTT_TYPE = "text/vtt"
SRT_TYPE = "application/x-subrip"

# podcast:guid is uuid5 of the feed URL in this namespace (docs/tags/guid.md).
_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_MIME = re.compile(r"[\w.+-]+/[\w.+-]+")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")


def podcast_guid(feed_url: str) -> str:
    """The `podcast:guid` of a show whose feed is at `feed_url`.

    uuid5 of the URL without its scheme and trailing slashes; the spec's examples:

    >>> podcast_guid("https://mp3s.nashownotes.com/pc20rss.xml")
    '917393e3-1b1e-5cef-ace4-edaa54e1f810'
    >>> podcast_guid("https://podnews.net/rss/")
    '9b024349-ccf0-5f69-a609-6b82873eab3c'
    """
    seed = _SCHEME.sub("", feed_url.strip()).rstrip("/")
    return str(uuid.uuid5(_GUID_NAMESPACE, seed))


def register(fg: FeedGenerator) -> Podcast20Extension:
    """Add this extension to `fg` and its entries; return its channel part."""
    fg.register_extension(EXTENSION, Podcast20Extension, Podcast20EntryExtension)
    return getattr(fg, EXTENSION)


def of_entry(fe: FeedEntry) -> Podcast20EntryExtension:
    """The item part of this extension on an entry of a registered feed."""
    return getattr(fe, EXTENSION)


class Podcast20Extension(BaseExtension):
    """Channel tags: `podcast:guid`, `podcast:locked` and `itunes:explicit` (true/false)."""

    def __init__(self) -> None:
        self._guid: str | None = None
        self._locked: bool | None = None
        self._owner: str | None = None
        self._explicit: bool | None = None

    def extend_ns(self) -> dict[str, str]:
        """The prefixes this extension writes, for the `<rss>` namespace map."""
        return {"podcast": PODCAST_NS, "itunes": ITUNES_NS, "psc": PSC_NS}

    def extend_rss(self, rss_feed: etree._Element) -> etree._Element:
        """Append the channel tags that were set to `<channel>`."""
        channel = rss_feed[0]
        if self._explicit is not None:
            _sub(channel, ITUNES_NS, "explicit").text = "true" if self._explicit else "false"
        if self._guid is not None:
            _sub(channel, PODCAST_NS, "guid").text = self._guid
        if self._locked is not None:
            locked = _sub(channel, PODCAST_NS, "locked")
            if self._owner:
                locked.set("owner", self._owner)
            locked.text = "yes" if self._locked else "no"
        return rss_feed

    def set_guid(self, guid: str) -> None:
        """Set `podcast:guid`: the show's UUID for life, even if the feed moves.

        Make it once with `podcast_guid(feed_url)` and keep it.
        """
        if not isinstance(guid, str) or not _UUID.fullmatch(guid):
            raise ValueError("podcast:guid must be a UUID")
        self._guid = guid

    def set_locked(self, locked: bool, owner: str | None = None) -> None:
        """Set `podcast:locked`: whether other platforms must refuse to import the feed.

        `owner` is an e-mail address that can prove ownership when the feed moves.
        """
        if not isinstance(locked, bool):
            raise ValueError("podcast:locked must be True or False")
        if owner is not None and not _EMAIL.fullmatch(owner):
            raise ValueError("podcast:locked owner must be an e-mail address")
        self._locked, self._owner = locked, owner

    def set_explicit(self, explicit: bool) -> None:
        """Set the channel's `itunes:explicit`, written as Apple's "true" or "false"."""
        if not isinstance(explicit, bool):
            raise ValueError("itunes:explicit must be True or False")
        self._explicit = explicit


class Podcast20EntryExtension(BaseEntryExtension):
    """Item tags: `podcast:chapters`, `podcast:transcript` and `psc:chapters`."""

    def __init__(self) -> None:
        self._chapters: dict[str, str] | None = None
        self._transcripts: list[dict[str, str]] = []
        self._simple_chapters: tuple[dict[str, str], ...] = ()

    def extend_rss(self, entry: etree._Element) -> etree._Element:
        """Append the item tags that were set to `<item>`."""
        if self._chapters is not None:
            _sub(entry, PODCAST_NS, "chapters", self._chapters)
        for transcript in self._transcripts:
            _sub(entry, PODCAST_NS, "transcript", transcript)
        if self._simple_chapters:
            chapters = _sub(entry, PSC_NS, "chapters", {"version": PSC_VERSION})
            for chapter in self._simple_chapters:
                _sub(chapters, PSC_NS, "chapter", chapter)
        return entry

    def set_simple_chapters(self, chapters: Iterable[Chapter]) -> None:
        """Set `psc:chapters`: one `psc:chapter` per chapter, in the feed itself.

        Each gets its start as "HH:MM:SS.mmm", its title and, when it has a URL, an
        `href`. Chapters must come in time order and have a title; none writes nothing.
        """
        written: list[dict[str, str]] = []
        previous = 0
        for chapter in chapters:
            if not isinstance(chapter.start_ms, int) or chapter.start_ms < previous:
                raise ValueError("psc:chapter starts must be in time order, from 0 ms")
            if not isinstance(chapter.title, str) or not chapter.title.strip():
                raise ValueError("psc:chapter title must not be empty")
            attrs = {"start": npt(chapter.start_ms), "title": chapter.title}
            if chapter.url is not None:
                attrs["href"] = _check_url(chapter.url, "psc:chapter href")
            written.append(attrs)
            previous = chapter.start_ms
        self._simple_chapters = tuple(written)

    def set_chapters(self, url: str, mime_type: str = CHAPTERS_TYPE) -> None:
        """Set `podcast:chapters`: where the episode's JSON chapters file is."""
        self._chapters = {
            "url": _check_url(url, "podcast:chapters"),
            "type": _check_mime(mime_type, "podcast:chapters"),
        }

    def add_transcript(
        self, url: str, mime_type: str, *, language: str | None = None, rel: str | None = None
    ) -> None:
        """Add a `podcast:transcript`: a transcript or, with `rel="captions"`, captions.

        `mime_type` is the file's, such as "text/vtt" or "text/html"; `language`
        defaults to the feed's.
        """
        attrs = {
            "url": _check_url(url, "podcast:transcript"),
            "type": _check_mime(mime_type, "podcast:transcript"),
        }
        if language is not None:
            if not _LANGUAGE.fullmatch(language):
                raise ValueError("podcast:transcript language must be a language code")
            attrs["language"] = language
        if rel is not None:
            if rel != "captions":
                raise ValueError('podcast:transcript rel must be "captions"')
            attrs["rel"] = rel
        self._transcripts.append(attrs)


def npt(ms: int) -> str:
    """A time in milliseconds as Normal Play Time "HH:MM:SS.mmm", as `psc:chapter` wants.

    >>> npt(0), npt(20_271), npt(3_723_004), npt(360_000_000)
    ('00:00:00.000', '00:00:20.271', '01:02:03.004', '100:00:00.000')
    """
    seconds, millis = divmod(ms, 1000)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}.{millis:03d}"


def _sub(
    parent: etree._Element, ns: str, tag: str, attrs: dict[str, str] | None = None
) -> etree._Element:
    return etree.SubElement(parent, f"{{{ns}}}{tag}", attrs or {})


def _check_url(url: str, tag: str) -> str:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{tag} url must be an absolute http(s) URL")
    return url


def _check_mime(mime_type: str, tag: str) -> str:
    if not isinstance(mime_type, str) or not _MIME.fullmatch(mime_type):
        raise ValueError(f"{tag} type must be a MIME type")
    return mime_type
