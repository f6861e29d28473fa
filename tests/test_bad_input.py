"""Bad input: issue files, show settings and command lines that are wrong or odd.

Each case runs the real command line (`python -m audio`) in a fresh newsletter folder
and checks the exit code (0 ok, 1 input or settings, 2 usage, 3 engine), that an error
is one line on stderr starting "Error: " and naming the file or setting at fault, and
that no traceback ever shows. Cheap commands (`segments`, `script`) are used wherever
they show the behaviour; `build` only where the case is about the built episode.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import feedparser
import pytest

from audio import cli
from audio.errors import AudioError, ConfigError, EngineError, IssueError
from audio.fsutil import slugify

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = (Path(__file__).parent / "data" / "bad" / "sample.txt").read_bytes()
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02"


# --------------------------------------------------------------------------- helpers


def run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command line run in `folder`; never a traceback, whatever the outcome."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    result = subprocess.run(
        [sys.executable, "-m", "audio", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def error_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    """The error message of a failed run, checked to be one line with the exit code."""
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    if code == 2:
        # click's usage errors: "Usage: ...", a hint, then the one-line error.
        assert lines[0].startswith("Usage: "), result.stderr
    else:
        assert len(lines) == 1, result.stderr
    assert lines[-1].startswith("Error: "), result.stderr
    return lines[-1]


def ok(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The stderr lines of a successful run: only warnings and progress."""
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert not [line for line in lines if line.startswith("Error")], result.stderr
    return lines


def scripts_text(folder: Path, slug: str) -> str:
    """Every script of an episode, in order, joined."""
    paths = sorted((folder / "output" / slug / "scripts").glob("*.txt"))
    assert paths
    return "\n".join(p.read_text(encoding="utf-8") for p in paths)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A newsletter's folder with an `issues/` holding the sample issue."""
    (tmp_path / "issues").mkdir()
    (tmp_path / "issues" / "sample.txt").write_bytes(SAMPLE)
    return tmp_path


def put(folder: Path, name: str, data: bytes | str) -> str:
    """Write issues/<name> and return its path as typed on the command line."""
    path = folder / "issues" / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return f"issues/{name}"


@pytest.fixture(scope="module")
def sample_structure(tmp_path_factory) -> dict:
    """`segments --json` of the sample issue as it is (UTF-8, LF line ends)."""
    folder = tmp_path_factory.mktemp("baseline")
    (folder / "issues").mkdir()
    result = run(folder, "segments", "--json", put(folder, "sample.txt", SAMPLE))
    ok(result)
    return json.loads(result.stdout)


# --------------------------------------------------------------------------- issue files


@pytest.mark.parametrize(
    "name, data, message",
    [
        pytest.param("empty.txt", b"", r"the issue is empty", id="empty"),
        pytest.param(
            "blank.txt", b"  \n\t\r\n \n", r"the issue is empty \(only white space\)", id="blank"
        ),
        pytest.param(
            "cover.txt", PNG, r"not a text file \(it contains NUL bytes\)", id="png-bytes"
        ),
        pytest.param(
            "nul.md",
            b"# Title\n\nText\x00\x00more",
            r"not a text file \(it contains NUL bytes\)",
            id="nul-bytes",
        ),
        pytest.param(
            "broken.txt",
            b"Caf\xc3\x28 \x81 and more",  # \x81 is not Windows-1252 either
            r"not valid UTF-8 \(byte offset 3: b'\\xc3'\)",
            id="invalid-utf8",
        ),
        pytest.param(
            "bell.txt",
            b"\x07\x1b[0m\x0c\x7f\n",
            r"no text to read aloud \(found no paragraphs in it\)",
            id="only-control-characters",
        ),
        pytest.param(
            "page.html",
            b"<html><head><title>x</title><script>var a;</script></head><body></body></html>",
            r"no text to read aloud \(found no paragraphs in it\)",
            id="html-without-text",
        ),
        pytest.param(
            "mail.eml",
            b'Subject: x\nContent-Type: text/html; charset="x-nowhere"\n\n<p>Hi</p>\n',
            r"its text/html part cannot be decoded \(unknown encoding: x-nowhere\)",
            id="e-mail-unknown-charset",
        ),
        pytest.param(
            "zip.eml", PNG, r"not an e-mail \(it contains NUL bytes\)", id="e-mail-binary"
        ),
    ],
)
def test_unreadable_issue_is_a_one_line_error(folder, name, data, message):
    line = error_line(run(folder, "segments", put(folder, name, data)), 1)
    assert re.fullmatch(rf"Error: issues/{re.escape(name)}: {message}", line), line


@pytest.mark.parametrize(
    "args",
    [["segments"], ["segments", "--json"], ["script"], ["build", "-j", "1"]],
    ids=["segments", "segments-json", "script", "build"],
)
def test_every_command_gives_the_same_error(folder, args):
    line = error_line(run(folder, *args, put(folder, "empty.txt", b"")), 1)
    assert line == "Error: issues/empty.txt: the issue is empty"
    assert not list((folder / "output").rglob("*.mp3"))


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda b: b"\xef\xbb\xbf" + b, id="utf8-bom"),
        pytest.param(lambda b: b.replace(b"\n", b"\r\n"), id="crlf"),
        pytest.param(lambda b: b.replace(b"\n", b"\r"), id="cr"),
        pytest.param(lambda b: b.decode("utf-8").encode("utf-16"), id="utf16-bom"),
        pytest.param(lambda b: b.replace(b"\n", b" \t\n"), id="trailing-space"),
    ],
)
def test_same_text_differently_encoded_has_the_same_structure(
    folder, sample_structure, encode: Callable[[bytes], bytes]
):
    result = run(folder, "segments", "--json", put(folder, "sample.txt", encode(SAMPLE)))
    assert ok(result) == []
    assert json.loads(result.stdout) == sample_structure


def test_windows_1252_is_read_with_a_warning(folder):
    text = SAMPLE.decode("utf-8").replace("Welcome!", "Café “crème” — welcome!")
    data = text.encode("cp1252")
    offset = data.index("é".encode("cp1252"))
    warnings = ok(run(folder, "script", put(folder, "latin.txt", data)))
    assert f"Warning: latin.txt: not UTF-8 (byte offset {offset}); read as Windows-1252" in warnings
    assert "Café crème, welcome!" in scripts_text(folder, "latin")  # quotes are not read


def _sample(old: str, new: str) -> str:
    text = SAMPLE.decode("utf-8")
    assert old in text
    return text.replace(old, new)


LONG_SENTENCE = ("The " + " ".join(f"term{i}" for i in range(4000)))[:19_999].rstrip() + "."
DUPLICATES = _sample(
    "Research Engineer at Ought: Ought is hiring engineers to build tools for reasoning.\n",
    "Research Engineer at Ought: Ought is hiring engineers to build tools for reasoning.\n\n"
    "NEWS\n\nData Scientist at Acme: Acme is hiring people to clean data.\n\n"
    "HIGHLIGHTS\n\nLearning to Summarize (Jane Doe): The same title again, another paper.\n",
)


@pytest.mark.parametrize(
    "text, present, absent",
    [
        pytest.param(
            f"[AN #7]: One long sentence\n\n{LONG_SENTENCE}\n",
            [LONG_SENTENCE[-40:]],
            [],
            id="20000-character-sentence",
        ),
        pytest.param(
            # Emoji are not read out ("rocket, robot face").
            _sample("Learning to Summarize (", "Learning to Summarize 🚀🤖 ("),
            ["Highlight: Learning to Summarize, by"],
            ["🚀", "🤖"],
            id="emoji",
        ),
        pytest.param(
            _sample("Welcome!", "مرحبا بالعالم. שלום עולם. Welcome!"),
            ["مرحبا بالعالم. שלום עולם."],
            [],
            id="right-to-left",
        ),
        pytest.param(
            _sample("The paper trains", "The \x07paper\x1b[31m trains\x1b[0m\x7f"),
            ["The paper trains a reward model"],
            ["\x07", "\x1b", "\x7f", "[31m", "[0m"],
            id="control-characters",
        ),
        pytest.param(
            DUPLICATES,
            ["Data Scientist at Acme", "The same title again"],
            [],
            id="duplicate-names",
        ),
    ],
)
def test_odd_text_makes_scripts(folder, text, present, absent):
    issue = put(folder, "odd.txt", text)
    ok(run(folder, "script", issue))
    spoken = scripts_text(folder, "odd")
    for part in present:
        assert part in spoken
    for part in absent:
        assert part not in spoken
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", spoken)
    result = run(folder, "segments", "--json", issue)
    ok(result)
    ids = [s["id"] for s in json.loads(result.stdout)["segments"]]
    assert len(ids) == len(set(ids))
    assert len(ids) == len(list((folder / "output" / "odd" / "scripts").glob("*.txt")))


def test_duplicate_section_names_stay_apart(folder):
    result = run(folder, "segments", "--json", put(folder, "dups.txt", DUPLICATES))
    segments = json.loads(result.stdout)["segments"]
    assert [s["id"] for s in segments if s["kind"] == "section"] == [
        "04-section-iterated-amplification",
        "05-section-news",
        "06-section-news",
    ]
    highlights = [s["title"] for s in segments if s["kind"] == "highlight"]
    assert highlights[0] == "Learning to Summarize"


def test_five_megabyte_issue(folder):
    body = SAMPLE.split(b"\n\n", 1)[1] + b"\n\n"
    data = body * (5_000_000 // len(body) + 1)
    assert len(data) >= 5_000_000
    result = run(folder, "segments", "--json", put(folder, "huge.txt", data))
    ok(result)
    segments = json.loads(result.stdout)["segments"]
    assert len(segments) > 1000
    assert len({s["id"] for s in segments}) == len(segments)


@pytest.mark.parametrize(
    "name",
    [
        "Ausgabe Nr 5 – Grüße.txt",
        "../../etc/passwd",
        "a/b\\c",
        "  spaces  everywhere  ",
        "..",
        "日本語",
        "Ça va? Ærø, Łódź & Þórr",
    ],
)
def test_slug_is_ascii_safe(name):
    slug = slugify(Path(name).stem if name.endswith(".txt") else name, max_length=80)
    assert re.fullmatch(r"(?:[a-z0-9]+(?:-[a-z0-9]+)*)?", slug), slug


# --------------------------------------------------------------------------- builds


def test_unstructured_text_becomes_an_episode_with_a_warning(folder):
    issue = put(folder, "note.txt", "Just a note to readers: no papers this week. Back soon!\n")
    lines = ok(run(folder, "build", "-j", "2", issue))
    assert "Warning: note.txt: no items found: the episode reads the text as is" in lines
    assert (folder / "output" / "note" / "note.mp3").stat().st_size > 0
    assert "no papers this week" in scripts_text(folder, "note")


def test_odd_file_name_and_xml_specials_in_the_title(folder):
    title = 'Tom & Jerry <b> ]]> "q" 🚀'
    put(folder, "Ausgabe Nr 5 – Grüße.txt", _sample("A sample issue for bad inputs", title))
    (folder / "issues" / "sample.txt").unlink()
    before = {p for p in folder.rglob("*")}
    ok(run(folder, "build", "-j", "2"))
    episode = folder / "output" / "ausgabe-nr-5-grusse"
    assert (episode / "ausgabe-nr-5-grusse.mp3").is_file()
    # Nothing is written outside output/, and no name under it is unsafe.
    for path in {p for p in folder.rglob("*")} - before:
        relative = path.relative_to(folder)
        assert relative.parts[0] == "output", relative
        assert re.fullmatch(r"[A-Za-z0-9._-]+", path.name), relative
    feed = feedparser.parse((folder / "output" / "feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert [e.title for e in feed.entries] == [f"Alignment Newsletter #5: {title}"]
    manifest = json.loads((episode / "episode.json").read_text(encoding="utf-8"))
    assert manifest["title"] == f"Alignment Newsletter #5: {title}"


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    "settings, files, command, message",
    [
        pytest.param(
            'title = "unterminated\n',
            {},
            "segments",
            r"invalid TOML: .* \(at line 1, column \d+\)",
            id="invalid-toml",
        ),
        pytest.param(
            "[lexicon\n",
            {},
            "segments",
            r"invalid TOML: .* \(at line 1, column \d+\)",
            id="bad-table",
        ),
        pytest.param(
            'titel = "My Show"\n',
            {},
            "segments",
            r"unknown setting 'titel' \(did you mean 'title'\?\)",
            id="unknown-key",
        ),
        pytest.param(
            'rate = "fast"\n',
            {},
            "segments",
            r"setting 'rate' must be an integer, not 'fast'",
            id="wrong-type",
        ),
        pytest.param(
            "sections = 3\n",
            {},
            "segments",
            r"setting 'sections' must be a list of strings, not 3",
            id="wrong-type-list",
        ),
        pytest.param(
            'artwork = "art/cover.png"\n',
            {},
            "segments",
            r"setting 'artwork': no such file \S+/issues/art/cover\.png",
            id="missing-artwork",
        ),
        pytest.param(
            'artwork = "cover.png"\n',
            {"cover.png": b"this is not a PNG"},
            "feed",
            r"setting 'artwork': \S+/issues/cover\.png is not an image.*",
            id="artwork-not-image",
        ),
        pytest.param(
            'artwork = "cover.gif"\n',
            {"cover.gif": b"GIF89a"},
            "segments",
            r"setting 'artwork' must be a \.png or \.jpg file, not cover\.gif",
            id="artwork-wrong-kind",
        ),
        pytest.param(
            'base_url = "ftp://example.org/pod/"\n',
            {},
            "segments",
            r"setting 'base_url' must be an http\(s\) URL, not 'ftp://example\.org/pod/'",
            id="base-url-not-http",
        ),
        pytest.param(
            'base_url = "example.org/pod/"\n',
            {},
            "segments",
            r"setting 'base_url' must be an http\(s\) URL, not 'example\.org/pod/'",
            id="base-url-no-scheme",
        ),
        pytest.param(
            'title = "  "\n', {}, "segments", r"setting 'title' must not be empty", id="empty-title"
        ),
        pytest.param(
            'author = ""\n', {}, "feed", r"setting 'author' must not be empty", id="empty-author"
        ),
        pytest.param(
            'title = "Bell\\u0007Show"\n',
            {},
            "feed",
            r"setting 'title' contains a control character",
            id="control-character",
        ),
        pytest.param(
            'email = "editor at example"\n',
            {},
            "feed",
            r"setting 'email' must be an e-mail address, not 'editor at example'",
            id="bad-email",
        ),
        pytest.param(
            'language = "English"\n',
            {},
            "feed",
            r"setting 'language' must be a language code such as 'en', not 'English'",
            id="bad-language",
        ),
        pytest.param(
            "timeout = inf\n",
            {},
            "segments",
            r"setting 'timeout' must be a positive number of seconds",
            id="infinite-timeout",
        ),
        pytest.param(
            "volume = nan\n",
            {},
            "segments",
            r"setting 'volume' must be between 0\.1 and 1\.0, not nan",
            id="nan-volume",
        ),
        pytest.param(
            b'title = "Caf\xe9"\n', {}, "segments", r"cannot read: .*utf-8.*", id="not-utf8"
        ),
    ],
)
def test_bad_settings_are_one_line_naming_the_setting(folder, settings, files, command, message):
    show = folder / "issues" / "show.toml"
    if isinstance(settings, bytes):
        show.write_bytes(settings)
    else:
        show.write_text(settings, encoding="utf-8")
    for name, data in files.items():
        (folder / "issues" / name).write_bytes(data)
    args = [command, "issues/sample.txt"] if command == "segments" else [command]
    line = error_line(run(folder, *args), 1)
    assert re.fullmatch(rf"Error: issues/show\.toml: {message}|Error: {message}", line), line
    assert not (folder / "output" / "feed.xml").exists()


def test_unknown_voice_is_a_settings_error_before_rendering(folder):
    (folder / "issues" / "show.toml").write_text('voice = "en-uss"\n', encoding="utf-8")
    line = error_line(run(folder, "build", "-j", "1", "issues/sample.txt"), 1)
    assert re.fullmatch(r"Error: .*'voice'.*'en-uss'.*gmw/en-us.*", line), line
    assert not list((folder / "output").rglob("*.mp3"))


# --------------------------------------------------------------------------- command line


@pytest.mark.parametrize(
    "args, code, message",
    [
        pytest.param(
            ["segments", "issues/nope.txt"],
            2,
            r"Error: Invalid value for 'ISSUE': no such file: issues/nope\.txt$",
            id="missing-issue",
        ),
        pytest.param(
            ["build", "issues/nope.txt"],
            2,
            r"Error: Invalid value for '\[ISSUES\]\.\.\.': "
            r"no such file: issues/nope\.txt$",
            id="build-missing-issue",
        ),
        pytest.param(
            ["script", "issues"],
            2,
            r"Error: Invalid value for 'ISSUE': issues is a folder, not an issue file$",
            id="issue-is-a-folder",
        ),
        pytest.param(["bogus"], 2, r"Error: No such command 'bogus'\.", id="unknown-command"),
        pytest.param(
            ["build", "--jobs", "0"],
            2,
            r"Error: Invalid value for '-j' / '--jobs': 0 is not in the range x>=1\.",
            id="jobs-0",
        ),
        pytest.param(
            ["--issues", "nowhere", "build"],
            1,
            r"Error: nowhere: no such folder of issues",
            id="missing-issues-folder",
        ),
        pytest.param(
            ["--issues", "issues/sample.txt", "build"],
            2,
            r"Error: Invalid value for '--issues': Directory 'issues/sample\.txt' is a file\.",
            id="issues-folder-is-a-file",
        ),
        pytest.param(
            ["--settings", "nope.toml", "feed"],
            2,
            r"Error: .*'nope\.toml' does not exist\.",
            id="missing-settings-file",
        ),
    ],
)
def test_command_line_errors(folder, args, code, message):
    line = error_line(run(folder, *args), code)
    assert re.fullmatch(message, line), line


def test_exit_codes_are_documented():
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert (
        "Exit codes: 0 success, 1 a problem with the input or settings, 2 a usage error, "
        "3 the speech engine or an audio tool failed." in readme
    )
    assert AudioError.exit_code == IssueError.exit_code == ConfigError.exit_code == 1
    assert EngineError.exit_code == 3
    assert cli.INTERNAL_ERROR == 3
