"""store: the content-addressed cache of encoded segments.

Each entry is one segment's CBR MP3 frames (`<key>.mp3`) and a small record of them
(`<key>.json`: frames, size, SHA-256). The key hashes everything that changes the
sound, in canonical form, so a segment is synthesized again only when its spoken text
or the way it is spoken changes. Entries are written atomically; an entry whose record
is missing or does not match its audio counts as a miss and is made again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from audio.fsutil import write_bytes_atomic, write_text_atomic
from audio.model import Mark, Part

# Part of every key: raise it whenever the code makes different audio from the same
# rendition (synthesis, loudness, encoding), so that older stored parts are not mixed in.
STORE_VERSION = 9


@dataclass(frozen=True)
class Rendition:
    """Everything besides the text that changes how a segment sounds."""

    engine: str
    voice: str
    rate: int
    volume: float
    bitrate: int
    quality: int
    lead: float
    tail: float
    opinion_voice: str | None = None
    opinion_rate: int = 170
    gap: float = 0.35
    loudness: float | None = -16.0
    chime: bool = False
    music_before: str | None = None  # SHA-256 of the music file's content
    music_after: str | None = None
    sample_rate: int = 22050  # of the MP3 (stitch.output_rate)


def segment_key(spoken: str | tuple[tuple[str, str], ...], rendition: Rendition) -> str:
    """The store key of a segment: a hash of its spoken text and its rendition.

    A piece of a segment (audio.render) is keyed the same way by its (role, text) runs.

    >>> r = Rendition("e 1", "gmw/en-us", 170, 1.0, 64, 5, 0.5, 0.25)
    >>> segment_key("Hello.", r) == segment_key("Hello.", r)
    True
    >>> segment_key("Hello.", r) == segment_key("Hello!", r)
    False
    """
    blob = json.dumps(
        {"store": STORE_VERSION, "text": spoken, **asdict(rendition)},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class Store:
    """Encoded segments on disk under `root`, by key."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def audio_path(self, key: str) -> Path:
        """Where the frames of `key` are kept."""
        return self.root / key[:2] / f"{key}.mp3"

    def _record_path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> Part | None:
        """The stored part for `key`, or None when it is missing or damaged.

        An entry is read and its SHA-256 checked once in a process (by `load` or `put`):
        asked again while its files have the same size, time and inode, it is not read.
        """
        known = _CHECKED.get(self.audio_path(key))
        if known is not None and known[0] == self._stamp(key):
            return known[1]
        found = self.load(key)
        return None if found is None else found[0]

    def _stamp(self, key: str) -> tuple[int, ...] | None:
        """Size, time and inode of both files of `key`; None when one is missing."""
        try:
            stats = [self.audio_path(key).stat(), self._record_path(key).stat()]
        except OSError:
            return None
        return tuple(n for st in stats for n in (st.st_size, st.st_mtime_ns, st.st_ino))

    def _checked(self, part: Part, stamp: tuple[int, ...] | None = None) -> Part:
        """Note that the files of `part` (with `stamp`, or as they are now) are as
        recorded, for `get`."""
        stamp = stamp or self._stamp(part.key)
        if stamp is not None:
            _CHECKED[self.audio_path(part.key)] = (stamp, part)
        return part

    def load(self, key: str) -> tuple[Part, bytes] | None:
        """The stored part for `key` and its frames, or None when missing or damaged
        (the SHA-256 not checked again while the files are as when it was, see `get`)."""
        stamp = self._stamp(key)
        known = _CHECKED.get(self.audio_path(key))
        if stamp is not None and known is not None and known[0] == stamp:
            try:
                data = self.audio_path(key).read_bytes()
            except OSError:
                return None
            if self._stamp(key) == stamp:  # still the entry that was checked
                return known[1], data
        try:
            record = json.loads(self._record_path(key).read_text(encoding="utf-8"))
            data = self.audio_path(key).read_bytes()
        except (OSError, ValueError):
            return None
        try:
            part = Part(
                key=key,
                frames=int(record["frames"]),
                samples_per_frame=int(record["samples_per_frame"]),
                sample_rate=int(record["sample_rate"]),
                size=int(record["size"]),
                marks=tuple(Mark(int(a), int(b), str(t)) for a, b, t in record["marks"]),
            )
            digest = record["sha256"]
        except (KeyError, TypeError, ValueError):
            return None
        if len(data) != part.size or hashlib.sha256(data).hexdigest() != digest:
            return None
        if stamp == self._stamp(key):  # not replaced while it was read
            self._checked(part, stamp)
        return part, data

    def put(
        self,
        key: str,
        data: bytes,
        *,
        frames: int,
        samples_per_frame: int,
        sample_rate: int,
        marks: Sequence[Mark] = (),
    ) -> Part:
        """Store the frames of one segment and its sentence marks; the record is written last."""
        part = Part(key, frames, samples_per_frame, sample_rate, len(data), tuple(marks))
        write_bytes_atomic(self.audio_path(key), data)
        record = {
            "frames": frames,
            "samples_per_frame": samples_per_frame,
            "sample_rate": sample_rate,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "marks": [[m.start_ms, m.end_ms, m.text] for m in marks],
        }
        write_text_atomic(self._record_path(key), json.dumps(record, sort_keys=True) + "\n")
        return self._checked(part)


# Entries whose SHA-256 this process has checked (or that it wrote), by audio file: the
# files' `_stamp` then, and the part.
_CHECKED: dict[Path, tuple[tuple[int, ...], Part]] = {}
