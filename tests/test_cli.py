"""cli: help for every command, documented in the README, and one-line errors."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from audio.__main__ import build_looks_current
from audio.cli import change_lines, cli
from audio.model import Episode
from audio.pipeline import ChapterShift, EpisodeBuilt, SegmentChange
from audio.stitch import frames_to_ms

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_every_command_has_help(runner):
    assert cli.help
    for name, command in cli.commands.items():
        assert command.help, name
        result = runner.invoke(cli, [name, "--help"], catch_exceptions=False)
        assert result.exit_code == 0, name
        assert "Usage:" in result.output


def test_a_change_is_reported_as_one_figure_the_change_in_frames():
    # Segment 02 (after 90 frames) grew from 1000 to 1003 frames, 78.4 ms; chapter 03 and
    # the episode's end moved by as much. Each published time is rounded on its own, so
    # the lengths, starts and durations before and after all differ by 79 ms: the report
    # says +0.078 s for the segment, the episode and the chapter alike.
    assert {
        frames_to_ms(new) - frames_to_ms(old)
        for old, new in [(1000, 1003), (1090, 1093), (1180, 1183)]
    } == {79}
    result = EpisodeBuilt(
        Episode(
            "ep",
            "Ep",
            "",
            "urn:x",
            dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            "ep.mp3",
            1,
            frames_to_ms(1183),
        ),
        rendered=(SegmentChange("02-b", "B", 1000, 1003),),
        reused=2,
        changed=True,
        previous_ms=frames_to_ms(1180),
        change_frames=3,
        moved=(ChapterShift("03-c", "C", frames_to_ms(1090), frames_to_ms(1093), 3),),
    )
    assert change_lines(result) == [
        "ep: re-rendered 02-b (+0.078 s)",
        "ep: duration 0:31 -> 0:31 (+0.078 s), same GUID and date",
        "ep: chapters moved +0.078 s: 03-c",
    ]
    shorter = replace(result, rendered=(SegmentChange("02-b", "B", 1003, 1000),), change_frames=-3)
    assert change_lines(shorter)[0] == "ep: re-rendered 02-b (-0.078 s)"
    assert change_lines(replace(result, rendered=(SegmentChange("02-b", "B", None, 3),)))[0] == (
        "ep: re-rendered 02-b (new)"
    )
    assert change_lines(replace(result, previous_ms=None)) == []


def test_readme_documents_every_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in cli.commands:
        assert f"audio-edition {name}" in readme, name
    assert "make run" in readme and "make test" in readme


def _error_line(result) -> str:
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    return lines[-1]


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["build", "nope.txt"], 2, r"no issue file 'nope.txt' here or in .*/$"),
        (["segments"], 2, r"Missing argument 'ISSUE'"),
        (["bogus"], 2, r"No such command 'bogus'"),
        (["build", "--jobs", "0"], 2, r"--jobs"),
    ],
)
def test_usage_errors(runner, tmp_path, args, code, message):
    result = runner.invoke(cli, ["--issues", str(tmp_path), "--output", str(tmp_path), *args])
    assert result.exit_code == code
    assert re.search(message, _error_line(result))


def test_an_issue_is_named_by_its_path_or_its_name_in_the_issues_folder(runner, tmp_path):
    issues = tmp_path / "issues"
    issues.mkdir()
    (issues / "Weekly Notes 3.md").write_text("# Weekly Notes 3\n\nHello.\n", encoding="utf-8")
    (issues / "twice.md").write_text("Hello.\n", encoding="utf-8")
    (issues / "twice.txt").write_text("Hello.\n", encoding="utf-8")
    base = ["--issues", str(issues), "--output", str(tmp_path / "out"), "segments", "--json"]
    # The file's path, its name, its name without the suffix, or its episode's name.
    for name in (str(issues / "Weekly Notes 3.md"), "Weekly Notes 3.md", "Weekly Notes 3"):
        result = runner.invoke(cli, [*base, name], catch_exceptions=False)
        assert (result.exit_code, result.output.count('"kind": "intro"')) == (0, 1), name
    result = runner.invoke(cli, [*base, "weekly-notes-3"], catch_exceptions=False)
    assert result.exit_code == 0 and '"01-intro"' in result.output
    result = runner.invoke(cli, [*base, "twice"])
    assert result.exit_code == 2
    assert _error_line(result).endswith(
        f"several issues in {issues}/ are called 'twice': twice.md, twice.txt"
    )


def test_bad_settings_are_one_line_naming_the_key(runner, tmp_path):
    issues = tmp_path / "issues"
    issues.mkdir()
    (issues / "show.toml").write_text('titel = "x"\n', encoding="utf-8")
    result = runner.invoke(cli, ["--issues", str(issues), "feed"])
    assert result.exit_code == 1
    assert _error_line(result) == (
        f"Error: {issues / 'show.toml'}: unknown setting 'titel' (did you mean 'title'?)"
    )


def test_missing_issues_folder(runner, tmp_path):
    result = runner.invoke(cli, ["--issues", str(tmp_path / "none"), "build"])
    assert result.exit_code == 1
    assert _error_line(result) == f"Error: {tmp_path / 'none'}: no such folder of issues"


def test_binary_issue_is_a_one_line_error(runner, tmp_path):
    issue = tmp_path / "broken.txt"
    issue.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    result = runner.invoke(cli, ["--output", str(tmp_path / "out"), "segments", str(issue)])
    assert result.exit_code == 1
    assert _error_line(result) == f"Error: {issue}: not a text file (it contains NUL bytes)"


def test_feed_without_episodes(runner, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(cli, ["--output", str(out), "feed"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "0 episode(s)" in result.output
    assert (out / "feed.xml").read_bytes().startswith(b"<?xml")


def test_script_writes_scripts_without_rendering(runner, tmp_path):
    out = tmp_path / "out"
    issue = ROOT / "issues" / "ml-safety-newsletter-002.txt"
    result = runner.invoke(
        cli, ["--output", str(out), "script", str(issue)], catch_exceptions=False
    )
    assert result.exit_code == 0
    scripts = sorted((out / "ml-safety-newsletter-002" / "scripts").glob("*.txt"))
    assert [p.name for p in scripts][:2] == ["01-intro.txt", "02-section-robustness.txt"]
    assert not list(out.rglob("*.mp3"))


def test_script_again_follows_the_issue_and_keeps_edits(runner, tmp_path):
    issue = tmp_path / "issues" / "notes-3.md"
    issue.parent.mkdir()
    issue.write_text("# Notes #3\n\nHello, listeners.\n", encoding="utf-8")
    args = ["--issues", str(issue.parent), "--output", str(tmp_path / "out"), "script", "notes-3"]
    runner.invoke(cli, args, catch_exceptions=False)
    scripts = tmp_path / "out" / "notes-3" / "scripts"
    outro = scripts / "02-outro.txt"
    outro.write_text("Goodbye from the editor.\n", encoding="utf-8")
    issue.write_text("# Notes #3\n\nHello, readers.\n", encoding="utf-8")
    result = runner.invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0 and "segment" not in result.output
    # The issue's fix reaches the script the tool wrote; the editor's edit stays.
    assert "Hello, readers." in (scripts / "01-intro.txt").read_text(encoding="utf-8")
    assert outro.read_text(encoding="utf-8") == "Goodbye from the editor.\n"


def test_a_script_not_known_to_be_the_tools_is_kept_with_a_warning(runner, tmp_path):
    issue = tmp_path / "issues" / "notes-3.md"
    issue.parent.mkdir()
    issue.write_text("# Notes #3\n\nHello, listeners.\n", encoding="utf-8")
    scripts = tmp_path / "out" / "notes-3" / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "02-outro.txt").write_text("Goodbye from the editor.\n", encoding="utf-8")
    args = ["--issues", str(issue.parent), "--output", str(tmp_path / "out"), "script", "notes-3"]
    first = runner.invoke(cli, args, catch_exceptions=False)
    assert "segment 02-outro: keeping " in first.output
    again = runner.invoke(cli, args, catch_exceptions=False)
    assert "segment" not in again.output
    assert (scripts / "02-outro.txt").read_text(encoding="utf-8") == "Goodbye from the editor.\n"


def _broken_voice_list():
    raise KeyError("a bug")


def test_a_bug_is_one_line_with_exit_code_3(runner, monkeypatch):
    from audio import speech

    monkeypatch.setattr(speech, "list_voices", _broken_voice_list)
    monkeypatch.delenv("AUDIO_EDITION_TRACEBACK", raising=False)
    result = runner.invoke(cli, ["voices"])

    assert result.exit_code == 3
    assert result.output.splitlines()[-1] == (
        "Error: internal error: KeyError: 'a bug' (set AUDIO_EDITION_TRACEBACK=1 to see where)"
    )

    monkeypatch.setenv("AUDIO_EDITION_TRACEBACK", "1")
    result = runner.invoke(cli, ["voices"])
    assert isinstance(result.exception, KeyError)


def test_the_main_module_leaves_the_command_line_to_main():
    # multiprocessing imports the program's main module (the `audio-edition` script,
    # which imports audio.__main__) in every render worker: it must stay light.
    heavy = ("click", "audio.cli", "audio.pipeline", "feedgen", "mutagen")
    code = f"import sys, audio.__main__; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    script = Path(sys.executable).with_name("audio-edition")
    assert "from audio.__main__ import main" in script.read_text(encoding="utf-8")


@pytest.fixture
def built(tmp_path, monkeypatch):
    """Files as a build leaves them, by time: issues, then scripts, then manifests."""
    monkeypatch.chdir(tmp_path)
    files = [
        "issues/show.toml",
        "issues/first-issue.txt",
        "issues/Second Issue.md",
        "output/first-issue/scripts/01-intro.txt",
        "output/second-issue/scripts/01-intro.txt",
        "output/first-issue/episode.json",
        "output/second-issue/episode.json",
    ]
    for n, name in enumerate(files):
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        Path(name).write_text("x", encoding="utf-8")
        os.utime(name, ns=(n * 10**9, n * 10**9))
    return tmp_path


def touch(name: str) -> None:
    os.utime(name, ns=(10**11, 10**11))


def test_a_build_whose_manifests_are_newest_looks_current(built):
    assert build_looks_current(["build"])
    assert build_looks_current(["-q", "--issues", "issues", "build", "--jobs", "2"])
    assert build_looks_current(["--output=output", "build", "issues/first-issue.txt", "--json"])
    Path("issues/notes.pdf").write_text("not an issue", encoding="utf-8")
    assert build_looks_current(["build"])


@pytest.mark.parametrize(
    "changed",
    ["issues/show.toml", "issues/Second Issue.md", "output/first-issue/scripts/01-intro.txt"],
)
def test_a_changed_issue_settings_or_script_makes_a_build_not_look_current(built, changed):
    touch(changed)
    assert not build_looks_current(["build"])


def test_an_issue_named_as_in_the_issues_folder_is_judged_by_its_file(built):
    assert build_looks_current(["build", "second-issue"])
    touch("issues/Second Issue.md")
    assert not build_looks_current(["build", "second-issue"])
    assert build_looks_current(["build", "first-issue"])


def test_a_build_looks_current_only_when_every_issue_has_a_manifest(built):
    Path("issues/third.txt").write_text("x", encoding="utf-8")
    os.utime("issues/third.txt", ns=(0, 0))
    assert not build_looks_current(["build"])
    assert build_looks_current(["build", "issues/first-issue.txt"])
    assert not build_looks_current(["build", "issues/missing.txt"])
    assert not build_looks_current(["--output", "elsewhere", "build"])


def test_a_build_without_scripts_or_issues_can_look_current(built):
    for script in Path("output").glob("*/scripts/*.txt"):
        script.unlink()
    assert build_looks_current(["build"])
    assert build_looks_current(["--issues", "output/first-issue/scripts", "build"])
    assert not build_looks_current(["--issues", "missing", "build"])


@pytest.mark.parametrize(
    "args",
    [["render", "issues/first-issue.txt", "-s", "01"], ["build", "--force"], ["-v", "build"], []],
)
def test_other_commands_and_unknown_options_do_not_look_current(built, args):
    assert not build_looks_current(args)


def test_output_read_by_a_reader_that_stops_early_ends_quietly(tmp_path):
    # As `audio-edition segments ISSUE | head -1`, with the reader gone before any line.
    issue = Path(__file__).resolve().parent.parent / "issues" / "alignment-newsletter-076.txt"
    command = [sys.executable, "-m", "audio", "segments", str(issue)]
    process = subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    process.stdout.close()
    errors = process.stderr.read()
    assert process.wait(timeout=60) == 1
    assert errors == ""


@pytest.mark.parametrize("traced", [False, True])
def test_the_program_ends_without_teardown_unless_traced(traced):
    # Exit handlers registered before main, such as coverage's, run when it is traced.
    code = (
        "import atexit, sys\n"
        f"if {traced}: sys.settrace(lambda *args: None)\n"
        "atexit.register(print, 'handler registered before main')\n"
        "sys.argv = ['audio-edition', '--bogus']\n"
        "from audio.__main__ import main\n"
        "main()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 2
    assert "No such option '--bogus'" in out.stderr
    assert ("handler registered before main" in out.stdout) == traced


def test_ending_without_teardown_still_removes_the_worker_servers_folder(tmp_path):
    # multiprocessing's own exit handler removes its folder (the server's socket).
    issue = Path(__file__).resolve().parent.parent / "issues" / "ml-safety-newsletter-002.txt"
    temp = tmp_path / "tmp"
    temp.mkdir()
    out = subprocess.run(
        [sys.executable, "-m", "audio", "render", str(issue), "--segment", "99"],
        cwd=tmp_path,
        env={**os.environ, "TMPDIR": str(temp)},
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1
    assert "no segment '99'" in out.stderr
    assert list(temp.iterdir()) == []
