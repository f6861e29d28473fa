"""Files: atomic writes, slugs, and where things go under `output/`.

Nothing already published is damaged by a failed or interrupted run: every published
file is written to a temporary file in the same directory and `os.replace`d into place.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from audio.errors import IssueError

TEMP_PREFIX = ".tmp-"
# Where issues are read and episodes written unless the command line says otherwise.
DEFAULT_ISSUES = Path("issues")
DEFAULT_OUTPUT = Path("output")
# The file names an issue may have (`find_issues`).
EMAIL_SUFFIX = ".eml"  # an e-mail saved as sent
ISSUE_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", EMAIL_SUFFIX)


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path next to `path` that replaces it when the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f"{TEMP_PREFIX}{path.name}.")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_write(path: Path, mode: str = "wb", **kwargs: Any) -> Iterator[IO[Any]]:
    """Write `path` through a temporary file that replaces it only on success."""
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as f:
        yield f


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically."""
    with atomic_write(path, "wb") as f:
        f.write(data)


def write_text_atomic(path: Path, text: str) -> None:
    """Replace `path` with UTF-8 `text` atomically."""
    with atomic_write(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


# Letters that Unicode does not decompose into a base letter and a mark.
_LETTERS = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "TH",
        "ı": "i",
    }
)


def slugify(text: str, *, max_words: int | None = None, max_length: int = 60) -> str:
    """A lower-case ASCII slug of `text`, safe as a file name and an ID3 element id.

    >>> slugify("Adversarial Examples Are Not Bugs, They Are Features", max_words=5)
    'adversarial-examples-are-not-bugs'
    >>> slugify("Utility ≠ Reward: Stuhlmüller's café")
    'utility-reward-stuhlmullers-cafe'
    >>> slugify("Ausgabe Nr 5 – Grüße aus Łódź")
    'ausgabe-nr-5-grusse-aus-lodz'
    >>> slugify("###")
    ''
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    ascii_text = decomposed.encode("ascii", "ignore").decode()
    ascii_text = re.sub(r"['’]", "", ascii_text.lower())
    words = re.findall(r"[a-z0-9]+", ascii_text)
    if max_words is not None:
        words = words[:max_words]
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            break
        slug = candidate
    return slug or "-".join(words)[:max_length]


@dataclass(frozen=True)
class Layout:
    """Where a build reads and writes: issues in, episodes and feed out."""

    issues: Path
    output: Path

    @property
    def feed(self) -> Path:
        """The podcast feed over all episodes."""
        return self.output / "feed.xml"

    @property
    def store(self) -> Path:
        """The content-addressed cache of encoded segments."""
        return self.output / ".store"

    def episode_dir(self, slug: str) -> Path:
        """The directory of one episode."""
        return self.output / slug

    def manifest(self, slug: str) -> Path:
        """The episode's manifest: what was published, with its GUID and date."""
        return self.episode_dir(slug) / "episode.json"

    def mp3(self, slug: str) -> Path:
        """The episode's audio."""
        return self.episode_dir(slug) / f"{slug}.mp3"

    def scripts(self, slug: str) -> Path:
        """The directory of the episode's editable speech scripts."""
        return self.episode_dir(slug) / "scripts"

    def scripts_written(self, slug: str) -> Path:
        """The hashes of the scripts as the tool last wrote them, which tell the
        editor's edits from the tool's text (`pipeline.sync_script`)."""
        return self.scripts(slug) / ".written.json"


LOCK_NAME = ".lock"


@contextmanager
def output_lock(output: Path, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the lock on the folder `output` for the block: one build at a time writes there.

    When another process holds it, `on_wait` is called once with that process's
    description and the call waits until the lock is free. The lock is the kernel's, a
    POSIX record lock (`lockf`): it is released when its holder exits, even by
    `kill -9`, so a lock file left behind by a killed build is simply taken over; and
    the processes the holder forks (`audio.workers`) do not hold it. Within one
    process it does not exclude: take it once a process.
    """
    import fcntl

    output.mkdir(parents=True, exist_ok=True)
    with open(output / LOCK_NAME, "a+", encoding="utf-8") as handle:
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except (BlockingIOError, PermissionError):  # EAGAIN or EACCES: held elsewhere
            if on_wait is not None:
                handle.seek(0)
                on_wait(handle.read().strip() or "another process")
            fcntl.lockf(handle, fcntl.LOCK_EX)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"process {os.getpid()}\n")
            handle.flush()
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.lockf(handle, fcntl.LOCK_UN)


def find_issues(issues_dir: Path) -> tuple[Path, ...]:
    """The issue files in a folder, in name order."""
    if not issues_dir.is_dir():
        raise IssueError(f"{issues_dir}: no such folder of issues")
    return tuple(
        sorted(
            p
            for p in issues_dir.iterdir()
            if p.is_file() and p.suffix.lower() in ISSUE_SUFFIXES and not p.name.startswith(".")
        )
    )


def issues_named(issues_dir: Path, name: str) -> tuple[Path, ...]:
    """The issue files in `issues_dir` called `name`: with or without their suffix, or by
    their episode's name (slug), as in "alignment-newsletter-076"."""
    if not issues_dir.is_dir():
        return ()
    return tuple(
        path
        for path in find_issues(issues_dir)
        if name in (path.name, path.stem, slugify(path.stem, max_length=80))
    )
