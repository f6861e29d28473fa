"""Interrupted and concurrent builds, with the real engine: `kill -9` at any moment,
readers polling the published files during a republish, and two builds at once.

A build is `python -m audio build` in its own session, so that a test can SIGKILL
the whole process group (the build, its forkserver and its speech workers) as a
crash or `kill -9` of a process tree would. One short issue (5 segments, about a
minute of audio) keeps each build to a few seconds. A clean build of it, made once,
is the reference every other build must match byte for byte: the episode's date
comes from the issue file's time (set here) and the feed's dates from the episodes,
so two builds of the same issue in two folders make the same bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import feedparser
import pytest

from audio.fsutil import output_lock
from audio.store import Store

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "data" / "forms" / "forms.lines.txt"
SLUG = "an-099"
ISSUE_TIME = 1_600_000_000  # the issue file's mtime: the episode's publication date
SEED = 20_200_915
KILLS = 4
JOBS = ("--jobs", "2")
TIMEOUT = 600  # seconds; only so that a hung build fails instead of hanging the suite
WAITING = re.compile(r"Waiting for another build \((process (\d+)|another process)\) to finish in ")
# The published files readers see, by name: output-relative paths.
WATCHED = {
    "mp3": f"{SLUG}/{SLUG}.mp3",
    "feed": "feed.xml",
    "manifest": f"{SLUG}/episode.json",
    "chapters": f"{SLUG}/chapters.json",
}

_log_numbers = itertools.count()


# --------------------------------------------------------------------------- helpers


def newsletter(folder: Path) -> Path:
    """A newsletter folder holding the one short issue, with a fixed file time."""
    (folder / "issues").mkdir(parents=True)
    issue = folder / "issues" / f"{SLUG}.txt"
    shutil.copyfile(SAMPLE, issue)
    os.utime(issue, (ISSUE_TIME, ISSUE_TIME))
    return folder


@dataclass
class Build:
    """`python -m audio ARGS` running in `folder`, in a session of its own."""

    process: subprocess.Popen
    out: Path
    err: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def stdout(self) -> str:
        return self.out.read_text(encoding="utf-8")

    @property
    def stderr(self) -> str:
        return self.err.read_text(encoding="utf-8")

    def finished(self) -> bool:
        return self.process.poll() is not None

    def wait(self) -> int:
        """Wait for the build to exit (within TIMEOUT) and for its workers to be gone."""
        code = self.process.wait(timeout=TIMEOUT)
        wait_group_gone(self.pid)
        return code

    def kill(self) -> bool:
        """SIGKILL the whole process group; True if the build had already finished."""
        done = self.finished()
        # Once the build is reaped its group id stays ours only while members remain.
        if not done or group_members(self.pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(timeout=TIMEOUT)
        wait_group_gone(self.pid)
        return done

    def describe(self) -> str:
        return f"exit {self.process.returncode}\n{self.stdout}\n{self.stderr}"


@pytest.fixture
def start(tmp_path) -> Iterator:
    """Start builds; any still running when the test ends is killed, whole group."""
    started: list[Build] = []
    logs = tmp_path / "logs"
    logs.mkdir()

    def start(folder: Path, *args: str) -> Build:
        n = next(_log_numbers)
        out, err = logs / f"{n}.out", logs / f"{n}.err"
        with open(out, "wb") as o, open(err, "wb") as e:
            process = subprocess.Popen(
                [sys.executable, "-m", "audio", *args],
                cwd=folder,
                stdin=subprocess.DEVNULL,
                stdout=o,
                stderr=e,
                start_new_session=True,
            )
        build = Build(process, out, err)
        started.append(build)
        return build

    yield start
    for build in started:
        if not build.finished() or group_members(build.pid):
            build.kill()


def build_to_end(start, folder: Path, *args: str) -> Build:
    """Run a build to completion; it must succeed."""
    build = start(folder, "build", *JOBS, *args)
    code = build.wait()
    assert code == 0, build.describe()
    return build


def group_members(pgid: int) -> list[int]:
    """The live (not zombie) processes of process group `pgid`."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        state, _ppid, pgrp = text.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) == pgid and state not in ("Z", "X"):
            members.append(int(stat.parent.name))
    return members


def wait_group_gone(pgid: int) -> None:
    """Wait until no process of the group is left (SIGKILLed workers die at once)."""
    deadline = time.monotonic() + TIMEOUT
    while group_members(pgid):
        assert time.monotonic() < deadline, f"process group {pgid} still running"
        time.sleep(0.01)


def kill_moments(seconds: float) -> list[float]:
    """KILLS seeded random delays in [0, seconds], one in each KILLS-th of that span.

    Drawn this way, the kills fall at start-up, while segments are being spoken and
    stored, and (the stored segments making later builds shorter) while publishing.
    """
    rng = random.Random(SEED)
    return [rng.uniform(i, i + 1) * seconds / KILLS for i in range(KILLS)]


def kill_on_sight(
    start, folder: Path, where: Path, pattern: str, watch: Watch | None = None
) -> bool:
    """Start a build and SIGKILL it as soon as a file matching `pattern` is in `where`.

    True when the build was caught so; False when it finished first. `watch`, if
    given, reads the published files all the while.
    """
    build = start(folder, "build", *JOBS)
    caught = False
    while not build.finished():
        if watch is not None:
            watch.look(folder / "output")
        if where.is_dir() and any(where.glob(pattern)):
            caught = True
            break
        time.sleep(0.001)
    return not build.kill() and caught


def files_under(output: Path) -> dict[str, bytes]:
    """Every file under `output` (the store included) by relative path, but the lock."""
    return {
        p.relative_to(output).as_posix(): p.read_bytes()
        for p in sorted(output.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def is_temporary(name: str) -> bool:
    """A build's temporary file: `.tmp-*`, or the speech engine's `..tmp-*` scratch file."""
    return Path(name).name.startswith((".tmp-", "..tmp-"))


def temporary_files(output: Path) -> list[str]:
    return sorted(
        p.relative_to(output).as_posix() for p in output.rglob("*") if is_temporary(p.name)
    )


def assert_same_files(output: Path, expected: dict[str, bytes]) -> None:
    """The folder holds exactly the expected files, byte for byte."""
    actual = files_under(output)
    extra = sorted(set(actual) - set(expected))
    missing = sorted(set(expected) - set(actual))
    different = sorted(n for n in set(actual) & set(expected) if actual[n] != expected[n])
    assert (extra, missing, different) == ([], [], [])


@dataclass(frozen=True)
class Reference:
    """A clean, uninterrupted build, and how long it took."""

    folder: Path
    seconds: float
    files: dict[str, bytes]
    manifest: dict


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Reference:
    folder = newsletter(tmp_path_factory.mktemp("reference"))
    began = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "audio", "build", *JOBS, "--json"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    seconds = time.monotonic() - began
    assert result.returncode == 0, result.stderr
    (episode,) = json.loads(result.stdout)["episodes"]
    assert len(episode["rendered"]) == 5 and episode["reused"] == 0
    output = folder / "output"
    manifest = json.loads((output / WATCHED["manifest"]).read_text(encoding="utf-8"))
    return Reference(folder, seconds, files_under(output), manifest)


# --------------------------------------------------------------------------- kill -9


def test_sigkill_at_random_moments_then_rebuild_is_byte_identical(reference, start, tmp_path):
    folder = newsletter(tmp_path / "killed")
    output = folder / "output"
    # First a moment picked, not drawn: while espeak-ng writes an utterance's scratch WAV.
    caught = kill_on_sight(start, folder, output / ".store", "..tmp-*")
    history = ["killed while speaking" if caught else "not caught speaking"]
    assert_partial_state(output, reference, history)
    for delay in kill_moments(reference.seconds):
        build = start(folder, "build", *JOBS)
        time.sleep(delay)
        finished = build.kill()
        history.append(f"killed after {delay:.2f} s" + (" (had finished)" if finished else ""))
        assert_partial_state(output, reference, history)

    store = Store(output / ".store")
    kept = [s["id"] for s in reference.manifest["segments"] if store.get(s["key"]) is not None]
    build = build_to_end(start, folder, "--json")

    assert temporary_files(output) == []
    assert_same_files(output, reference.files)
    # Every segment a killed build finished (and stored) is reused, not spoken again.
    (episode,) = json.loads(build.stdout)["episodes"]
    ids = [s["id"] for s in reference.manifest["segments"]]
    assert episode["reused"] == len(kept), history
    assert [r["id"] for r in episode["rendered"]] == [i for i in ids if i not in kept], history


def assert_partial_state(output: Path, reference: Reference, history: list[str]) -> None:
    """After a kill, every file there (but temporary ones) is the reference's, byte for byte.

    An interrupted build publishes nothing half-written: a file is either not there yet
    or exactly what the uninterrupted build made.
    """
    if not output.exists():
        return
    files = {k: v for k, v in files_under(output).items() if not is_temporary(k)}
    unknown = sorted(set(files) - set(reference.files))
    different = sorted(k for k in files if k in reference.files and files[k] != reference.files[k])
    assert (unknown, different) == ([], []), history


# --------------------------------------------------------------------------- readers


@dataclass
class Watch:
    """What readers saw of the published files: the versions (SHA-256) and any problem."""

    versions: dict[str, set[str]] = field(default_factory=lambda: {n: set() for n in WATCHED})
    problems: list[str] = field(default_factory=list)
    polls: int = 0

    def look(self, output: Path) -> None:
        """Read every watched file once, as a podcast app or web server would."""
        self.polls += 1
        for name, rel in WATCHED.items():
            try:
                data = (output / rel).read_bytes()
            except OSError as e:
                self.problems.append(f"{rel}: {e}")
                continue
            self.versions[name].add(hashlib.sha256(data).hexdigest())
            try:
                if name == "feed":
                    ET.fromstring(data)
                elif name in ("manifest", "chapters"):
                    json.loads(data)
            except (ET.ParseError, ValueError) as e:
                self.problems.append(f"{rel}: {e}")

    def during(self, build: Build, output: Path, *, until: float | None = None) -> None:
        """Poll every few ms until the build exits (or `until`, a monotonic time)."""
        while True:
            done = build.finished() or (until is not None and time.monotonic() >= until)
            self.look(output)
            if done:
                return
            time.sleep(0.002)


def published(output: Path) -> dict[str, str]:
    """The SHA-256 of each watched file."""
    return {
        name: hashlib.sha256((output / rel).read_bytes()).hexdigest()
        for name, rel in WATCHED.items()
    }


def edit_script(output: Path, segment_id: str, sentence: str) -> None:
    """Add a sentence to a segment's script, as the editor would."""
    path = output / SLUG / "scripts" / f"{segment_id}.txt"
    path.write_text(path.read_text(encoding="utf-8") + f"\n{sentence}\n", encoding="utf-8")


def assert_consistent(output: Path) -> None:
    """The published files agree with each other (once a build has finished)."""
    manifest = json.loads((output / WATCHED["manifest"]).read_text(encoding="utf-8"))
    size = (output / WATCHED["mp3"]).stat().st_size
    assert manifest["size"] == size
    parsed = feedparser.parse((output / "feed.xml").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    (entry,) = parsed.entries
    assert entry.id == manifest["guid"]
    assert int(entry.enclosures[0].length) == size
    chapters = json.loads((output / WATCHED["chapters"]).read_text(encoding="utf-8"))
    assert [round(c["startTime"] * 1000) for c in chapters["chapters"]] == [
        c["start_ms"] for c in manifest["chapters"]
    ]


def assert_republished(output: Path, old: dict, new: dict, watch: Watch, context: object) -> None:
    """Every watched file changed from `old` to `new`, readers saw only those two
    versions, no temporary file is left, and the published files agree."""
    for name in WATCHED:
        assert new[name] != old[name], name
        assert watch.versions[name] <= {old[name], new[name]}, (name, context)
    assert temporary_files(output) == []
    assert_consistent(output)


def test_published_files_stay_valid_throughout(reference, start, tmp_path):
    folder = tmp_path / "published"
    shutil.copytree(reference.folder, folder)
    output = folder / "output"
    ids = [s["id"] for s in reference.manifest["segments"]]

    # Round 1: a corrected script is re-rendered and the episode republished in place,
    # while readers poll the feed, the MP3, the manifest and the chapters.
    old = published(output)
    edit_script(output, ids[3], "That is all the news this week, read for you by the editor.")
    watch = Watch()
    watch.look(output)
    began = time.monotonic()
    build = start(folder, "build", *JOBS)
    watch.during(build, output)
    seconds = time.monotonic() - began
    assert build.wait() == 0, build.describe()
    new = published(output)
    assert watch.problems == [], f"{watch.polls} polls"
    assert_republished(output, old, new, watch, "one build")

    # Round 2: another correction, and builds killed at random moments, one after the
    # other. Readers see, during the builds and after each kill, only the old files or
    # the ones the finished build makes.
    old = new
    edit_script(output, ids[1], "The editor adds: this paper is well worth reading in full.")
    history = []
    watch = Watch()
    for delay in kill_moments(seconds):
        build = start(folder, "build", *JOBS)
        watch.during(build, output, until=time.monotonic() + delay)
        finished = build.kill()
        history.append(f"killed after {delay:.2f} s" + (" (had finished)" if finished else ""))
        watch.look(output)
        assert watch.problems == [], history
    build_to_end(start, folder)
    new = published(output)
    assert_republished(output, old, new, watch, history)

    # Round 3: once more, killed while the new MP3 is being written next to the old one.
    old = new
    edit_script(output, ids[0], "Welcome back; the editor has a correction this week.")
    watch = Watch()
    caught = kill_on_sight(start, folder, output / SLUG, f".tmp-{SLUG}.mp3.*", watch)
    moment = "killed while writing the MP3" if caught else "not caught writing the MP3"
    watch.look(output)
    assert watch.problems == [], moment
    build_to_end(start, folder)
    new = published(output)
    assert_republished(output, old, new, watch, moment)


# --------------------------------------------------------------------------- the lock


def test_two_simultaneous_builds(reference, start, tmp_path):
    folder = newsletter(tmp_path / "two")
    first, second = start(folder, "build", *JOBS), start(folder, "build", *JOBS)
    assert first.wait() == 0, first.describe()
    assert second.wait() == 0, second.describe()

    waited = [b for b in (first, second) if WAITING.search(b.stderr)]
    assert len(waited) == 1, (first.stderr, second.stderr)
    (waiter,) = waited
    (holder,) = [b for b in (first, second) if b is not waiter]
    named = WAITING.search(waiter.stderr).group(2)
    assert named in (None, str(holder.pid))
    # The one that waited found everything done: it spoke nothing and changed nothing.
    assert "[1/" not in waiter.stderr
    assert "(unchanged)" in waiter.stdout
    assert "[5/5]" in holder.stderr
    output = folder / "output"
    assert temporary_files(output) == []
    assert_same_files(output, reference.files)


def test_stale_lock_from_killed_process_is_taken_over(reference, start, tmp_path):
    folder = newsletter(tmp_path / "stale")
    output = folder / "output"
    lock = output / ".lock"
    build = start(folder, "build", *JOBS)
    # Wait until the build holds the lock (it writes its pid into the lock file).
    while not (lock.is_file() and lock.read_text(encoding="utf-8") == f"process {build.pid}\n"):
        assert not build.finished(), build.describe()
        time.sleep(0.005)
    # Kill only the build process, as `kill -9 PID` would: its workers may run on,
    # but they never held the lock.
    os.kill(build.pid, signal.SIGKILL)
    build.process.wait(timeout=TIMEOUT)
    assert lock.read_text(encoding="utf-8") == f"process {build.pid}\n"  # left behind

    again = start(folder, "build", *JOBS)
    assert again.wait() == 0, again.describe()
    assert not WAITING.search(again.stderr), again.stderr
    wait_group_gone(build.pid)  # the orphaned workers finish their segments and exit
    assert temporary_files(output) == []
    assert_same_files(output, reference.files)


def test_a_process_the_lock_holder_forked_does_not_hold_the_lock(tmp_path):
    # `render` forks speech workers from its own process after taking the lock; killed,
    # it must leave the lock free at once, even while a worker it forked runs on.
    code = (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from audio.fsutil import output_lock\n"
        "with output_lock(Path(sys.argv[1])):\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(10)\n"
        "        os._exit(0)\n"
        "    print(flush=True)\n"
        "    time.sleep(10)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path)],
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        holder.stdout.readline()  # it holds the lock, and its child runs
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=TIMEOUT)
        waited = []
        with output_lock(tmp_path, waited.append):
            pass
        assert waited == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(holder.pid, signal.SIGKILL)  # the child
        holder.stdout.close()
