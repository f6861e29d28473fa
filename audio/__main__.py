"""`python -m audio` is the same program as `audio-edition`: both run `main`.

Keep this module light. multiprocessing imports the program's main module in every
worker process it starts, and `audio-edition` is a script that imports this one: were
the command line (click, the feed, the site) imported here, each worker would import it
again for every piece it renders.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

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


def main() -> None:
    """Run the command line (`audio.cli`).

    For `build` and `render` the worker processes' server (`audio.workers`) is started
    first, so that it is ready by the time the first piece is (it imports numpy and the
    audio modules and warms their caches, about 0.25 s); the command starts it anyway
    when this has not.
    """
    args = sys.argv[1:]
    if command_of(args) in RENDERING_COMMANDS and not {"-h", "--help"} & set(args):
        from audio.workers import start_workers

        start_workers()
    from audio.cli import cli

    cli(prog_name="audio-edition")


if __name__ == "__main__":
    main()
