"""bench: measure build speed and memory on this machine, against two baselines.

`python -m audio.bench` (`make bench`) measures, in one run and in fresh temporary
folders (so every store starts empty):

1. a cold build of each sample issue in `issues/` (`*.txt`), and of all of them at once;
   and of each sample, a bare build: the same with `loudness = false`, which shows what
   the loudness work costs;
2. the physical limit on the same scripts: the `espeak-ng` command once per segment,
   one after another, then one lameenc encode of the whole episode's audio (with the
   same pauses, sample rate, bit rate and LAME quality);
3. the naive way: the whole script as one pyttsx3 utterance, then one pydub export;
4. on the longest sample, a build where nothing changed and a one-segment re-render
   after editing a script;
5. scaling: one issue made of the samples concatenated once, and ten times.

Each of 1 to 4 runs three times (`--repeat`) and the fastest run counts: other work on
a shared machine only ever slows a run down. A sample's cold build and its two
baselines and its bare build run in turns, so that all four meet the same load as it
drifts. The scaling builds run once each.

It prints the runs and the target checks (PASS/MISS), with rows for information: naive /
limit (how far ahead of naive the limit itself is, and so how close to the limit a build
must come to be 3× faster than naive) and naive / bare. It writes every raw number with
the machine's description to `OUTPUT/bench.json`. `--quick` is a smoke run: the smallest
sample only and 2× scaling.

Each measured command runs under a small wrapper process (`_WRAPPER`) that times it and
reports `RUSAGE_CHILDREN`; meanwhile this process samples the wrapper's process tree in
/proc. Render workers are forked by the multiprocessing forkserver, which does not pass
their resource usage up, so memory comes from the sampling: the peak of the tree's
summed PSS (shared pages counted once), the peak of its summed RSS, and the largest
single process (VmHWM).

This is a benchmark script: it prints.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from audio.config import SETTINGS_FILE, Config, load_config
from audio.fsutil import write_text_atomic
from audio.script import spoken_text

# Targets: a cold build within 1.5 times the physical limit and at least 3 times faster
# than the naive way; a no-op build within 5 % and a re-render within 10 % of a cold
# build; ten times the input within 11 times the time; at most 200 MB of memory.
LIMIT_RATIO = 1.5
NAIVE_SPEEDUP = 3.0
NOOP_FRACTION = 0.05
RERENDER_FRACTION = 0.10
SCALING_RATIO = 11.0
PEAK_MB = 200.0

COPIES = 10
QUICK_COPIES = 2
# Runs of each measurement but the scaling builds; the fastest counts. Other work on a
# shared machine slows single runs by up to a quarter, and only ever slows them.
REPEAT = 3
NAIVE_TIMEOUT = 600.0  # seconds the one long pyttsx3 utterance may take
BUILD_TIMEOUT = 3600.0
SAMPLE_INTERVAL = 0.05  # seconds between samples of a process tree's memory
ADDED_SENTENCE = "This sentence was added by the benchmark."

# The measured command runs under this wrapper, which reports its wall time and the
# resource usage of its waited-for children as JSON (argv: command as JSON, log, report).
_WRAPPER = """\
import json, resource, subprocess, sys, time
cmd, log, report = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(log, "wb") as out:
    start = time.perf_counter()
    code = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(report, "w") as f:
    json.dump({"returncode": code, "seconds": seconds, "maxrss": usage.ru_maxrss,
               "cpu_seconds": usage.ru_utime + usage.ru_stime}, f)
"""


# --------------------------------------------------------------------------- pure helpers

_NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
# A full stop after a word, followed by the next sentence's capital or the end of a line.
_SENTENCE_END = re.compile(r"(?<=\w)\.(?=\s+[A-Z“\"‘']|\s*$)", re.MULTILINE)


def mark_copy(text: str, copy: int) -> str:
    """`text` with the copy's number spoken before each sentence's full stop.

    Without it, the copies of a concatenated issue would have segments with identical
    spoken text, which the store renders only once.

    >>> mark_copy("It works. See e.g. this.\\nNext line.", 2)
    'It works two. See e.g. this two.\\nNext line two.'
    """
    word = _NUMBER_WORDS[copy - 1] if 1 <= copy <= len(_NUMBER_WORDS) else str(copy)
    return _SENTENCE_END.sub(f" {word}.", text)


def concatenate_issues(texts: Sequence[str], copies: int) -> str:
    """One issue made of `texts` one after another, `copies` times, blank-line separated.

    Every copy is marked with `mark_copy`, so no two copies speak the same segment.
    """
    if copies < 1:
        raise ValueError(f"copies must be at least 1, not {copies}")
    return (
        "\n\n\n".join(mark_copy(t.strip(), k) for k in range(1, copies + 1) for t in texts) + "\n"
    )


_LOUDNESS_LINE = re.compile(r"\n[ \t]*loudness[ \t]*=[^\n]*")


def without_loudness(settings: str) -> str:
    """Show settings (TOML text) with `loudness = false`, for the bare builds.

    The setting goes first, where it is a top-level key whatever tables follow; a
    `loudness` key before the first table is dropped.

    >>> without_loudness('title = "T"\\nloudness = -18\\n[lexicon]\\nloudness = "loud ness"\\n')
    'loudness = false\\ntitle = "T"\\n[lexicon]\\nloudness = "loud ness"\\n'
    """
    head, table, rest = ("\n" + settings).partition("\n[")
    return "loudness = false" + _LOUDNESS_LINE.sub("", head) + table + rest


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """`numerator / denominator`, or None when either is missing or the divisor is 0.

    >>> ratio(3, 2), ratio(None, 2), ratio(1, 0)
    (1.5, None, None)
    """
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


@dataclass(frozen=True)
class Check:
    """One target: a measured value against a bound (`at_most` or at least)."""

    name: str
    value: float | None
    bound: float | None
    unit: Literal["×", "%", "MB"]
    at_most: bool = True
    note: str = ""

    @property
    def verdict(self) -> str:
        """PASS or MISS; n/a when the value could not be measured; "" without a bound."""
        if self.bound is None:
            return ""
        if self.value is None:
            return "n/a"
        ok = self.value <= self.bound if self.at_most else self.value >= self.bound
        return "PASS" if ok else "MISS"

    @property
    def target(self) -> str:
        """The bound, as it reads in the table: "≤ 1.5×"."""
        if self.bound is None:
            return ""
        return f"{'≤' if self.at_most else '≥'} {format_value(self.bound, self.unit)}"


def format_value(value: float | None, unit: str) -> str:
    """A measured value for the table.

    >>> format_value(1.234, "×"), format_value(0.0412, "%"), format_value(151.6, "MB")
    ('1.23×', '4.1%', '152 MB')
    >>> format_value(None, "×")
    '-'
    """
    if value is None:
        return "-"
    if unit == "%":
        return f"{value * 100:.1f}%"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:.2f}{unit}"


def clock(seconds: float | None) -> str:
    """An audio duration as m:ss or h:mm:ss.

    >>> clock(61.4), clock(3725), clock(None)
    ('1:01', '1:02:05', '-')
    """
    if seconds is None:
        return "-"
    s = round(seconds)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def seconds_text(seconds: float | None) -> str:
    """A measured time: "12.3 s", or "-" when there is none."""
    return "-" if seconds is None else f"{seconds:.1f} s"


def format_table(rows: Sequence[Sequence[str]]) -> str:
    """Rows of cells as aligned text: the first row is the header, the first column is
    left-aligned and the others right-aligned.

    >>> print(format_table([["run", "time"], ["cold", "1.0 s"], ["no-op", "0.25 s"]]))
    run      time
    -----  ------
    cold    1.0 s
    no-op  0.25 s
    """
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]

    def line(row: Sequence[str]) -> str:
        cells = [
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(rows[0]), rule, *(line(r) for r in rows[1:])])


# --------------------------------------------------------------------------- measuring


@dataclass
class Run:
    """One measured command: wall time and memory of its process tree."""

    command: list[str]
    seconds: float
    returncode: int | None
    timed_out: bool
    peak_pss_mb: float | None  # the tree's summed PSS, sampled
    peak_rss_mb: float | None  # the tree's summed RSS, sampled
    max_process_mb: float | None  # the largest single process (VmHWM, ru_maxrss)
    cpu_seconds: float | None  # user + system time of the tree, sampled (a lower bound)
    log_tail: str

    @property
    def ok(self) -> bool:
        """Whether the command finished and succeeded."""
        return self.returncode == 0 and not self.timed_out

    @property
    def peak_mb(self) -> float | None:
        """The memory figure the target applies to: the tree's peak PSS (else RSS)."""
        return self.peak_pss_mb if self.peak_pss_mb is not None else self.max_process_mb


class _TreeSampler(threading.Thread):
    """Samples the memory and CPU time of every process in a session, from /proc."""

    def __init__(self, session: int, interval: float = SAMPLE_INTERVAL) -> None:
        super().__init__(daemon=True)
        self.session = session
        self.interval = interval
        self.available = Path("/proc/self/status").exists()
        self.peak_pss_kb = 0
        self.peak_rss_kb = 0
        self.max_hwm_kb = 0
        self._cpu_ticks: dict[int, int] = {}
        self._stop_event = threading.Event()

    def run(self) -> None:
        while self.available:
            self._sample()
            if self._stop_event.wait(self.interval):
                return

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    @property
    def cpu_seconds(self) -> float:
        return sum(self._cpu_ticks.values()) / os.sysconf("SC_CLK_TCK")

    def _sample(self) -> None:
        pss = rss = 0
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit() or int(entry.name) == self.session:
                continue  # the wrapper itself is not measured
            try:
                stat = Path(entry.path, "stat").read_text()
                fields = stat[stat.rindex(")") + 2 :].split()
                if int(fields[3]) != self.session:
                    continue
                status = _status_kb(Path(entry.path, "status").read_text())
                pss += _status_kb(Path(entry.path, "smaps_rollup").read_text()).get("Pss", 0)
            except (OSError, ValueError, IndexError):
                continue
            rss += status.get("VmRSS", 0)
            self.max_hwm_kb = max(self.max_hwm_kb, status.get("VmHWM", 0))
            self._cpu_ticks[int(entry.name)] = int(fields[11]) + int(fields[12])
        self.peak_pss_kb = max(self.peak_pss_kb, pss)
        self.peak_rss_kb = max(self.peak_rss_kb, rss)


def _status_kb(text: str) -> dict[str, int]:
    """The "Name: 123 kB" lines of a /proc status or smaps_rollup file."""
    values = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        parts = rest.split()
        if len(parts) == 2 and parts[1] == "kB":
            values[name] = int(parts[0])
    return values


def measure(cmd: Sequence[str], *, cwd: Path, log: Path, timeout: float) -> Run:
    """Run `cmd` under the wrapper, in its own session; its time and its tree's memory."""
    report = log.with_name(log.name + ".rusage.json")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRAPPER, json.dumps(list(cmd)), str(log), str(report)],
        cwd=cwd,
        env=measured_env(),
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    sampler = _TreeSampler(proc.pid)
    sampler.start()
    timed_out = False
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, signal.SIGKILL)  # the wrapper's session: only what we started
        proc.wait()
    elapsed = time.perf_counter() - started
    sampler.stop()
    try:
        usage = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        usage = {}
    maxrss_kb = usage.get("maxrss", 0) / (1024 if sys.platform == "darwin" else 1)
    to_mb = 1024 / 1e6
    return Run(
        command=list(cmd),
        seconds=usage.get("seconds", elapsed),
        returncode=usage.get("returncode"),
        timed_out=timed_out,
        peak_pss_mb=sampler.peak_pss_kb * to_mb if sampler.available else None,
        peak_rss_mb=sampler.peak_rss_kb * to_mb if sampler.available else None,
        max_process_mb=max(maxrss_kb, sampler.max_hwm_kb) * to_mb,
        cpu_seconds=max(sampler.cpu_seconds, usage.get("cpu_seconds", 0.0)),
        log_tail=_tail(log),
    )


def measured_env() -> dict[str, str]:
    """The environment of measured commands: Python's bytecode cache on, as when installed.

    With PYTHONDONTWRITEBYTECODE set (some sandboxes set it), every run would compile the
    package's modules again, which a user's installation does not do.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def warm_up() -> None:
    """Import what the measured commands import once, so the bytecode cache is current."""
    modules = "audio.cli, audio.render, audio.bench, audio.cover, pydub, lameenc, mutagen.id3"
    subprocess.run(
        [sys.executable, "-c", f"import {modules}"],
        env=measured_env(),
        stdin=subprocess.DEVNULL,
        check=True,
    )


def _tail(path: Path, lines: int = 8) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --------------------------------------------------------------------------- baselines
# These run in their own processes (`python -c "from audio.bench import ..."`), so that
# their memory is measured like a build's and a crash cannot end the benchmark.


def _episode_texts(episode_dir: Path, config: Config) -> list[tuple[dict, str]]:
    """An episode's segment records (from its manifest) with their spoken text."""
    manifest = json.loads((episode_dir / "episode.json").read_text(encoding="utf-8"))
    scripts = episode_dir / "scripts"
    return [
        (
            record,
            spoken_text(
                (scripts / f"{record['id']}.txt").read_text(encoding="utf-8").strip(),
                config.lexicon,
            ),
        )
        for record in manifest["segments"]
    ]


def limit_main(argv: Sequence[str]) -> None:
    """The physical limit for one episode (argv: episode dir, settings, result, scratch).

    espeak-ng's command line speaks each segment, serially; the audio is joined with the
    build's pauses and encoded once by lameenc at the build's bit rate and LAME quality
    (`stitch.encode_pcm`: no loudness processing). Time = synthesis + encode.
    """
    from audio import pipeline, stitch

    episode_dir, settings, result_path, scratch = map(Path, argv)
    config = load_config(settings)
    segments = _episode_texts(episode_dir, config)
    scratch.mkdir(parents=True, exist_ok=True)
    jobs = []
    for n, (record, text) in enumerate(segments):
        txt = scratch / f"{n:03d}.txt"
        txt.write_text(text + "\n", encoding="utf-8")
        lead = pipeline.rendition(config, record["kind"]).lead
        jobs.append((txt, scratch / f"{n:03d}.wav", lead))
    volume = str(round(config.volume * 100))
    speak = ["espeak-ng", "-v", config.voice, "-s", str(config.rate), "-a", volume]
    start = time.perf_counter()
    for txt, wav, _ in jobs:
        subprocess.run(
            [*speak, "-w", str(wav), "-f", str(txt)],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
    synthesized = time.perf_counter()
    pcm, rate = [], None
    out = pipeline.rendition(config, "item").sample_rate
    for _, wav, lead in jobs:
        with wave.open(str(wav), "rb") as w:
            rate = w.getframerate()
            speech = w.readframes(w.getnframes())
            pcm += [stitch.silence(lead, rate), speech, stitch.silence(pipeline.TAIL, rate)]
    data = stitch.encode_pcm(b"".join(pcm), rate or out, out, config.bitrate, pipeline.LAME_QUALITY)
    done = time.perf_counter()
    result = {
        "segments": len(jobs),
        "synth_seconds": synthesized - start,
        "encode_seconds": done - synthesized,
        "seconds": done - start,
        "audio_seconds": stitch.scan_frames(data).duration,
    }
    write_text_atomic(result_path, json.dumps(result, indent=2) + "\n")


def naive_main(argv: Sequence[str]) -> None:
    """The naive way for one episode (argv: episode dir, settings, result, scratch, timeout).

    The whole script is one pyttsx3 utterance (through `EspeakSynthesizer`, with its
    cutting into shorter utterances turned off), exported once with pydub at the WAV's
    rate (22.05 kHz). A failure or a timeout is recorded with the time spent.
    """
    from audio import speech

    episode_dir, settings, result_path, scratch = map(Path, argv[:4])
    timeout = float(argv[4])
    config = load_config(settings)
    text = "\n\n".join(text for _, text in _episode_texts(episode_dir, config))
    scratch.mkdir(parents=True, exist_ok=True)
    wav, mp3 = scratch / "naive.wav", scratch / "naive.mp3"
    result: dict[str, Any] = {"characters": len(text), "ok": False}
    voice = speech.Voice(config.voice, config.rate, config.volume)
    if hasattr(speech, "split_for_speech"):
        # The synthesizer cuts long texts into utterances (pyttsx3 gathers an utterance's
        # audio quadratically); the naive way does not: one utterance.
        speech.split_for_speech = lambda text, limit=0: (text.strip(),)
        result["one_utterance"] = True
    # pyttsx3's driver as it comes, which gathers the utterance's audio with `bytes +=`.
    speech.GATHER_IN_PLACE = False
    start = time.perf_counter()
    try:
        speech.EspeakSynthesizer(voice, timeout=timeout).synthesize(text, wav)
    except Exception as e:
        result.update(error=f"synthesis failed: {e}", synth_seconds=time.perf_counter() - start)
        result["seconds"] = result["synth_seconds"]
        write_text_atomic(result_path, json.dumps(result, indent=2) + "\n")
        os._exit(1)  # espeak-ng's thread may still be speaking
    synthesized = time.perf_counter()
    result["synth_seconds"] = synthesized - start
    write_text_atomic(result_path, json.dumps(result, indent=2) + "\n")
    from pydub import AudioSegment

    audio = AudioSegment.from_wav(str(wav))
    audio.export(str(mp3), format="mp3", bitrate=f"{config.bitrate}k")
    done = time.perf_counter()
    result.update(
        ok=True,
        export_seconds=done - synthesized,
        seconds=done - start,
        audio_seconds=audio.frame_count() / audio.frame_rate,
        sample_rate=audio.frame_rate,
    )
    write_text_atomic(result_path, json.dumps(result, indent=2) + "\n")
    os._exit(0)


# --------------------------------------------------------------------------- the runs


@dataclass(frozen=True)
class Case:
    """A fresh folder with its own issues/ and output/."""

    root: Path

    @property
    def issues(self) -> Path:
        return self.root / "issues"

    @property
    def output(self) -> Path:
        return self.root / "output"

    def episode_dir(self, slug: str) -> Path:
        return self.output / slug


class Bench:
    """Runs the measurements under `work`, with the show's settings from `settings`.

    Each cold build and baseline runs `repeat` times (a cold build in a fresh folder each
    time); the fastest run counts, which filters out some of the noise of a busy machine.
    A sample's cold build and its baselines are measured in turns, a round of one of
    each at a time, so that the runs a ratio compares meet the same load, however it
    drifts over the minutes the bench takes.
    """

    def __init__(
        self, work: Path, settings: Path, *, jobs: int, repeat: int, naive_timeout: float
    ) -> None:
        self.work = work
        self.settings = settings
        self.jobs = jobs
        self.repeat = repeat
        self.naive_timeout = naive_timeout

    # ---- cases and commands

    def case(self, name: str, issues: dict[str, str], *, bare: bool = False) -> Case:
        """A new folder holding the issue files `issues` (name → text) and the settings,
        with `loudness = false` when `bare`."""
        case = Case(self.work / name)
        case.issues.mkdir(parents=True)
        for file_name, text in issues.items():
            (case.issues / file_name).write_text(text, encoding="utf-8")
        settings = self.settings.read_text(encoding="utf-8") if self.settings.is_file() else None
        if bare:
            settings = without_loudness(settings or "")
        if settings is not None:
            (case.issues / SETTINGS_FILE).write_text(settings, encoding="utf-8")
        return case

    def _cli(self, case: Case, *args: str) -> list[str]:
        where = ["--issues", str(case.issues), "--output", str(case.output)]
        return [sys.executable, "-m", "audio", *where, "--quiet", *args]

    def _build_cmd(self, case: Case, *issues: Path) -> list[str]:
        return self._cli(case, "build", "--jobs", str(self.jobs), *map(str, issues))

    def _measure(self, cmd: list[str], case: Case, label: str, timeout: float) -> Run:
        log = case.root / f"{re.sub(r'[^a-z0-9]+', '-', label.lower()).strip('-')}.log"
        run = measure(cmd, cwd=case.root, log=log, timeout=timeout)
        state = "" if run.ok else ("  TIMED OUT" if run.timed_out else "  FAILED")
        print(
            f"  {label:<50} {run.seconds:8.1f} s  {format_value(run.peak_mb, 'MB'):>7}{state}",
            flush=True,
        )
        if not run.ok and run.log_tail:
            print("    " + run.log_tail.replace("\n", "\n    "), flush=True)
        return run

    def _label(self, label: str, k: int, repeat: int | None = None) -> str:
        return f"{label} (#{k + 1})" if (repeat or self.repeat) > 1 else label

    def cold(
        self, name: str, issues: dict[str, str], label: str, *, repeat: int | None = None
    ) -> tuple[Run, Case, list]:
        """The fastest of `repeat` (default: the bench's) cold builds, each in a fresh
        folder; all their times."""
        best: tuple[Run, Case] | None = None
        times = []
        repeat = repeat or self.repeat
        for k in range(repeat):
            case = self.case(f"{name}-{k + 1}", issues)
            label_k = self._label(label, k, repeat)
            run = self._measure(self._build_cmd(case), case, label_k, BUILD_TIMEOUT)
            times.append(run.seconds if run.ok else None)
            if best is None or _faster(run, best[0]):
                if best is not None:
                    shutil.rmtree(best[1].root, ignore_errors=True)
                best = (run, case)
            else:
                shutil.rmtree(case.root, ignore_errors=True)
        assert best is not None
        return best[0], best[1], times

    def _baseline_once(self, kind: str, case: Case, slug: str, k: int) -> dict[str, Any]:
        result = case.root / f"{kind}-{slug}.json"
        result.unlink(missing_ok=True)
        scratch = case.root / f"{kind}-{slug}"
        args = [str(case.episode_dir(slug)), str(self.settings), str(result), str(scratch)]
        timeout = BUILD_TIMEOUT
        if kind == "naive":
            args.append(str(self.naive_timeout))
            timeout = self.naive_timeout + 300
        code = f"import sys; from audio.bench import {kind}_main; {kind}_main(sys.argv[1:])"
        cmd = [sys.executable, "-c", code, *args]
        run = self._measure(cmd, case, self._label(f"{kind} {slug}", k), timeout)
        try:
            numbers = json.loads(result.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            numbers = {}
        if not run.ok and "error" not in numbers:
            numbers["error"] = "timed out" if run.timed_out else f"exit code {run.returncode}"
        numbers["ok"] = run.ok and "error" not in numbers
        numbers.setdefault("seconds", run.seconds)
        numbers["run"] = run
        shutil.rmtree(scratch, ignore_errors=True)
        return numbers

    # ---- the steps

    def sample(self, issue: Path) -> dict[str, Any]:
        """Cold builds of one sample and its limit and naive baselines, in `repeat` rounds
        of a cold build (in a fresh folder), the baselines on its scripts, then a bare
        build (`loudness = false`, in a fresh folder); the fastest of each counts."""
        slug = issue.stem
        texts = {issue.name: issue.read_text(encoding="utf-8")}
        colds: list[tuple[Run, Case]] = []
        bares: list[Run] = []
        baselines: dict[str, list[dict[str, Any]]] = {"limit": [], "naive": []}
        for k in range(self.repeat):
            case = self.case(f"sample-{slug}-{k + 1}", texts)
            label = self._label(f"cold build {slug}", k)
            colds.append((self._measure(self._build_cmd(case), case, label, BUILD_TIMEOUT), case))
            if not colds[-1][0].ok:
                break
            for kind, runs in baselines.items():
                if not runs or runs[-1]["ok"]:  # a failure (a timeout) is not worth repeating
                    runs.append(self._baseline_once(kind, case, slug, k))
            bare = self.case(f"sample-{slug}-{k + 1}-bare", texts, bare=True)
            label = self._label(f"bare build {slug}", k)
            bares.append(self._measure(self._build_cmd(bare), bare, label, BUILD_TIMEOUT))
            shutil.rmtree(bare.root, ignore_errors=True)
        cold, case = min(colds, key=lambda pair: _sort_key(pair[0]))
        for _, other in colds:
            if other is not case:
                shutil.rmtree(other.root, ignore_errors=True)
        entry: dict[str, Any] = {"issue": issue.name, "case": case.root, "cold": cold}
        entry["cold_repeats"] = [run.seconds if run.ok else None for run, _ in colds]
        if bares:
            entry["bare"] = min(bares, key=_sort_key)
            entry["bare_repeats"] = [run.seconds if run.ok else None for run in bares]
        if cold.ok:
            entry.update(episode_facts([case.episode_dir(slug)]))
            entry.update({kind: _fastest_baseline(runs) for kind, runs in baselines.items()})
        return entry

    def all_samples(self, issues: Sequence[Path], samples: dict[str, dict]) -> dict[str, Any]:
        """Cold build of every sample at once (one episode each); baselines are the sums."""
        texts = {p.name: p.read_text(encoding="utf-8") for p in issues}
        cold, case, times = self.cold("all", texts, f"cold build all {len(issues)} samples")
        entry: dict[str, Any] = {"cold": cold, "cold_repeats": times, "episodes": len(issues)}
        if cold.ok:
            entry.update(episode_facts([case.episode_dir(p.stem) for p in issues]))
        shutil.rmtree(case.root, ignore_errors=True)
        for kind in ("limit", "naive"):
            parts = [s.get(kind) or {} for s in samples.values()]
            entry[kind] = {
                "seconds": sum(p.get("seconds", 0.0) for p in parts),
                "ok": all(p.get("ok") for p in parts),
                "summed_over": len(parts),
            }
        return entry

    def incremental(self, issue: Path, sample: dict[str, Any]) -> dict[str, Any]:
        """No-op rebuilds and one-segment re-renders, in the sample's built folder."""
        case = Case(Path(sample["case"]))
        slug = issue.stem
        target = case.issues / issue.name
        mp3 = case.episode_dir(slug) / f"{slug}.mp3"
        before = mp3.stat().st_mtime_ns
        noops = [
            self._measure(
                self._build_cmd(case, target),
                case,
                self._label(f"no-op rebuild {slug}", k),
                BUILD_TIMEOUT,
            )
            for k in range(self.repeat)
        ]
        entry: dict[str, Any] = {"issue": issue.name, "noop": min(noops, key=_sort_key)}
        entry["noop_repeats"] = [r.seconds if r.ok else None for r in noops]
        entry["noop_rewrote_mp3"] = mp3.stat().st_mtime_ns != before
        keys = _segment_keys(case.episode_dir(slug))
        segment_id = list(keys)[len(keys) // 2]
        script = case.episode_dir(slug) / "scripts" / f"{segment_id}.txt"
        has_render = self._has_render(case)
        renders, changed = [], []
        for k in range(self.repeat):
            before_keys = _segment_keys(case.episode_dir(slug))
            # Each time a new sentence, so that each time the segment is made anew.
            script.write_text(
                script.read_text(encoding="utf-8").rstrip() + f" {ADDED_SENTENCE}\n",
                encoding="utf-8",
            )
            if has_render:
                cmd = self._cli(case, "render", str(target), "--segment", segment_id)
                label = f"re-render {segment_id}"
            else:
                cmd = self._build_cmd(case, target)
                label = f"re-render {segment_id} (by build)"
            renders.append(self._measure(cmd, case, self._label(label, k), BUILD_TIMEOUT))
            after = _segment_keys(case.episode_dir(slug))
            changed.append([s for s in before_keys if before_keys[s] != after.get(s)])
        entry.update(
            rerender=min(renders, key=_sort_key),
            rerender_repeats=[r.seconds if r.ok else None for r in renders],
            segment=segment_id,
            command="render" if has_render else "build (no render command yet)",
            changed_segments=changed,
        )
        return entry

    def _has_render(self, case: Case) -> bool:
        probe = subprocess.run(
            self._cli(case, "render", "--help"),
            capture_output=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        return probe.returncode == 0

    def scaling(self, issues: Sequence[Path], copies: int) -> dict[str, Any]:
        """Cold builds of the samples concatenated once and `copies` times, as one issue;
        each once (the 10x build alone takes minutes)."""
        texts = [p.read_text(encoding="utf-8") for p in issues]
        entry: dict[str, Any] = {"copies": copies, "samples": [p.name for p in issues]}
        for n in (1, copies):
            slug = f"concat-x{n}"
            issue = {f"{slug}.txt": concatenate_issues(texts, n)}
            label = f"cold build {len(issues)} samples × {n}"
            run, case, times = self.cold(slug, issue, label, repeat=1)
            entry[f"x{n}"] = {"cold": run, "cold_repeats": times}
            if run.ok:
                entry[f"x{n}"].update(episode_facts([case.episode_dir(slug)]))
            else:  # what was rendered before the failure
                entry[f"x{n}"].update(store_facts(case.output / ".store"))
            shutil.rmtree(case.root, ignore_errors=True)
        return entry


def _sort_key(run: Run) -> tuple[bool, float]:
    return (not run.ok, run.seconds)


def _fastest_baseline(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The fastest successful run of a baseline (else the first), with all their times."""
    best = min(runs, key=lambda numbers: (not numbers["ok"], numbers["seconds"]))
    return best | {"repeats": [n["seconds"] if n["ok"] else None for n in runs]}


def _faster(run: Run, than: Run) -> bool:
    return _sort_key(run) < _sort_key(than)


def store_facts(store: Path) -> dict[str, Any]:
    """Distinct segments and their audio length, from a store's records (no manifest)."""
    parts = seconds = 0.0
    for record_path in store.glob("*/*.json"):
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
            seconds += record["frames"] * record["samples_per_frame"] / record["sample_rate"]
        except (OSError, ValueError, KeyError, ZeroDivisionError):
            continue
        parts += 1
    return {"stored_segments": int(parts), "stored_audio_seconds": seconds}


def _segment_keys(episode_dir: Path) -> dict[str, str]:
    manifest = json.loads((episode_dir / "episode.json").read_text(encoding="utf-8"))
    return {s["id"]: s["key"] for s in manifest["segments"]}


def episode_facts(episode_dirs: Iterable[Path]) -> dict[str, Any]:
    """Segments, distinct segment keys, audio length and MP3 size of built episodes."""
    segments = keys = size = 0
    duration_ms = 0
    for d in episode_dirs:
        manifest = json.loads((d / "episode.json").read_text(encoding="utf-8"))
        segments += len(manifest["segments"])
        keys += len({s["key"] for s in manifest["segments"]})
        duration_ms += manifest["duration_ms"]
        size += manifest["size"]
    return {
        "segments": segments,
        "distinct_segments": keys,
        "audio_seconds": duration_ms / 1000,
        "mp3_bytes": size,
    }


# --------------------------------------------------------------------------- the report


def _seconds(entry: dict | None, key: str) -> float | None:
    """The time of a run or baseline in `entry[key]`, None if it failed or is missing."""
    value = (entry or {}).get(key)
    if isinstance(value, Run):
        return value.seconds if value.ok else None
    if isinstance(value, dict):
        return value.get("seconds") if value.get("ok") else None
    return None


def naive_seconds(naive: dict | None) -> tuple[float | None, bool]:
    """The naive baseline's time, and whether it is only a lower bound (it failed)."""
    if not naive:
        return None, False
    if naive.get("ok"):
        return naive.get("seconds"), False
    return naive.get("seconds"), True


def checks(results: dict[str, Any]) -> list[Check]:
    """The target checks over the results of a benchmark run (bound None: for information)."""
    found: list[Check] = []
    samples = results.get("samples", {})
    every = dict(samples)
    if results.get("all"):
        every[f"all {len(samples)} samples"] = results["all"]
    for name, s in every.items():
        cold = _seconds(s, "cold")
        found.append(
            Check(f"cold / limit  {name}", ratio(cold, _seconds(s, "limit")), LIMIT_RATIO, "×")
        )
    # The naive time of each, and whether it is only a lower bound (naive failed).
    naives = {name: naive_seconds(s.get("naive")) for name, s in every.items()}
    for name, s in every.items():
        naive, lower_bound = naives[name]
        found.append(
            Check(
                f"naive / cold  {name}",
                ratio(naive, _seconds(s, "cold")),
                NAIVE_SPEEDUP,
                "×",
                at_most=False,
                note="naive failed: a lower bound" if lower_bound else "",
            )
        )
    for name, s in every.items():
        naive, lower_bound = naives[name]
        speedup = ratio(naive, _seconds(s, "limit"))
        if speedup is not None:
            note = f"cold ≤ {speedup / NAIVE_SPEEDUP:.2f}× limit for {NAIVE_SPEEDUP:g}× naive"
            failed = "; naive failed" if lower_bound else ""
            found.append(Check(f"naive / limit  {name}", speedup, None, "×", note=note + failed))
    for name, s in samples.items():
        naive, lower_bound = naives[name]
        if s.get("bare") is not None:
            note = "loudness = false" + ("; naive failed" if lower_bound else "")
            bare = ratio(naive, _seconds(s, "bare"))
            found.append(Check(f"naive / bare  {name}", bare, None, "×", note=note))
    inc = results.get("incremental")
    if inc:
        slug = inc["issue"].removesuffix(".txt")
        cold = _seconds(samples.get(slug), "cold")
        noop = ratio(_seconds(inc, "noop"), cold)
        found.append(Check(f"no-op / cold  {slug}", noop, NOOP_FRACTION, "%"))
        found.append(
            Check(
                f"re-render / cold  {slug}",
                ratio(_seconds(inc, "rerender"), cold),
                RERENDER_FRACTION,
                "%",
                note="" if inc["command"] == "render" else "measured with build",
            )
        )
    scale = results.get("scaling")
    peaks = [(name, s.get("cold")) for name, s in every.items()]
    if scale:
        n = scale["copies"]
        one, many = scale.get("x1", {}), scale.get(f"x{n}", {})
        t1, tn = _seconds(one, "cold"), _seconds(many, "cold")
        a1, an = one.get("audio_seconds"), many.get("audio_seconds")
        note = ""
        failed = many.get("cold")
        if tn is None and failed is not None and not failed.timed_out:
            # Failed after rendering everything (see the log): time to failure, a lower bound.
            tn, an = failed.seconds, many.get("stored_audio_seconds")
            note = f"{n}× build FAILED after {failed.seconds:.0f} s: lower bound"
        found += [
            Check(f"{n}× / 1× time", ratio(tn, t1), SCALING_RATIO * n / 10, "×", note=note),
            Check(
                f"{n}× / 1× time per audio minute", ratio(ratio(tn, an), ratio(t1, a1)), None, "×"
            ),
            Check(
                f"{n}× / 1× audio duration",
                ratio(an, a1),
                None,
                "×",
                note="distinct segments in the store" if note else "",
            ),
            Check(
                f"{n}× / 1× segments", ratio(many.get("segments"), one.get("segments")), None, "×"
            ),
        ]
        peaks += [(f"samples × {k}", scale.get(f"x{k}", {}).get("cold")) for k in (1, n)]
    found += [Check(f"peak memory  {name}", _peak(run), PEAK_MB, "MB") for name, run in peaks]
    return found


def _peak(run: Run | None) -> float | None:
    return run.peak_mb if run is not None and run.ok else None


def runs_table(results: dict[str, Any]) -> str:
    """The measured runs: one row per episode build, with its baselines."""
    header = ["run", "segs", "audio", "cold", "per min", "peak", "limit", "naive", "bare"]
    rows = [header]

    def row(label: str, entry: dict[str, Any] | None) -> None:
        if not entry:
            return
        cold = _seconds(entry, "cold")
        audio = entry.get("audio_seconds")
        naive, lower_bound = naive_seconds(entry.get("naive"))
        rows.append(
            [
                label,
                str(entry.get("segments", "-")),
                clock(audio),
                seconds_text(cold),
                seconds_text(ratio(cold, audio / 60 if audio else None)),
                format_value(_peak(entry.get("cold")), "MB"),
                seconds_text(_seconds(entry, "limit")),
                seconds_text(naive) + (" (failed)" if lower_bound else ""),
                seconds_text(_seconds(entry, "bare")),
            ]
        )

    for slug, s in results.get("samples", {}).items():
        row(slug, s)
    row(f"all {len(results.get('samples', {}))} samples (sums)", results.get("all"))
    scale = results.get("scaling")
    if scale:
        row("samples concatenated × 1", scale.get("x1"))
        row(f"samples concatenated × {scale['copies']}", scale.get(f"x{scale['copies']}"))
    inc = results.get("incremental")
    if inc:
        for key, label in (("noop", "no-op rebuild"), ("rerender", "re-render one segment")):
            run = inc[key]
            rows.append(
                [
                    f"{label} ({inc['issue'].removesuffix('.txt')})",
                    "",
                    "",
                    seconds_text(run.seconds if run.ok else None),
                    "",
                    format_value(_peak(run), "MB"),
                    "",
                    "",
                    "",
                ]
            )
    return format_table(rows)


def checks_table(found: Sequence[Check]) -> str:
    """The target checks, with PASS/MISS."""
    rows = [["check", "measured", "target", "", "note"]]
    for c in found:
        rows.append([c.name, format_value(c.value, c.unit), c.target, c.verdict, c.note])
    return format_table(rows)


def _output(cmd: Sequence[str], cwd: Path | None = None) -> str:
    """What `cmd` prints on stdout; empty when it cannot run."""
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=cwd)
    except OSError:
        return ""
    return done.stdout


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on."""
    here = Path(__file__).parent
    espeak = _output(["espeak-ng", "--version"]).strip() or "not found"
    commit = _output(["git", "rev-parse", "--short", "HEAD"], cwd=here).strip()
    status = _output(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here)
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu_count": os.cpu_count(),
        "usable_cpus": affinity,
        "cpu_model": _cpu_model(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "espeak_ng": espeak,
        "commit": commit,
        "modified_files": [line[3:] for line in status.split("\n") if line.strip()],
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _to_json(value: Any) -> Any:
    if isinstance(value, Run):
        return dataclasses.asdict(value) | {"ok": value.ok}
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; the exit code is 1 when a target is missed or a run failed."""
    parser = argparse.ArgumentParser(
        prog="python -m audio.bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="smallest sample, 2× scaling")
    parser.add_argument("--output", type=Path, default=Path("output"), help="bench.json here")
    parser.add_argument("--issues", type=Path, default=Path("issues"), help="the samples")
    parser.add_argument("--jobs", type=int, default=None, help="build --jobs (default: cores)")
    parser.add_argument("--copies", type=int, default=None, help="scaling factor (default 10)")
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help=f"runs of each but the scaling builds, fastest counts (default {REPEAT}; 1 quick)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    args = parser.parse_args(argv)

    from audio.workers import default_jobs

    issues = sorted(p for p in args.issues.glob("*.txt") if not p.name.startswith("."))
    if not issues:
        parser.error(f"no *.txt samples in {args.issues}/")
    if args.quick:
        issues = [min(issues, key=lambda p: p.stat().st_size)]
    copies = args.copies or (QUICK_COPIES if args.quick else COPIES)
    jobs = args.jobs or default_jobs()
    settings = (args.issues / SETTINGS_FILE).resolve()
    work = Path(tempfile.mkdtemp(prefix="audio-bench-"))
    repeat = max(1, args.repeat or (1 if args.quick else REPEAT))
    bench = Bench(work, settings, jobs=jobs, repeat=repeat, naive_timeout=NAIVE_TIMEOUT)
    started = dt.datetime.now(dt.UTC)
    results: dict[str, Any] = {
        "date": started.isoformat(timespec="seconds"),
        "machine": machine_info(),
        "options": {"quick": args.quick, "jobs": jobs, "copies": copies, "repeat": repeat},
        "samples": {},
    }
    print(
        f"Benchmark on {results['machine']['usable_cpus']} CPUs, build --jobs {jobs}, "
        f"in {work}/ (other work on this machine makes the numbers noisy)",
        flush=True,
    )
    warm_up()
    try:
        for issue in issues:
            results["samples"][issue.stem] = bench.sample(issue.resolve())
        if len(issues) > 1:
            results["all"] = bench.all_samples([p.resolve() for p in issues], results["samples"])
        built = {k: s for k, s in results["samples"].items() if "audio_seconds" in s}
        if built:
            longest = max(built, key=lambda k: built[k]["audio_seconds"])
            issue = next(p for p in issues if p.stem == longest)
            results["incremental"] = bench.incremental(issue.resolve(), built[longest])
        results["scaling"] = bench.scaling([p.resolve() for p in issues], copies)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    results["seconds"] = (dt.datetime.now(dt.UTC) - started).total_seconds()
    results["load_average_after"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    found = checks(results)
    results["checks"] = [dataclasses.asdict(c) | {"verdict": c.verdict} for c in found]
    print()
    print(runs_table(results))
    print()
    print(checks_table(found))
    args.output.mkdir(parents=True, exist_ok=True)
    out = args.output / "bench.json"
    write_text_atomic(out, json.dumps(_to_json(results), indent=2, ensure_ascii=False) + "\n")
    print(f"\nRaw numbers: {out}")
    failed = any(c.verdict not in ("PASS", "") for c in found)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
