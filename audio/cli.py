"""cli: the `audio-edition` command line (click).

The only module that imports click and the only one that writes to stdout. Commands
raise `AudioError`s; `AudioGroup` turns them into a one-line "Error: ..." on stderr
with the error's exit code (1 user error, 2 usage error, 3 engine or tool failure).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click

from audio import pipeline
from audio.config import SETTINGS_FILE, Config, load_config
from audio.errors import AudioError
from audio.fsutil import (
    DEFAULT_ISSUES,
    DEFAULT_OUTPUT,
    Layout,
    find_issues,
    issues_named,
    output_lock,
)
from audio.script import structure
from audio.workers import default_jobs, preforked, start_workers

# An unexpected exception (a bug) is shown as one line with this exit code, or with its
# traceback when this environment variable is set.
TRACEBACK_ENV = "AUDIO_EDITION_TRACEBACK"
INTERNAL_ERROR = 3


class _AudioClickError(click.ClickException):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class AudioGroup(click.Group):
    """A click group that shows `AudioError`s as one-line errors with their exit codes."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except AudioError as e:
            raise _AudioClickError(str(e), e.exit_code) from e
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            # Whatever read the output has stopped reading (`| head`): end quietly, as
            # other tools do, with what was left to print going nowhere.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise click.exceptions.Exit(1) from None
        except Exception as e:
            # A bug of ours: one line, and the traceback when asked for.
            if os.environ.get(TRACEBACK_ENV):
                raise
            where = f"set {TRACEBACK_ENV}=1 to see where"
            message = f"internal error: {type(e).__name__}: {e} ({where})"
            raise _AudioClickError(message, INTERNAL_ERROR) from e


@dataclass(frozen=True)
class State:
    """What every command gets: the settings, where files go, and how talkative to be."""

    config: Config
    layout: Layout
    quiet: bool


pass_state = click.make_pass_decorator(State)


class IssueFile(click.ParamType):
    """An issue: a file's path, or the name of one in the issues folder (its episode's)."""

    name = "issue"

    def convert(self, value, param, ctx) -> Path:
        path = Path(value)
        if path.is_file():
            return path
        if path.is_dir():
            self.fail(f"{value} is a folder, not an issue file", param, ctx)
        if os.sep in value:
            self.fail(f"no such file: {value}", param, ctx)
        state = ctx.find_object(State) if ctx else None
        issues_dir = state.layout.issues if state else DEFAULT_ISSUES
        found = issues_named(issues_dir, value)
        if len(found) > 1:
            names = ", ".join(p.name for p in found)
            self.fail(f"several issues in {issues_dir}/ are called {value!r}: {names}", param, ctx)
        if not found:
            self.fail(f"no issue file {value!r} here or in {issues_dir}/", param, ctx)
        return found[0]


_issue_argument = click.argument("issue", type=IssueFile())


@click.group(cls=AudioGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--issues",
    "issues_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_ISSUES,
    show_default=True,
    help="Folder of issue files.",
)
@click.option(
    "--output",
    "output_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_OUTPUT,
    show_default=True,
    help="Folder for episodes and the feed.",
)
@click.option(
    "--settings",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help=f"Show settings file  [default: ISSUES/{SETTINGS_FILE}]",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only errors and the summary.")
@click.version_option(package_name="audio-edition")
@click.pass_context
def cli(
    ctx: click.Context, issues_dir: Path, output_dir: Path, settings: Path | None, quiet: bool
) -> None:
    """Turn newsletter issues into chaptered podcast episodes and a podcast feed.

    Issues come from ISSUES (default issues/) and episodes go to OUTPUT (default
    output/): OUTPUT/<episode>/<episode>.mp3 and OUTPUT/feed.xml. A command's ISSUE is
    an issue file's path, or its name in ISSUES (with or without its suffix, or its
    episode's name).
    """
    try:
        config = load_config(settings or issues_dir / SETTINGS_FILE)
    except AudioError as e:
        raise _AudioClickError(str(e), e.exit_code) from e
    ctx.obj = State(config, Layout(issues_dir, output_dir), quiet)


_jobs_option = click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Pieces of segments rendered at once  [default: number of cores]",
)
_json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print the report as JSON, for tools."
)


@cli.command()
@click.argument("issues", nargs=-1, type=IssueFile())
@_jobs_option
@_json_option
@pass_state
def build(state: State, issues: tuple[Path, ...], jobs: int | None, as_json: bool) -> None:
    """Build episodes from ISSUES (default: every issue in the issues folder) and the feed.

    Only segments whose spoken text or sound settings changed are synthesized again;
    hand-edited scripts in OUTPUT/<episode>/scripts/ are kept. The report says which
    segments were rendered and which chapters moved.
    """
    paths = issues or find_issues(state.layout.issues)
    with _locked(state):
        # Not start_workers() here: `main` has, unless the build looked current; then
        # the first piece to render, if any, starts them.
        pipeline.clean_temporary_files(state.layout)
        plan = pipeline.plan_build(paths, state.config, state.layout)
        _run(state, plan, jobs, as_json)


@cli.command()
@_issue_argument
@click.option(
    "-s",
    "--segment",
    "selectors",
    multiple=True,
    required=True,
    metavar="ID",
    help=(
        "The segment to re-render: its id, a unique prefix (05), or words found in one"
        ' segment\'s id or title only ("safety gym"). Repeatable.'
    ),
)
@_jobs_option
@_json_option
@pass_state
def render(
    state: State, issue: Path, selectors: tuple[str, ...], jobs: int | None, as_json: bool
) -> None:
    """Re-render one segment of ISSUE from its script and republish the episode in place.

    Edit OUTPUT/<episode>/scripts/<id>.txt, then run this: only that segment is
    synthesized; the other segments keep their audio, and the episode keeps its GUID
    and date in the feed. The report gives the segment's change in length and the
    chapters that moved.
    """
    with _locked(state):
        if not preforked():  # `main` forked a worker for the usual one piece
            start_workers()  # while the issue is read and planned
        pipeline.clean_temporary_files(state.layout)
        plan, chosen = pipeline.plan_render(issue, selectors, state.config, state.layout)
        if not plan.to_render and not state.quiet and not as_json:
            click.echo(f"{', '.join(chosen)}: already current (its script is unchanged)", err=True)
        _run(state, plan, jobs, as_json)


@contextmanager
def _locked(state: State) -> Iterator[None]:
    """Hold the output folder's lock, saying so while waiting for another build."""

    def waiting(holder: str) -> None:
        click.echo(
            f"Waiting for another build ({holder}) to finish in {state.layout.output}/", err=True
        )

    with output_lock(state.layout.output, waiting):
        yield


def _run(state: State, plan: pipeline.BuildPlan, jobs: int | None, as_json: bool) -> None:
    """Render and publish a plan, showing progress, then report what changed."""
    for notice in plan.notices:
        click.echo(f"Warning: {notice.text}", err=True)
    results: list[pipeline.EpisodeBuilt] = []
    feed: pipeline.FeedWritten | None = None
    events = pipeline.run_build(plan, state.config, state.layout, jobs=jobs or default_jobs())
    with _progress(plan.to_render, quiet=state.quiet or as_json) as show:
        for event in events:
            if isinstance(event, pipeline.SegmentRendered):
                show(event)
            elif isinstance(event, pipeline.EpisodeBuilt):
                results.append(event)
            elif isinstance(event, pipeline.FeedWritten):
                feed = event
    if as_json:
        click.echo(json.dumps(_report(results, feed), indent=2, ensure_ascii=False))
    else:
        _print_summary(state, results, feed)


@contextmanager
def _progress(total: int, *, quiet: bool) -> Iterator[Callable[[pipeline.SegmentRendered], None]]:
    """A progress bar on a terminal, one line per segment otherwise (logs, CI)."""
    err = click.get_text_stream("stderr")
    if quiet or total == 0:
        yield lambda event: None
    elif err.isatty():
        with click.progressbar(
            length=total,
            label="Speaking",
            file=err,
            item_show_func=lambda e: e and f"{e.slug} {e.segment_id}",
        ) as bar:
            yield lambda event: bar.update(1, event)
    else:
        done = 0

        def line(event: pipeline.SegmentRendered) -> None:
            nonlocal done
            done += 1
            click.echo(f"[{done}/{total}] {event.slug} {event.segment_id}", err=True)

        yield line


def _print_summary(
    state: State, results: list[pipeline.EpisodeBuilt], feed: pipeline.FeedWritten | None
) -> None:
    width = max((len(r.episode.slug) for r in results), default=7)
    click.echo(f"{'episode':<{width}}  segments  rendered  duration      size")
    for r in results:
        ep = r.episode
        status = "" if r.changed else "  (unchanged)"
        click.echo(
            f"{ep.slug:<{width}}  {len(ep.chapters):>8}  {len(r.rendered):>8}  "
            f"{_clock(ep.duration_ms):>8}  {ep.size / 1e6:>6.1f} MB{status}"
        )
    for r in results:
        _print_changes(r)
    total = sum(r.episode.duration_ms for r in results)
    click.echo(f"{len(results)} episode(s), {_clock(total)} in all, in {state.layout.output}/")
    if feed is not None:
        click.echo(
            f"Feed: {feed.path} ({feed.episodes} episode(s){'' if feed.changed else ', unchanged'})"
        )


def _print_changes(result: pipeline.EpisodeBuilt) -> None:
    """What changed in a republished episode: segments re-rendered, chapters moved."""
    for line in change_lines(result):
        click.echo(line)


def change_lines(result: pipeline.EpisodeBuilt) -> list[str]:
    """The lines that say what changed in a republished episode (none for a new or
    unchanged one): each segment re-rendered, the duration, the chapters that moved."""
    if result.previous_ms is None or not result.rendered:
        return []
    slug = result.episode.slug
    lines = []
    for seg in result.rendered:
        change = "new" if seg.change_ms is None else _signed(seg.change_ms)
        lines.append(f"{slug}: re-rendered {seg.segment_id} ({change})")
    lines.append(
        f"{slug}: duration {_clock(result.previous_ms)} -> {_clock(result.episode.duration_ms)} "
        f"({_signed(result.change_ms)}), same GUID and date"
    )
    shifts: dict[int, list[str]] = {}
    for moved in result.moved:
        shifts.setdefault(moved.shift_ms, []).append(moved.element_id)
    for shift, ids in shifts.items():
        span = ids[0] if len(ids) == 1 else f"{ids[0]} .. {ids[-1]} ({len(ids)} chapters)"
        lines.append(f"{slug}: chapters moved {_signed(shift)}: {span}")
    return lines


def _signed(ms: int) -> str:
    return f"{ms / 1000:+.3f} s"


def _report(results: list[pipeline.EpisodeBuilt], feed: pipeline.FeedWritten | None) -> dict:
    """The build report as plain data, for `--json`."""
    return {
        "episodes": [
            {
                "slug": r.episode.slug,
                "guid": r.episode.guid,
                "published": r.episode.published.isoformat(),
                "changed": r.changed,
                "size": r.episode.size,
                "duration_ms": r.episode.duration_ms,
                "previous_duration_ms": r.previous_ms,
                "change_ms": r.change_ms,
                "rendered": [
                    {
                        "id": c.segment_id,
                        "title": c.title,
                        "old_ms": c.old_ms,
                        "new_ms": c.new_ms,
                        "change_ms": c.change_ms,
                    }
                    for c in r.rendered
                ],
                "reused": r.reused,
                "moved": [
                    {
                        "id": m.element_id,
                        "title": m.title,
                        "old_start_ms": m.old_start_ms,
                        "new_start_ms": m.new_start_ms,
                        "shift_ms": m.shift_ms,
                    }
                    for m in r.moved
                ],
            }
            for r in results
        ],
        "feed": None
        if feed is None
        else {"path": str(feed.path), "episodes": feed.episodes, "changed": feed.changed},
    }


def _clock(ms: int) -> str:
    seconds = round(ms / 1000)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


@cli.command()
@_issue_argument
@click.option("--json", "as_json", is_flag=True, help="Print the structure as JSON.")
@pass_state
def segments(state: State, issue: Path, as_json: bool) -> None:
    """List the segments of ISSUE: id, kind, title, and duration once rendered."""
    parsed, segs, records = pipeline.segments_of(issue, state.config, state.layout)
    if as_json:
        click.echo(json.dumps(structure(parsed, segs), indent=2, ensure_ascii=False))
        return
    width = max(len(s.id) for s in segs)
    for seg in segs:
        record = records.get(seg.id)
        duration = _clock(record["end_ms"] - record["start_ms"]) if record else "-"
        click.echo(f"{seg.id:<{width}}  {seg.kind:<9}  {duration:>6}  {seg.title}")


@cli.command()
@_issue_argument
@pass_state
def script(state: State, issue: Path) -> None:
    """Write the editable speech scripts of ISSUE without rendering, for review."""
    with _locked(state):
        plan = pipeline.plan_build([issue], state.config, state.layout)
    for notice in plan.notices:
        click.echo(f"Warning: {notice.text}", err=True)
    for ep in plan.episodes:
        folder = state.layout.scripts(ep.issue.slug)
        click.echo(f"{len(ep.segments)} scripts in {folder}/")


@cli.command()
@pass_state
def feed(state: State) -> None:
    """Rebuild OUTPUT/feed.xml from the episodes already rendered."""
    with _locked(state):
        written = pipeline.publish_feed(state.config, state.layout)
    change = "written" if written.changed else "unchanged"
    click.echo(f"Feed: {written.path} ({written.episodes} episode(s), {change})")


@cli.command()
def voices() -> None:
    """List the voices the speech engine offers (use an id as `voice` in show.toml)."""
    from audio import speech

    speech.check_engine()
    for v in speech.list_voices():
        langs = ", ".join(v.languages)
        click.echo(f"{v.id:<28} {v.name:<36} {langs}")


@cli.command()
@pass_state
def check(state: State) -> None:
    """Check OUTPUT before publishing: the feed, the artwork, and every episode.

    Reads the feed as podcast apps do, the MP3s' chapters with mutagen and ffprobe,
    chapters.json, the manifests and any transcripts, and prints one line per problem
    ("file: what is wrong"). Exits with 1 when there is a problem.
    """
    from audio.check import check_output

    problems = check_output(state.layout.output, state.config)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) in {state.layout.output}/", err=True)
        raise click.exceptions.Exit(1)
    episodes = len(pipeline.published_episodes(state.layout))
    click.echo(f"OK: {episodes} episode(s), feed valid")


@cli.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on.",
)
@pass_state
def serve(state: State, port: int, host: str) -> None:
    """Preview OUTPUT in a browser or podcast app on this machine, until Ctrl-C.

    Serves the feed, the pages and the MP3s (with byte ranges, so players can seek).
    The feed's own URLs point to base_url from the show settings.
    """
    from audio.serve import make_server, reaches

    output = state.layout.output
    if not output.is_dir():
        raise click.ClickException(f"{output}: no such folder; run `audio-edition build` first")
    log = None if state.quiet else (lambda line: click.echo(line, err=True))
    try:
        server = make_server(output, host=host, port=port, log=log)
    except OSError as e:
        raise click.ClickException(f"cannot listen on {host}:{port}: {e.strerror or e}") from e
    try:
        with server:
            click.echo(f"Serving {output}/ at {server.url}")
            click.echo(f"Feed:  {server.url}feed.xml")
            click.echo(f"Pages: {server.url}index.html")
            if not reaches(state.config.base_url, host, server.server_address[1]):
                base = state.config.base_url
                click.echo(f"Note: the feed's links point to {base} (base_url), not here.")
            click.echo("Press Ctrl-C to stop.")
            server.serve_forever()
    except KeyboardInterrupt:
        click.echo("Stopped.", err=True)
