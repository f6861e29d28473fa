"""The benchmark's logic: the concatenated issue, ratios, checks and tables (nothing is run)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from audio import bench as bench_module
from audio.bench import (
    Bench,
    Check,
    Run,
    checks,
    concatenate_issues,
    format_table,
    format_value,
    mark_copy,
    ratio,
    runs_table,
    without_loudness,
)
from audio.config import load_config
from audio.parse import parse_text
from audio.script import make_segments

FORMS = Path(__file__).parent / "data" / "forms" / "forms.lines.txt"


def run(seconds: float, *, ok: bool = True, peak: float = 90.0) -> Run:
    return Run(
        command=["audio-edition", "build"],
        seconds=seconds,
        returncode=0 if ok else 3,
        timed_out=False,
        peak_pss_mb=peak,
        peak_rss_mb=peak * 1.5,
        max_process_mb=peak / 2,
        cpu_seconds=seconds,
        log_tail="",
    )


@pytest.mark.parametrize(
    "text, copy, marked",
    [
        ("One. Two.", 1, "One one. Two one."),
        ("Ends here.\nNext (AN #5).", 3, "Ends here three.\nNext (AN #5)."),
        ("See e.g. this, et al. Then", 2, "See e.g. this, et al two. Then"),
        ("No full stop", 12, "No full stop"),
        ("Twelve.", 12, "Twelve 12."),
    ],
)
def test_mark_copy(text, copy, marked):
    assert mark_copy(text, copy) == marked


def test_concatenated_copies_speak_no_segment_twice():
    text = FORMS.read_text(encoding="utf-8")
    once = make_segments(parse_text(concatenate_issues([text], 1), slug="x1"))
    thrice = make_segments(parse_text(concatenate_issues([text], 3), slug="x3"))
    scripts = [s.script for s in thrice]
    assert len(set(scripts)) == len(scripts)
    # One intro and one outro, and every other segment three times.
    assert len(thrice) - 2 == 3 * (len(once) - 2)


def test_concatenate_issues_separates_copies_by_blank_lines():
    joined = concatenate_issues(["A heading\n\nFirst.\n", "Second."], 2)
    copies = joined.split("\n\n\n")
    assert copies == [
        "A heading\n\nFirst one.",
        "Second one.",
        "A heading\n\nFirst two.",
        "Second two.\n",
    ]
    with pytest.raises(ValueError, match="at least 1"):
        concatenate_issues(["x"], 0)


def test_ratio_and_values():
    assert ratio(9, 3) == 3
    assert ratio(None, 3) is None
    assert ratio(3, None) is None
    assert ratio(3, 0) is None
    assert format_value(0.05, "%") == "5.0%"
    assert format_value(10.456, "×") == "10.46×"


@pytest.mark.parametrize(
    "check, verdict, target",
    [
        (Check("a", 1.5, 1.5, "×"), "PASS", "≤ 1.50×"),
        (Check("a", 1.51, 1.5, "×"), "MISS", "≤ 1.50×"),
        (Check("a", 3.2, 3.0, "×", at_most=False), "PASS", "≥ 3.00×"),
        (Check("a", 2.9, 3.0, "×", at_most=False), "MISS", "≥ 3.00×"),
        (Check("a", None, 200, "MB"), "n/a", "≤ 200 MB"),
        (Check("a", 1.0, None, "×"), "", ""),
    ],
)
def test_check_verdicts(check, verdict, target):
    assert check.verdict == verdict
    assert check.target == target


def test_format_table_aligns_columns():
    table = format_table([["run", "a", "b"], ["cold build", "1.0 s", ""], ["x", "12.5 s", "PASS"]])
    assert table.splitlines() == [
        "run              a     b",
        "----------  ------  ----",
        "cold build   1.0 s",
        "x           12.5 s  PASS",
    ]


def results() -> dict:
    return {
        "samples": {
            "small": {
                "issue": "small.txt",
                "cold": run(10.0),
                "segments": 9,
                "audio_seconds": 360.0,
                "limit": {"ok": True, "seconds": 8.0},
                "naive": {"ok": True, "seconds": 40.0},
                "bare": run(6.4),
            },
            "large": {
                "issue": "large.txt",
                "cold": run(20.0, peak=250.0),
                "segments": 12,
                "audio_seconds": 1200.0,
                "limit": {"ok": True, "seconds": 10.0},
                "naive": {"ok": False, "seconds": 50.0, "error": "timed out"},
            },
        },
        "incremental": {
            "issue": "large.txt",
            "noop": run(0.8),
            "rerender": run(3.0),
            "command": "render",
        },
        "scaling": {
            "copies": 10,
            "x1": {"cold": run(30.0), "audio_seconds": 1000.0, "segments": 50},
            "x10": {"cold": run(360.0), "audio_seconds": 10500.0, "segments": 480},
        },
    }


def test_checks_compute_the_ratios_against_the_targets():
    found = {c.name: c for c in checks(results())}
    assert found["cold / limit  small"].value == pytest.approx(1.25)
    assert found["cold / limit  small"].verdict == "PASS"
    assert found["cold / limit  large"].verdict == "MISS"  # 2.0×
    assert found["naive / cold  small"].value == pytest.approx(4.0)
    # A failed naive run counts its time so far: a lower bound, said in the note.
    assert found["naive / cold  large"].value == pytest.approx(2.5)
    assert "lower bound" in found["naive / cold  large"].note
    # How far the limit itself is ahead of naive, and so how fast a build must be to
    # be 3× faster than naive: for information.
    assert found["naive / limit  small"].value == pytest.approx(5.0)
    assert (found["naive / limit  small"].verdict, found["naive / limit  small"].note) == (
        "",
        "cold ≤ 1.67× limit for 3× naive",
    )
    assert found["naive / limit  large"].note == "cold ≤ 1.67× limit for 3× naive; naive failed"
    # What naive / cold would be with loudness = false: for information.
    assert found["naive / bare  small"].value == pytest.approx(6.25)
    assert (found["naive / bare  small"].verdict, found["naive / bare  small"].note) == (
        "",
        "loudness = false",
    )
    assert "naive / bare  large" not in found  # not measured
    assert found["no-op / cold  large"].value == pytest.approx(0.04)
    assert found["no-op / cold  large"].verdict == "PASS"
    assert found["re-render / cold  large"].verdict == "MISS"  # 15 %
    assert found["10× / 1× time"].value == pytest.approx(12.0)
    assert found["10× / 1× time"].verdict == "MISS"
    assert found["10× / 1× time per audio minute"].value == pytest.approx(12 / 10.5)
    assert found["10× / 1× audio duration"].verdict == ""
    assert found["peak memory  large"].verdict == "MISS"
    assert found["peak memory  samples × 10"].verdict == "PASS"


def test_failed_build_is_not_a_number():
    data = results()
    data["samples"]["small"]["cold"] = run(1.0, ok=False)
    found = {c.name: c for c in checks(data)}
    assert found["cold / limit  small"].verdict == "n/a"
    assert found["peak memory  small"].verdict == "n/a"


def test_runs_table_has_a_row_per_run():
    lines = runs_table(results()).splitlines()
    assert lines[0].split() == [
        "run",
        "segs",
        "audio",
        "cold",
        "per",
        "min",
        "peak",
        "limit",
        "naive",
        "bare",
    ]
    assert [line.split()[0] for line in lines[2:]] == [
        "small",
        "large",
        "samples",
        "samples",
        "no-op",
        "re-render",
    ]
    assert "50.0 s (failed)" in lines[3]
    assert "1.7 s" in lines[2]  # 10 s for 6 minutes of audio
    assert lines[2].split()[-2:] == ["6.4", "s"]  # the bare build
    assert lines[3].split()[-1] == "-"


def test_a_failed_scaling_build_gives_a_lower_bound():
    data = results()
    data["scaling"]["x10"] = {
        "cold": run(330.0, ok=False),
        "stored_segments": 300,
        "stored_audio_seconds": 10000.0,
    }
    found = {c.name: c for c in checks(data)}
    assert found["10× / 1× time"].value == pytest.approx(11.0)
    assert "FAILED after 330 s" in found["10× / 1× time"].note
    assert found["10× / 1× audio duration"].value == pytest.approx(10.0)
    assert found["peak memory  samples × 10"].verdict == "n/a"


def test_cold_builds_repeat_and_the_fastest_counts_but_scaling_builds_run_once(
    tmp_path, monkeypatch
):
    seconds = iter([3.0, 2.0, 4.0, 9.0, 90.0])
    labels = []

    def measure(self, cmd, case, label, timeout):
        labels.append(label)
        code = 1 if "×" in label else 0  # scaling builds "fail": no episode to look at
        return Run(cmd, next(seconds), code, False, None, None, None, None, "")

    monkeypatch.setattr(Bench, "_measure", measure)
    bench = Bench(tmp_path, tmp_path / "none.toml", jobs=2, repeat=3, naive_timeout=1.0)
    run, _, times = bench.cold("sample", {"a.txt": "Hello."}, "cold build a")
    assert (run.seconds, times) == (2.0, [3.0, 2.0, 4.0])
    issue = tmp_path / "a.txt"
    issue.write_text("Hello.", encoding="utf-8")
    scaling = bench.scaling([issue], 10)
    assert (scaling["x1"]["cold"].seconds, scaling["x10"]["cold"].seconds) == (9.0, 90.0)
    assert labels == [
        "cold build a (#1)",
        "cold build a (#2)",
        "cold build a (#3)",
        "cold build 1 samples × 1",
        "cold build 1 samples × 10",
    ]


def test_a_sample_and_its_baselines_are_measured_in_turns(tmp_path, monkeypatch):
    # Each round is a cold build, then the limit and naive baselines on its scripts, then
    # a bare build (the show's settings with loudness = false).
    settings = tmp_path / "show.toml"
    settings.write_text('loudness = -18\ntitle = "T"\n[lexicon]\nRohin = "Roe hin"\n', "utf-8")
    order = []
    cold_seconds = iter([9.0, 8.0, 8.5])
    bare_seconds = iter([6.0, 6.5, 5.5])
    baseline_seconds = {"limit": iter([6.0, 5.0, 5.5]), "naive": iter([30.0, 33.0, 29.0])}

    def measure(self, cmd, case, label, timeout):
        order.append(f"{label} in {case.root.name}")
        bare = label.startswith("bare")
        expected = settings.read_text(encoding="utf-8")
        if bare:
            expected = without_loudness(expected)
        assert (case.issues / "show.toml").read_text(encoding="utf-8") == expected
        seconds = next(bare_seconds if bare else cold_seconds)
        return Run(cmd, seconds, 0, False, None, None, None, None, "")

    def baseline_once(self, kind, case, slug, k):
        order.append(f"{kind} #{k + 1} in {case.root.name}")
        return {"ok": True, "seconds": next(baseline_seconds[kind])}

    monkeypatch.setattr(Bench, "_measure", measure)
    monkeypatch.setattr(Bench, "_baseline_once", baseline_once)
    monkeypatch.setattr(bench_module, "episode_facts", lambda dirs: {})
    issue = tmp_path / "a.txt"
    issue.write_text("Hello.", encoding="utf-8")
    bench = Bench(tmp_path / "work", settings, jobs=2, repeat=3, naive_timeout=1.0)
    entry = bench.sample(issue)
    assert order == [
        "cold build a (#1) in sample-a-1",
        "limit #1 in sample-a-1",
        "naive #1 in sample-a-1",
        "bare build a (#1) in sample-a-1-bare",
        "cold build a (#2) in sample-a-2",
        "limit #2 in sample-a-2",
        "naive #2 in sample-a-2",
        "bare build a (#2) in sample-a-2-bare",
        "cold build a (#3) in sample-a-3",
        "limit #3 in sample-a-3",
        "naive #3 in sample-a-3",
        "bare build a (#3) in sample-a-3-bare",
    ]
    assert (entry["cold"].seconds, entry["cold_repeats"]) == (8.0, [9.0, 8.0, 8.5])
    assert (entry["bare"].seconds, entry["bare_repeats"]) == (5.5, [6.0, 6.5, 5.5])
    assert Path(entry["case"]).name == "sample-a-2"  # the fastest build's folder is kept
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == ["sample-a-2"]
    assert (entry["limit"]["seconds"], entry["limit"]["repeats"]) == (5.0, [6.0, 5.0, 5.5])
    assert (entry["naive"]["seconds"], entry["naive"]["repeats"]) == (29.0, [30.0, 33.0, 29.0])


@pytest.mark.parametrize(
    "settings",
    ["", 'title = "T"\nloudness = -18\n[lexicon]\nloudness = "loud ness"\n', "[lexicon]\nA = 'b'"],
)
def test_bare_settings_turn_loudness_off_and_keep_the_rest(tmp_path, settings):
    path = tmp_path / "show.toml"
    path.write_text(settings, encoding="utf-8")
    expected = replace(load_config(path), loudness=None)
    path.write_text(without_loudness(settings), encoding="utf-8")
    assert load_config(path) == expected
