"""Chapters: where each segment starts, the episode's ID3 tag, and chapters JSON.

`plan_chapters` (pure) turns MP3 frame counts into `Chapter` times. `write_id3` replaces
an episode's tag with an ID3v2.3 tag holding the episode's fields, one CHAP frame per
chapter in time order and one CTOC listing them (TECH-NOTES section 3); `read_chapters`
reads them back. `chapters_json` gives the Podcasting 2.0 JSON chapters document.

mutagen writes CHAP frames sorted by size, not by time, and some players (AntennaPod
#4938) stop at the first chapter that is out of order, so `write_id3` puts the CHAP
frames back in time order after mutagen saves the tag.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audio.model import Chapter
from audio.stitch import frames_to_ms

TOC_ID = "toc"
# A CTOC frame counts its entries in one byte: with more chapters, the top-level "toc"
# lists sub-tables "toc-1", "toc-2", ... of at most this many chapters each.
TOC_ENTRIES = 255
JSON_CHAPTERS_VERSION = "1.2.0"
# A fixed amount of padding after the tag, so saving the same tag gives the same bytes
# whatever tag the file had before. 0 keeps files small; every save rewrites the tag.
ID3_PADDING = 0

_DATE = re.compile(r"\d{4}(-\d{2}-\d{2})?")


def plan_chapters(
    entries: Sequence[tuple[str, str, str | None]], frame_counts: Sequence[int]
) -> tuple[Chapter, ...]:
    """Chapters of an episode whose parts have `frame_counts` MP3 frames, in order.

    `entries` are (element_id, title, url) per part. Each chapter starts where the
    frames before it end and ends where the next one starts.

    >>> [(c.start_ms, c.end_ms) for c in plan_chapters(
    ...     [("a", "A", None), ("b", "B", None)], [38, 100])]
    [(0, 993), (993, 3605)]
    """
    if len(entries) != len(frame_counts):
        raise ValueError(f"{len(entries)} chapters but {len(frame_counts)} frame counts")
    if any(n < 0 for n in frame_counts):
        raise ValueError(f"frame counts must not be negative: {list(frame_counts)}")
    _check_ids([element_id for element_id, _, _ in entries])
    bounds = [frames_to_ms(n) for n in itertools.accumulate(frame_counts, initial=0)]
    return tuple(
        Chapter(element_id=element_id, title=title, start_ms=start, end_ms=end, url=url)
        for (element_id, title, url), (start, end) in zip(
            entries, itertools.pairwise(bounds), strict=True
        )
    )


def _check_ids(ids: Sequence[str]) -> None:
    """Raise ValueError unless `ids` are usable, distinct ID3 element ids."""
    seen: set[str] = set()
    for element_id in ids:
        if not element_id or not element_id.isascii() or "\0" in element_id:
            raise ValueError(f"chapter id must be non-empty ASCII, not {element_id!r}")
        if element_id == TOC_ID or element_id.startswith(f"{TOC_ID}-"):
            raise ValueError(f"chapter id {element_id!r} is reserved for the table of contents")
        if element_id in seen:
            raise ValueError(f"chapter id {element_id!r} is used twice")
        seen.add(element_id)


@dataclass(frozen=True)
class Tags:
    """The episode-level fields of an ID3 tag.

    `artist` is the newsletter, `album` the show; `date` is ISO, "2019-12-04" or "2019";
    `language` is the ISO 639-2 code of `comment`; `cover` is the show's artwork (PNG or
    JPEG bytes), embedded as the front cover.
    """

    title: str
    artist: str
    album: str
    date: str | None = None
    track: int | None = None
    comment: str = ""
    language: str = "eng"
    cover: bytes | None = field(default=None, repr=False)


def preload() -> None:
    """Import mutagen's ID3 module, which `write_id3` needs and which takes about 10 ms
    to import: for a caller that has time to spare before it writes a tag, or a thread."""
    import mutagen.id3  # noqa: F401  (imported here: only publishing writes tags)


def write_id3(mp3: Path, tags: Tags, chapters: Sequence[Chapter]) -> None:
    """Replace any ID3 tags of `mp3` with an ID3v2.3 tag of `tags` and `chapters`.

    Chapters are written in time order, with a CTOC "toc" listing them; the same
    arguments on the same audio always give the same bytes.
    """
    from mutagen.id3 import ID3

    ordered = sorted(chapters, key=lambda c: (c.start_ms, c.end_ms))
    _check_chapters(ordered)
    _check_tags(tags)
    id3 = ID3()
    for frame in [*_episode_frames(tags), *_chapter_frames(ordered)]:
        id3.add(frame)
    id3.update_to_v23()
    id3.save(mp3, v1=0, v2_version=3, padding=lambda info: ID3_PADDING)
    _put_chapters_in_order(mp3, [c.element_id for c in ordered])


def _check_chapters(chapters: Sequence[Chapter]) -> None:
    _check_ids([c.element_id for c in chapters])
    for c in chapters:
        if not 0 <= c.start_ms <= c.end_ms < 2**32:
            raise ValueError(f"chapter {c.element_id!r}: bad times {c.start_ms}..{c.end_ms}")
        if c.url is not None and not c.url.isascii():
            raise ValueError(f"chapter {c.element_id!r}: URL must be ASCII, not {c.url!r}")


def _check_tags(tags: Tags) -> None:
    if tags.date is not None and not _DATE.fullmatch(tags.date):
        raise ValueError(f"date must be YYYY or YYYY-MM-DD, not {tags.date!r}")
    if not re.fullmatch(r"[a-z]{3}", tags.language):
        raise ValueError(f"language must be an ISO 639-2 code such as 'eng', not {tags.language!r}")
    if tags.track is not None and tags.track < 0:
        raise ValueError(f"track must not be negative, not {tags.track}")


def _episode_frames(tags: Tags) -> Iterator[Any]:
    from mutagen.id3 import APIC, COMM, TALB, TDRC, TIT2, TPE1, TRCK, PictureType

    yield TIT2(encoding=3, text=[tags.title])
    yield TPE1(encoding=3, text=[tags.artist])
    yield TALB(encoding=3, text=[tags.album])
    if tags.date:
        yield TDRC(encoding=3, text=[tags.date])
    if tags.track is not None:
        yield TRCK(encoding=3, text=[str(tags.track)])
    if tags.comment:
        yield COMM(encoding=3, lang=tags.language, desc="", text=[tags.comment])
    if tags.cover:
        mime = "image/png" if tags.cover.startswith(b"\x89PNG") else "image/jpeg"
        yield APIC(
            encoding=3, mime=mime, type=PictureType.COVER_FRONT, desc="Cover", data=tags.cover
        )


def _chapter_frames(chapters: Sequence[Chapter]) -> Iterator[Any]:
    from mutagen.id3 import CHAP, CTOC, TIT2, WXXX, CTOCFlags

    if not chapters:
        return
    for c in chapters:
        sub_frames = [TIT2(encoding=3, text=[c.title])]
        if c.url:
            sub_frames.append(WXXX(encoding=0, desc="", url=c.url))
        yield CHAP(
            element_id=c.element_id,
            start_time=c.start_ms,
            end_time=c.end_ms,
            sub_frames=sub_frames,
        )
    ids = [c.element_id for c in chapters]
    if len(ids) <= TOC_ENTRIES:
        yield CTOC(
            element_id=TOC_ID,
            flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
            child_element_ids=ids,
            sub_frames=[],
        )
        return
    parts = [ids[i : i + TOC_ENTRIES] for i in range(0, len(ids), TOC_ENTRIES)]
    yield CTOC(
        element_id=TOC_ID,
        flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
        child_element_ids=[f"{TOC_ID}-{n}" for n in range(1, len(parts) + 1)],
        sub_frames=[],
    )
    for n, part in enumerate(parts, 1):
        yield CTOC(
            element_id=f"{TOC_ID}-{n}",
            flags=CTOCFlags.ORDERED,
            child_element_ids=part,
            sub_frames=[],
        )


def toc_order(id3: Any) -> list[str] | None:
    """The element ids the top-level CTOC of mutagen's `id3` lists, sub-tables expanded
    in place; None without a top-level CTOC."""
    from mutagen.id3 import CTOCFlags

    tocs = {t.element_id: t for t in id3.getall("CTOC")}
    top = next((t for t in tocs.values() if t.flags & CTOCFlags.TOP_LEVEL), None)
    if top is None:
        return None
    order: list[str] = []
    seen: set[str] = set()

    def expand(toc: Any) -> None:
        seen.add(toc.element_id)
        for child in toc.child_element_ids:
            if child in tocs and child not in seen:
                expand(tocs[child])
            elif child not in tocs:
                order.append(child)

    expand(top)
    return order


def _put_chapters_in_order(mp3: Path, ids: Sequence[str]) -> None:
    """Rewrite the ID3v2.3 tag at the start of `mp3` with its CHAP frames in `ids` order.

    Other frames keep mutagen's order and come first; the tag's size does not change.
    """
    rank = {element_id: i for i, element_id in enumerate(ids)}
    with open(mp3, "r+b") as f:
        header = f.read(10)
        if header[:4] != b"ID3\x03" or header[5] != 0:
            raise ValueError(f"{mp3}: expected a plain ID3v2.3 tag, found {header[:6]!r}")
        body = f.read(_syncsafe(header[6:10]))
        frames = list(_v23_frames(body))
        chaps = sorted(
            (fr for fr in frames if fr[:4] == b"CHAP"), key=lambda fr: rank[_chap_id(fr)]
        )
        others = [fr for fr in frames if fr[:4] != b"CHAP"]
        f.seek(10)
        f.write(b"".join([*others, *chaps]))


def _syncsafe(raw: bytes) -> int:
    return raw[0] << 21 | raw[1] << 14 | raw[2] << 7 | raw[3]


def _v23_frames(body: bytes) -> Iterator[bytes]:
    """The raw frames (header included) of an ID3v2.3 tag body, up to the padding."""
    pos = 0
    while pos + 10 <= len(body) and body[pos] != 0:
        end = pos + 10 + int.from_bytes(body[pos + 4 : pos + 8], "big")
        if end > len(body):
            raise ValueError("ID3 frame runs past the end of the tag")
        yield body[pos:end]
        pos = end


def _chap_id(frame: bytes) -> str:
    return frame[10 : frame.index(b"\0", 10)].decode("latin-1")


def read_chapters(mp3: Path) -> tuple[Chapter, ...]:
    """The chapters in the ID3 tag of `mp3`, in table-of-contents order.

    Without a top-level CTOC, chapters come in time order; without a tag, none.
    """
    from mutagen.id3 import ID3, ID3NoHeaderError

    try:
        id3 = ID3(mp3)
    except ID3NoHeaderError:
        return ()
    chaps = {frame.element_id: frame for frame in id3.getall("CHAP")}
    listed = toc_order(id3)
    if listed is not None:
        order = [i for i in listed if i in chaps]
    else:
        order = sorted(chaps, key=lambda i: (chaps[i].start_time, chaps[i].end_time))
    return tuple(_chapter(chaps[i]) for i in order)


def _chapter(frame: Any) -> Chapter:
    titles = frame.sub_frames.getall("TIT2")
    urls = frame.sub_frames.getall("WXXX")
    return Chapter(
        element_id=frame.element_id,
        title=str(titles[0].text[0]) if titles and titles[0].text else "",
        start_ms=frame.start_time,
        end_ms=frame.end_time,
        url=urls[0].url if urls else None,
    )


def chapters_json(chapters: Sequence[Chapter], *, title: str | None = None) -> dict[str, Any]:
    """The Podcasting 2.0 JSON chapters document of `chapters` (version 1.2.0).

    >>> doc = chapters_json([Chapter("a", "Intro", 0, 1500, "https://x.org")], title="Ep 1")
    >>> doc["version"], doc["title"]
    ('1.2.0', 'Ep 1')
    >>> doc["chapters"]
    [{'startTime': 0.0, 'endTime': 1.5, 'title': 'Intro', 'url': 'https://x.org'}]
    """
    doc: dict[str, Any] = {"version": JSON_CHAPTERS_VERSION}
    if title is not None:
        doc["title"] = title
    doc["chapters"] = [_json_chapter(c) for c in sorted(chapters, key=lambda c: c.start_ms)]
    return doc


def _json_chapter(c: Chapter) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "startTime": c.start_ms / 1000,
        "endTime": c.end_ms / 1000,
        "title": c.title,
    }
    if c.url:
        entry["url"] = c.url
    return entry
