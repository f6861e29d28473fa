"""cli: the `audio-edition` command line (click).

The only module that imports click and the only one that writes to stdout. Commands
raise `AudioError`s; `AudioGroup` turns them into a one-line "Error: ..." on stderr
with the error's exit code (1 user error, 2 usage error, 3 engine or tool failure).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click

from audio import pipeline
from audio.config import SETTINGS_FILE, Config, load_config
from audio.errors import AudioError
from audio.fsutil import Layout


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


@dataclass(frozen=True)
class State:
    """What every command gets: the settings, where files go, and how talkative to be."""

    config: Config
    layout: Layout
    quiet: bool


pass_state = click.make_pass_decorator(State)

_issue_argument = click.argument(
    "issue", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)


@click.group(cls=AudioGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--issues",
    "issues_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("issues"),
    show_default=True,
    help="Folder of issue files.",
)
@click.option(
    "--output",
    "output_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("output"),
    show_default=True,
    help="Folder for episodes and the feed.",
)
@click.option(
    "--settings",
    type=click.Path(dir_okay=False, path_type=Path),
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
    output/): OUTPUT/<episode>/<episode>.mp3 and OUTPUT/feed.xml.
    """
    try:
        config = load_config(settings or issues_dir / SETTINGS_FILE)
    except AudioError as e:
        raise _AudioClickError(str(e), e.exit_code) from e
    ctx.obj = State(config, Layout(issues_dir, output_dir), quiet)


@cli.command()
@click.argument("issues", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Segments rendered at once  [default: number of cores]",
)
@pass_state
def build(state: State, issues: tuple[Path, ...], jobs: int | None) -> None:
    """Build episodes from ISSUES (default: every issue in the issues folder) and the feed.

    Only segments whose spoken text or sound settings changed are synthesized again;
    hand-edited scripts in OUTPUT/<episode>/scripts/ are kept.
    """
    paths = issues or pipeline.find_issues(state.layout.issues)
    pipeline.clean_temporary_files(state.layout)
    plan = pipeline.plan_build(paths, state.config, state.layout)
    for notice in plan.notices:
        click.echo(f"Warning: {notice.text}", err=True)
    results: list[pipeline.EpisodeBuilt] = []
    feed: pipeline.FeedWritten | None = None
    events = pipeline.run_build(
        plan, state.config, state.layout, jobs=jobs or pipeline.default_jobs()
    )
    with _progress(plan.to_render, quiet=state.quiet) as show:
        for event in events:
            if isinstance(event, pipeline.SegmentRendered):
                show(event)
            elif isinstance(event, pipeline.EpisodeBuilt):
                results.append(event)
            elif isinstance(event, pipeline.FeedWritten):
                feed = event
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
    total = sum(r.episode.duration_ms for r in results)
    click.echo(f"{len(results)} episode(s), {_clock(total)} in all, in {state.layout.output}/")
    if feed is not None:
        click.echo(
            f"Feed: {feed.path} ({feed.episodes} episode(s){'' if feed.changed else ', unchanged'})"
        )


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
        click.echo(json.dumps(_structure(parsed, segs), indent=2, ensure_ascii=False))
        return
    width = max(len(s.id) for s in segs)
    for seg in segs:
        record = records.get(seg.id)
        duration = _clock(record["end_ms"] - record["start_ms"]) if record else "-"
        click.echo(f"{seg.id:<{width}}  {seg.kind:<9}  {duration:>6}  {seg.title}")


def _structure(issue, segs) -> dict:
    return {
        "title": issue.title,
        "number": issue.number,
        "newsletter": issue.newsletter,
        "segments": [
            {
                "id": s.id,
                "kind": s.kind,
                "title": s.title,
                "section": s.section,
                "subsection": s.subsection,
                "items": [
                    {
                        "title": i.title,
                        "authors": i.authors,
                        "summarizer": i.summarizer,
                        "url": i.url,
                    }
                    for i in s.items
                ],
            }
            for s in segs
        ],
    }


@cli.command()
@_issue_argument
@pass_state
def script(state: State, issue: Path) -> None:
    """Write the editable speech scripts of ISSUE without rendering, for review."""
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
