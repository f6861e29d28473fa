"""`python -m audio` is the same program as `audio-edition`: both run `main`.

Keep this module light. multiprocessing imports the program's main module in every
worker process it starts, and `audio-edition` is a script that imports this one: were
the command line (click, the feed, the site) imported here, each worker would import it
again for every piece it renders.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

# The commands that render audio, and the options before a command that take a value.
RENDERING_COMMANDS = ("build", "render")
_OPTIONS_WITH_VALUES = ("--issues", "--output", "--settings")


def command_of(args: Sequence[str]) -> str | None:
    """The command word of `audio-edition` arguments, or None when there is none.

    >>> command_of(["--issues", "build", "-q", "render", "a.txt"]), command_of(["-h"])
    ('render', None)
    """
    rest = iter(args)
    for arg in rest:
        if arg in _OPTIONS_WITH_VALUES:
            next(rest, None)
        elif not arg.startswith("-"):
            return arg
    return None


def build_looks_current(args: Sequence[str]) -> bool:
    """Whether `audio-edition ARGS` is a build that looks as if it has nothing to render.

    Judged from file times alone: every issue it builds has a manifest
    (OUTPUT/<slug>/episode.json) newer than the issue file, the settings file and each
    of its scripts. A guess, made before anything is imported: arguments it does not
    know make it say no, and a wrong guess costs only the worker server's head start.
    """
    from audio.config import SETTINGS_FILE
    from audio.errors import IssueError
    from audio.fsutil import DEFAULT_ISSUES, DEFAULT_OUTPUT, find_issues, issues_named, slugify

    given = {"--issues": str(DEFAULT_ISSUES), "--output": str(DEFAULT_OUTPUT), "--settings": ""}
    paths: list[Path] = []
    command = None
    rest = iter(args)
    for arg in rest:
        name, equals, value = arg.partition("=")
        if name in given:
            given[name] = value if equals else next(rest, "")
        elif arg in ("-q", "--quiet", "--json") or (name == "--jobs" and equals):
            continue
        elif arg in ("-j", "--jobs"):
            next(rest, None)
        elif arg.startswith("-") or command not in (None, "build"):
            return False
        elif command is None:
            command = arg
        else:
            paths.append(Path(arg))
    if command != "build":
        return False
    issues, output = Path(given["--issues"]), Path(given["--output"])
    settings = Path(given["--settings"]) if given["--settings"] else issues / SETTINGS_FILE
    try:
        # An issue given by its name in the issues folder ("build notes-3"), as the
        # command line takes it.
        paths = [p if p.exists() else next(iter(issues_named(issues, str(p))), p) for p in paths]
        paths = paths or list(find_issues(issues))
        newest_input = max([_mtime(settings), *map(_mtime, paths)])
        for path in paths:
            episode = output / (slugify(path.stem, max_length=80) or "issue")
            scripts = (episode / "scripts").glob("*.txt")
            newest = max([newest_input, *map(_mtime, scripts)])
            if os.stat(episode / "episode.json").st_mtime_ns < newest:
                return False
    except (OSError, IssueError):
        return False
    return True


def _mtime(path: Path) -> int:
    """The file's modification time (ns), or 0 when it does not exist."""
    try:
        return os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return 0


def main() -> None:
    """Run the command line (`audio.cli`).

    For `build` the worker processes' server (`audio.workers`) is started first, so
    that it is ready by the time the first piece is (it imports numpy and the audio
    modules and warms their caches, about 0.25 s); the command starts it anyway when
    this has not, and only when something is to be rendered. Not for a build that looks
    current (`build_looks_current`): the server's start would only compete with the
    build for the cores. For `render`, whose usual work is one piece, one worker is
    forked from this process instead (`prefork_worker`), before anything starts a thread
    or imports numpy; it is ready when the plan is, with no server to wait for (the
    plan's other pieces: `audio.workers.fork_more`).
    """
    status = [1]  # an exception that escapes the command line exits with 1, as Python does
    atexit.register(_end_process, status)  # the first registered runs last
    args = sys.argv[1:]
    command = command_of(args)
    if (
        command in RENDERING_COMMANDS
        and not {"-h", "--help"} & set(args)
        and not (command == "build" and build_looks_current(args))
    ):
        from audio.workers import prefork_worker, start_workers

        if command == "render":
            prefork_worker()
        else:
            start_workers()
    try:
        from audio.cli import cli
    except KeyboardInterrupt:  # Ctrl-C before click, which says the same, is in charge
        sys.stderr.write("\nAborted!\n")
        raise SystemExit(1) from None
    try:
        cli(prog_name="audio-edition")
    except SystemExit as done:
        status[0] = done.code if isinstance(done.code, int) else int(done.code is not None)
        raise
    status[0] = 0


def _end_process(status: list[int]) -> None:
    """The last exit handler: flush the standard streams and end the process with
    `status[0]` now, without the interpreter's teardown of its modules and objects
    (about 20 ms, every command, of freeing memory the process gives back anyway).

    The exit handlers registered after it (multiprocessing's removes its temporary
    folder) have run; every file the program writes is closed (and synced) before it
    is published. Those registered before `main` would not run: under a tracer or a
    profiler (coverage registers its handler first), the process ends as usual.
    """
    if sys.gettrace() is not None or sys.getprofile() is not None:
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status[0])


if __name__ == "__main__":
    main()
