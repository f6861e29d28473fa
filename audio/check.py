"""check: is what a build published in `output/` complete and consistent?

`check_output` reads the published files the way podcast apps and directories do and
returns one `Problem` per thing found wrong, each naming its file:

- `feed.xml`: well-formed XML; the channel tags Apple Podcasts and Podcasting 2.0 ask
  for (title, description, language, `itunes:author`, `itunes:owner/itunes:email`,
  `itunes:image`, `itunes:category`, `itunes:explicit`, `atom:link rel="self"`,
  `podcast:guid`, `podcast:locked`); the artwork file it points to (a square RGB PNG or
  JPEG of 1400 to 3000 pixels); and per item a unique GUID, an RFC 2822 `pubDate`, an
  `audio/mpeg` enclosure whose length is the size of the file its URL names, and
  `itunes:duration`.
- each episode (`<slug>/episode.json`): the MP3 has the manifest's size; its ID3
  chapters, read with mutagen and with ffprobe, equal the manifest's and
  `chapters.json`'s (titles, and times to the millisecond); a top-level CTOC lists
  them and the CHAP frames are in time order; the last chapter ends where the audio
  does (its MPEG frames counted, and ffprobe's duration) within
  `DURATION_TOLERANCE_MS`; `transcript.vtt` and `transcript.srt`, when present, parse,
  and their cues start in order and end within the audio. Every episode is in the
  feed.

It writes nothing.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from lxml import etree

from audio import chapters as chapter_io
from audio import feed as feed_io
from audio.config import Config
from audio.errors import EngineError
from audio.feedext import npt
from audio.model import Chapter
from audio.transcript import parse_srt, parse_vtt

DURATION_TOLERANCE_MS = 30
MANIFEST_NAME = "episode.json"
TRANSCRIPT_NAMES = ("transcript.vtt", "transcript.srt")
ARTWORK_FORMATS = ("PNG", "JPEG")
# Pillow's modes for colour images without transparency ("P" is a palette of RGB colours).
ARTWORK_MODES = ("RGB", "P")
MIN_ARTWORK, MAX_ARTWORK = 1400, 3000
MP3_TYPE = "audio/mpeg"

NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "atom": "http://www.w3.org/2005/Atom",
}
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DURATION = re.compile(r"\d+|(\d+:)?[0-5]?\d:[0-5]\d")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

Say = Callable[[str], None]
"""Reports one problem about one file."""


@dataclass(frozen=True)
class Problem:
    """Something wrong in the published output: the file at fault and what is wrong."""

    path: Path
    message: str

    def __str__(self) -> str:
        """The problem as "path: message", on one line."""
        return f"{self.path}: {' '.join(self.message.splitlines())}"


def check_output(output_dir: Path, config: Config) -> list[Problem]:
    """Every problem found in the feed, artwork and episodes under `output_dir`.

    `config` gives the base URL that maps the feed's URLs to files in `output_dir`.
    An empty list means the output is ready to publish. Needs `ffprobe`; raises
    `EngineError` when it is missing.
    """
    if shutil.which("ffprobe") is None:
        raise EngineError("ffprobe not found; install it with: sudo apt-get install ffmpeg")
    problems: list[Problem] = []
    feed_items = _check_feed(output_dir, config, problems)
    episodes = _episode_dirs(output_dir)
    feed_guids = {guid for guid, _ in feed_items or ()}
    feed_files = {path for _, path in feed_items or () if path is not None}
    for folder in episodes:
        manifest = _read_manifest(folder / MANIFEST_NAME, problems)
        if manifest is None:
            continue
        mp3 = folder / manifest["mp3"]
        if feed_items is not None and manifest["guid"] not in feed_guids:
            problems.append(
                Problem(folder / MANIFEST_NAME, f"episode {manifest['guid']} is not in the feed")
            )
        elif feed_items is not None and mp3.resolve() not in feed_files:
            problems.append(Problem(mp3, "no item of the feed has this file as its enclosure"))
        _check_episode(folder, manifest, problems)
    return problems


# --------------------------------------------------------------------------- feed


def _check_feed(
    output_dir: Path, config: Config, problems: list[Problem]
) -> list[tuple[str, Path | None]] | None:
    """Check feed.xml; its items' (GUID, enclosure file) pairs, or None if unreadable."""
    path = output_dir / feed_io.FEED_NAME
    say = _reporter(path, problems)
    try:
        data = path.read_bytes()
    except OSError as e:
        say(f"cannot read the feed ({e.strerror or e}); run `audio-edition build`")
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as e:
        say(f"not well-formed XML: {e}")
        return None
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        say(f"not an RSS feed: the root is <{root.tag}>, not <rss> with a <channel>")
        return None
    base = _base_url(config)
    for tag in ("title", "description", "language", "itunes:author"):
        if not _text(channel, tag):
            say(f"the channel has no {tag}")
    email = _text(channel, "itunes:owner/itunes:email")
    if not email:
        say("the channel has no itunes:owner/itunes:email (Apple requires one)")
    elif not _EMAIL.fullmatch(email):
        say(f"itunes:owner/itunes:email {email!r} is not an e-mail address")
    _check_artwork(channel, output_dir, base, say, problems)
    if not channel.xpath("itunes:category/@text", namespaces=NS):
        say("the channel has no itunes:category")
    explicit = _text(channel, "itunes:explicit")
    if explicit not in ("true", "false"):
        say(f'itunes:explicit must be "true" or "false", not {explicit or "missing"!r}')
    selves = channel.xpath("atom:link[@rel='self']/@href", namespaces=NS)
    want_self = feed_io.feed_url(config)
    if not selves:
        say('the channel has no atom:link rel="self"')
    elif selves[0] != want_self:
        say(f'atom:link rel="self" is {selves[0]}, but the feed is at {want_self}')
    guid = _text(channel, "podcast:guid")
    if not guid:
        say("the channel has no podcast:guid")
    elif not _UUID.fullmatch(guid):
        say(f"podcast:guid {guid!r} is not a UUID")
    locked = _text(channel, "podcast:locked")
    if locked not in ("yes", "no"):
        say(f'podcast:locked must be "yes" or "no", not {locked or "missing"!r}')
    return _check_items(channel, output_dir, base, say, problems)


def _check_artwork(
    channel: etree._Element, output_dir: Path, base: str, say: Say, problems: list[Problem]
) -> None:
    hrefs = channel.xpath("itunes:image/@href", namespaces=NS)
    if not hrefs:
        say("the channel has no itunes:image")
        return
    path = _local_path(hrefs[0], base, output_dir)
    if isinstance(path, str):
        say(f"itunes:image {hrefs[0]}: {path}")
        return
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            fmt, (width, height), mode = image.format, image.size, image.mode
    except FileNotFoundError:
        say(f"itunes:image {hrefs[0]}: no such file {path}")
        return
    except (OSError, UnidentifiedImageError) as e:
        problems.append(Problem(path, f"not an image ({e})"))
        return
    if fmt not in ARTWORK_FORMATS:
        problems.append(Problem(path, f"artwork must be PNG or JPEG, not {fmt}"))
    if width != height or not MIN_ARTWORK <= width <= MAX_ARTWORK:
        problems.append(
            Problem(
                path,
                f"artwork is {width}x{height} pixels; it must be a square of "
                f"{MIN_ARTWORK} to {MAX_ARTWORK}",
            )
        )
    if mode not in ARTWORK_MODES:
        problems.append(Problem(path, f"artwork must be RGB without transparency, not {mode}"))


def _check_items(
    channel: etree._Element, output_dir: Path, base: str, say: Say, problems: list[Problem]
) -> list[tuple[str, Path | None]]:
    found: list[tuple[str, Path | None]] = []
    seen: set[str] = set()
    for n, item in enumerate(channel.findall("item"), start=1):
        name = f"item {n} ({_text(item, 'title') or 'untitled'})"
        guid = _text(item, "guid")
        if not guid:
            say(f"{name} has no guid")
        elif guid in seen:
            say(f"{name} has the same guid as an earlier item: {guid}")
        seen.add(guid)
        _check_pub_date(name, _text(item, "pubDate"), say)
        duration = _text(item, "itunes:duration")
        if not duration:
            say(f"{name} has no itunes:duration")
        elif not _DURATION.fullmatch(duration):
            say(f"{name}: itunes:duration {duration!r} is not seconds or [HH:]MM:SS")
        found.append((guid, _check_enclosure(item, name, output_dir, base, say, problems)))
    return found


def _check_pub_date(name: str, text: str, say: Say) -> None:
    if not text:
        say(f"{name} has no pubDate")
        return
    try:
        date = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        date = None
    if date is None or date.tzinfo is None:
        say(f"{name}: pubDate {text!r} is not an RFC 2822 date with a time zone")


def _check_enclosure(
    item: etree._Element, name: str, output_dir: Path, base: str, say: Say, problems: list[Problem]
) -> Path | None:
    enclosures = item.findall("enclosure")
    if len(enclosures) != 1:
        say(f"{name} has {len(enclosures)} enclosures, not 1")
        return None
    enclosure = enclosures[0]
    url, length, kind = (enclosure.get(a, "") for a in ("url", "length", "type"))
    if kind != MP3_TYPE:
        say(f"{name}: enclosure type is {kind!r}, not {MP3_TYPE!r}")
    path = _local_path(url, base, output_dir)
    if isinstance(path, str):
        say(f"{name}: enclosure {url}: {path}")
        return None
    try:
        size = path.stat().st_size
    except OSError:
        say(f"{name}: enclosure {url}: no such file {path}")
        return None
    if length != str(size):
        problems.append(
            Problem(path, f"enclosure length in the feed is {length or 'missing'}, file is {size}")
        )
    return path.resolve()


def _base_url(config: Config) -> str:
    """The URL `output/` is served at, with one trailing slash."""
    return feed_io.feed_url(config)[: -len(feed_io.FEED_NAME)]


def _local_path(url: str, base: str, output_dir: Path) -> Path | str:
    """The file in `output_dir` that `url` names, or why there is none."""
    if not url.startswith(base):
        return f"not under the base URL {base}"
    parts = urlsplit(url[len(base) :])
    names = unquote(parts.path).split("/")
    if parts.query or parts.fragment or any(n in ("", ".", "..") for n in names):
        return "does not name a file under the base URL"
    path = output_dir.joinpath(*names)
    if not path.resolve().is_relative_to(output_dir.resolve()):
        return "leads outside the output folder"
    return path


def _text(element: etree._Element, path: str) -> str:
    found = element.xpath(f"{path}/text()", namespaces=NS)
    return str(found[0]).strip() if found else ""


def _reporter(path: Path, problems: list[Problem]) -> Say:
    return lambda message: problems.append(Problem(path, message))


# --------------------------------------------------------------------------- episodes


def _episode_dirs(output_dir: Path) -> tuple[Path, ...]:
    if not output_dir.is_dir():
        return ()
    return tuple(
        sorted(
            p.parent
            for p in output_dir.glob(f"*/{MANIFEST_NAME}")
            if not p.parent.name.startswith(".")
        )
    )


def _read_manifest(path: Path, problems: list[Problem]) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        problems.append(Problem(path, f"cannot read the manifest: {e}"))
        return None
    try:
        chapters = tuple(Chapter(**c) for c in data["chapters"])
        manifest = {
            "guid": str(data["guid"]),
            "mp3": str(data["mp3"]),
            "size": int(data["size"]),
            "duration_ms": int(data["duration_ms"]),
            "chapters": chapters,
        }
    except (KeyError, TypeError, ValueError) as e:
        problems.append(Problem(path, f"not an episode manifest: {e!r}"))
        return None
    if "/" in manifest["mp3"] or manifest["mp3"] in ("", ".", ".."):
        problems.append(Problem(path, f"mp3 must be a file name, not {manifest['mp3']!r}"))
        return None
    return manifest


def _check_episode(folder: Path, manifest: dict[str, Any], problems: list[Problem]) -> None:
    mp3 = folder / manifest["mp3"]
    say = _reporter(mp3, problems)
    try:
        data = mp3.read_bytes()
    except OSError as e:
        say(f"cannot read the episode's audio ({e.strerror or e})")
        return
    if len(data) != manifest["size"]:
        say(f"the manifest says {manifest['size']} bytes, the file is {len(data)}")
    duration_ms = _frames_duration(data, say)
    want: tuple[Chapter, ...] = manifest["chapters"]
    _compare(say, "mutagen", _mutagen_chapters(mp3, say), want)
    probe = _ffprobe(mp3, say)
    if probe is not None:
        probed = _ffprobe_chapters(probe)
        in_time_order = sorted(probed, key=lambda c: (c.start_ms, c.end_ms))
        if list(probed) != in_time_order:
            say(
                "the ID3 CHAP frames are not in time order in the file "
                "(some players stop at the first chapter out of order)"
            )
        _compare(say, "ffprobe", tuple(in_time_order), want)
    _check_chapters_json(folder / feed_io.CHAPTERS_NAME, want, problems)
    if want and duration_ms is not None:
        end = max(c.end_ms for c in want)
        if abs(end - duration_ms) > DURATION_TOLERANCE_MS:
            say(f"the last chapter ends at {end} ms, the audio at {duration_ms} ms")
    if probe is not None and duration_ms is not None:
        probed = _ffprobe_duration_ms(probe)
        if probed is not None and abs(probed - duration_ms) > DURATION_TOLERANCE_MS:
            say(f"ffprobe says the audio lasts {probed} ms, its frames {duration_ms} ms")
    limit = duration_ms if duration_ms is not None else manifest["duration_ms"]
    for name in TRANSCRIPT_NAMES:
        path = folder / name
        if path.exists():
            _check_captions(path, limit, problems)


def _frames_duration(data: bytes, say: Say) -> int | None:
    """The audio's length in ms from its MPEG frame count, or None if it is not an MP3."""
    from audio.stitch import scan_frames

    try:
        scan = scan_frames(data)
    except ValueError as e:
        say(f"not a valid MP3: {e}")
        return None
    return round(Fraction(scan.frames * scan.samples_per_frame * 1000, scan.sample_rate))


def _mutagen_chapters(mp3: Path, say: Say) -> tuple[Chapter, ...] | None:
    from mutagen import MutagenError
    from mutagen.id3 import ID3, ID3NoHeaderError

    try:
        id3 = ID3(mp3)
    except ID3NoHeaderError:
        say("no ID3 tag (no chapters)")
        return None
    except MutagenError as e:
        say(f"mutagen cannot read the ID3 tag: {e}")
        return None
    chaps = {frame.element_id for frame in id3.getall("CHAP")}
    listed = chapter_io.toc_order(id3)
    if chaps and listed is None:
        say("the ID3 tag has CHAP frames but no top-level CTOC")
    elif listed is not None and set(listed) != chaps:
        say("the ID3 CTOC does not list exactly the CHAP frames")
    return chapter_io.read_chapters(mp3)


def _ffprobe(mp3: Path, say: Say) -> dict[str, Any] | None:
    command = ["ffprobe", "-v", "error", "-show_chapters", "-show_entries", "format=duration"]
    try:
        out = subprocess.run(
            [*command, "-of", "json", str(mp3)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        say(f"ffprobe failed: {e}")
        return None
    if out.returncode != 0:
        say(f"ffprobe cannot read the file: {out.stderr.strip() or out.returncode}")
        return None
    try:
        return json.loads(out.stdout)
    except ValueError as e:
        say(f"ffprobe gave unreadable output: {e}")
        return None


def _ffprobe_chapters(probe: dict[str, Any]) -> tuple[Chapter, ...]:
    def ms(value: Any, base: str) -> int:
        return round(Fraction(int(value)) * Fraction(base) * 1000)

    return tuple(
        Chapter(
            element_id="",
            title=c.get("tags", {}).get("title", ""),
            start_ms=ms(c["start"], c["time_base"]),
            end_ms=ms(c["end"], c["time_base"]),
        )
        for c in probe.get("chapters", ())
    )


def _ffprobe_duration_ms(probe: dict[str, Any]) -> int | None:
    try:
        return round(float(probe["format"]["duration"]) * 1000)
    except (KeyError, TypeError, ValueError):
        return None


def _compare(
    say: Say, source: str, got: tuple[Chapter, ...] | None, want: tuple[Chapter, ...]
) -> None:
    """Report where the chapters `source` read differ from the manifest's."""
    if got is None:
        return
    if len(got) != len(want):
        say(f"{source} reads {len(got)} chapters, the manifest has {len(want)}")
        return
    for n, (g, w) in enumerate(zip(got, want, strict=True), start=1):
        for what, mine, theirs in _differences(g, w, full=bool(g.element_id)):
            say(f"chapter {n} ({w.title}): {source} reads {what} {mine!r}, manifest {theirs!r}")


def _differences(got: Chapter, want: Chapter, *, full: bool) -> Iterator[tuple[str, Any, Any]]:
    """What differs between two chapters; ids and URLs too when `full` (mutagen reads them)."""
    if full and got.element_id != want.element_id:
        yield "id", got.element_id, want.element_id
    if full and got.url != want.url:
        yield "URL", got.url, want.url
    if got.title != want.title:
        yield "title", got.title, want.title
    if got.start_ms != want.start_ms:
        yield "start (ms)", got.start_ms, want.start_ms
    if got.end_ms != want.end_ms:
        yield "end (ms)", got.end_ms, want.end_ms


def _check_chapters_json(path: Path, want: tuple[Chapter, ...], problems: list[Problem]) -> None:
    say = _reporter(path, problems)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        entries = doc["chapters"]
        got = tuple(
            Chapter(
                element_id="",
                title=str(e.get("title", "")),
                start_ms=round(float(e["startTime"]) * 1000),
                end_ms=round(float(e.get("endTime", -1)) * 1000),
                url=e.get("url"),
            )
            for e in entries
        )
    except FileNotFoundError:
        if want:
            say("missing; the episode has chapters")
        return
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as e:
        say(f"not a JSON chapters document: {e!r}")
        return
    if not isinstance(doc.get("version"), str):
        say('no "version"')
    if len(got) != len(want):
        say(f"{len(got)} chapters, the manifest has {len(want)}")
        return
    for n, (g, w) in enumerate(zip(got, want, strict=True), start=1):
        if g.title != w.title:
            say(f"chapter {n}: title {g.title!r}, manifest {w.title!r}")
        if g.start_ms != w.start_ms:
            say(f"chapter {n} ({w.title}): startTime {g.start_ms} ms, manifest {w.start_ms} ms")
        if g.end_ms >= 0 and g.end_ms != w.end_ms:
            say(f"chapter {n} ({w.title}): endTime {g.end_ms} ms, manifest {w.end_ms} ms")
        if g.url != w.url:
            say(f"chapter {n} ({w.title}): url {g.url!r}, manifest {w.url!r}")


# --------------------------------------------------------------------------- captions


def _check_captions(path: Path, duration_ms: int, problems: list[Problem]) -> None:
    say = _reporter(path, problems)
    parse = parse_vtt if path.suffix == ".vtt" else parse_srt
    try:
        cues = parse(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        say(f"cannot parse: {e}")
        return
    if not cues:
        say("has no cues")
    previous = 0
    for n, cue in enumerate(cues, start=1):
        if cue.end_ms < cue.start_ms:
            say(f"cue {n} ends ({npt(cue.end_ms)}) before it starts ({npt(cue.start_ms)})")
        if cue.start_ms < previous:
            say(f"cue {n} starts at {npt(cue.start_ms)}, before cue {n - 1}")
        if cue.end_ms > duration_ms + DURATION_TOLERANCE_MS:
            say(f"cue {n} ends at {npt(cue.end_ms)}, after the audio ({npt(duration_ms)})")
        previous = cue.start_ms
