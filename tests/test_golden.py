"""Golden files: the structure and every spoken script of each sample issue in `issues/`.

`tests/golden/<slug>/structure.json` is what `audio-edition segments --json` prints;
`tests/golden/<slug>/<segment-id>.txt` is the segment's script (`Segment.script`).
After an intended change, rewrite them and review the diff with git:

    .venv/bin/python -m pytest tests/test_golden.py --update-golden
"""

from __future__ import annotations

import difflib
import json
import re
import shutil
from pathlib import Path

import pytest

from audio.parse import load_issue
from audio.script import make_segments, structure

HERE = Path(__file__).resolve().parent
ISSUES = HERE.parent / "issues"
GOLDEN = HERE / "golden"
SAMPLES = sorted(ISSUES.glob("*.txt"))
UPDATE = ".venv/bin/python -m pytest tests/test_golden.py --update-golden"


def _rendered(path: Path) -> dict[str, str]:
    """File name -> content of the golden files the issue at `path` should have."""
    issue = load_issue(path)
    segments = make_segments(issue)
    files = {
        "structure.json": json.dumps(structure(issue, segments), indent=2, ensure_ascii=False)
        + "\n"
    }
    for segment in segments:
        files[f"{segment.id}.txt"] = segment.script + "\n"
    return files


def _diff(want: str, got: str, name: str) -> str:
    """A unified diff with one sentence a line, so a change in a long paragraph stands out."""

    def lines(text: str) -> list[str]:
        return re.sub(r"(?<=[.!?:;]) (?=\S)", "\n", text).splitlines(keepends=True)

    return "".join(
        difflib.unified_diff(
            lines(want),
            lines(got),
            fromfile=f"golden/{name} (one sentence a line)",
            tofile=f"now/{name}",
        )
    )


def _updating(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_golden(path: Path, request: pytest.FixtureRequest) -> None:
    folder = GOLDEN / path.stem
    files = _rendered(path)
    if _updating(request):
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            target = folder / name
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                target.write_text(text, encoding="utf-8")
        for stale in folder.iterdir():
            if stale.name not in files:
                stale.unlink()
        return
    problems = []
    for name, text in files.items():
        target = folder / name
        if not target.exists():
            problems.append(f"missing golden file {target.relative_to(HERE)}")
            continue
        want = target.read_text(encoding="utf-8")
        if want != text:
            problems.append(_diff(want, text, f"{path.stem}/{name}"))
    if problems:
        pytest.fail(
            "\n".join(problems) + f"\nIf the change is intended, run: {UPDATE}", pytrace=False
        )


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_golden_files_are_the_segments(path: Path) -> None:
    """No stale files: one script file per segment, plus structure.json."""
    folder = GOLDEN / path.stem
    have = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
    want = set(_rendered(path))
    assert have == want, (
        f"stale: {sorted(have - want)}, missing: {sorted(want - have)}; run: {UPDATE}"
    )


def test_golden_folders_are_the_samples(request: pytest.FixtureRequest) -> None:
    """No golden folder for an issue that is no longer a sample."""
    samples = {p.stem for p in SAMPLES}
    stale = sorted(p for p in GOLDEN.iterdir() if p.name not in samples) if GOLDEN.is_dir() else []
    if _updating(request):
        for folder in stale:
            shutil.rmtree(folder)
        return
    names = [p.name for p in stale]
    assert not stale, f"golden folders without a sample issue: {names}; run: {UPDATE}"
