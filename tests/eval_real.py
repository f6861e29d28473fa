"""How well audio.parse reads real issues it has never seen: item titles and sections.

tests/data/real/ holds real newsletter issues (see sources.json there), each in three
forms that an editor pastes (flattened to one line, with lines of its own, Markdown),
and the ground truth taken from the issue's Markdown structure (<name>.expected.json,
made by tests/data/real/make_forms.py, never by our parser).

For every case and form this runs audio.parse.load_issue and compares, in reading order,
the parsed (section, subsection, title) of each item with the expected ones:

- item titles: precision, recall and F1 of a multiset match on whitespace-normalized
  titles, and the same ignoring case and trailing punctuation ("relaxed");
- sections: the set of distinct section names and the set of (section, subsection)
  pairs against the expected sets, and how many matched items sit in the right place.
  Section names are compared as written (the ground truth uses the newsletter's usual
  spelling, "Technical AI alignment"); a case-insensitive check is reported too.
  Items whose expected section is null (an issue without any section heading) are not
  placed: whatever group the parser puts them in is neither right nor wrong.

Run:  .venv/bin/python tests/eval_real.py [--case an-079] [--form flat] [--json]
It prints a table and the mismatches and exits 0: it reports, it does not assert.
A test can import it:  results = evaluate_all();  summary(results)["flat"]["f1"] ...
"""

import argparse
import difflib
import json
import re
import sys
import traceback
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL = Path(__file__).resolve().parent / "data" / "real"
FORMS: dict[str, str] = {"flat": ".flat.txt", "lines": ".lines.txt", "md": ".md"}
HIGHLIGHTS = "Highlights"

if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

Triple = tuple[str | None, str | None, str]  # (section, subsection, title)


# --------------------------------------------------------------------------- normalizing


def norm(title: str) -> str:
    """Whitespace-normalized title: the strict key."""
    return " ".join(title.split())


_TRAILING = re.compile(r"[\s.,:;!?…]+$")


def relaxed(title: str) -> str:
    """Title ignoring case and trailing punctuation."""
    return _TRAILING.sub("", norm(title)).casefold()


# --------------------------------------------------------------------------- parsed items


def parsed_items(issue) -> list[Triple]:
    """The issue's items in reading order as (section, subsection, title).

    Highlights (with each item's responses right after it), then for each section its own
    items (subsection None), then each subsection's items.
    """
    out: list[Triple] = []

    def add(section, subsection, item) -> None:
        out.append((section, subsection, item.title))
        for response in item.responses:
            out.append((section, subsection, response.title))

    for item in issue.highlights:
        add(HIGHLIGHTS, None, item)
    for section in issue.sections:
        for item in section.items:
            add(section.name, None, item)
        for sub in section.subsections:
            for item in sub.items:
                add(section.name, sub.name, item)
    return out


def parsed_groups(issue) -> list[tuple[str, str | None, int]]:
    """Every group the parser made, with its item count (empty ones included)."""
    groups: list[tuple[str, str | None, int]] = []
    if issue.highlights:
        n = sum(1 + len(i.responses) for i in issue.highlights)
        groups.append((HIGHLIGHTS, None, n))
    for section in issue.sections:
        n = sum(1 + len(i.responses) for i in section.items)
        groups.append((section.name, None, n))
        for sub in section.subsections:
            groups.append((section.name, sub.name, sum(1 + len(i.responses) for i in sub.items)))
    return groups


# --------------------------------------------------------------------------- scoring


@dataclass
class Scores:
    expected: int
    parsed: int
    matched: int

    @property
    def precision(self) -> float:
        return self.matched / self.parsed if self.parsed else (1.0 if not self.expected else 0.0)

    @property
    def recall(self) -> float:
        return self.matched / self.expected if self.expected else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def multiset_scores(expected: Sequence[str], parsed: Sequence[str], key=norm) -> Scores:
    common = Counter(key(t) for t in expected) & Counter(key(t) for t in parsed)
    return Scores(len(expected), len(parsed), sum(common.values()))


def pair_items(expected: Sequence[Triple], parsed: Sequence[Triple], key=norm):
    """Match expected and parsed items by title key, k-th occurrence with k-th occurrence.

    Returns (pairs of indices, unmatched expected indices, unmatched parsed indices).
    """
    slots: dict[str, list[int]] = {}
    for j, (_, _, title) in enumerate(parsed):
        slots.setdefault(key(title), []).append(j)
    pairs: list[tuple[int, int]] = []
    missing: list[int] = []
    for i, (_, _, title) in enumerate(expected):
        free = slots.get(key(title))
        if free:
            pairs.append((i, free.pop(0)))
        else:
            missing.append(i)
    used = {j for _, j in pairs}
    extra = [j for j in range(len(parsed)) if j not in used]
    return pairs, missing, extra


@dataclass
class Result:
    case: str
    form: str
    path: str
    expected_items: int = 0
    parsed_items: int = 0
    matched: int = 0
    precision: float = 0.0
    recall: float = 0.0
    f1: float = 0.0
    matched_relaxed: int = 0
    f1_relaxed: float = 0.0
    # sections
    expected_sections: list[str] = field(default_factory=list)
    parsed_sections: list[str] = field(default_factory=list)
    missing_sections: list[str] = field(default_factory=list)
    extra_sections: list[str] = field(default_factory=list)
    missing_pairs: list[list[str | None]] = field(default_factory=list)
    extra_pairs: list[list[str | None]] = field(default_factory=list)
    sections_ok: bool = False
    pairs_ok: bool = False
    sections_ok_nocase: bool = False
    placed: int = 0  # matched items that can be placed (expected section not null)
    placed_right: int = 0
    # details
    missing_titles: list[str] = field(default_factory=list)
    extra_titles: list[str] = field(default_factory=list)
    near_misses: list[list[str]] = field(default_factory=list)  # [expected, parsed]
    run_ons: list[dict] = field(default_factory=list)  # {"parsed": title, "expected": [...]}
    misplaced: list[dict] = field(default_factory=list)
    metadata_mismatches: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def placement(self) -> float:
        return self.placed_right / self.placed if self.placed else 1.0


def _likeness(a: str, b: str) -> float:
    a, b = norm(a), norm(b)
    if a and b and (b.startswith(a) or a.startswith(b) or a in b or b in a):
        return 1.0
    return difflib.SequenceMatcher(None, a, b).ratio()


def _pair_list(pairs: Iterable[tuple[str | None, str | None]]) -> list[list[str | None]]:
    return [list(p) for p in sorted(pairs, key=lambda p: (p[0] or "", p[1] or ""))]


def evaluate(path: Path, expected: dict, *, case: str = "", form: str = "") -> Result:
    """Parse one file and score it against the expected structure."""
    from audio.parse import load_issue  # imported here so the module loads without it

    result = Result(case=case or path.name, form=form or path.suffix, path=str(path))
    want: list[Triple] = [(i["section"], i["subsection"], i["title"]) for i in expected["items"]]
    result.expected_items = len(want)
    try:
        issue = load_issue(path)
    except Exception as e:  # a crash is a result too: nothing parsed
        result.error = f"{type(e).__name__}: {e}"
        result.warnings.append(traceback.format_exc(limit=3))
        got: list[Triple] = []
        groups: list[tuple[str, str | None, int]] = []
        issue = None
    else:
        got = parsed_items(issue)
        groups = parsed_groups(issue)
        result.warnings = list(issue.warnings)
        for key in ("number", "title", "newsletter"):
            if key in expected and getattr(issue, key) != expected[key]:
                result.metadata_mismatches.append(
                    f"{key}: expected {expected[key]!r}, got {getattr(issue, key)!r}"
                )

    result.parsed_items = len(got)
    strict = multiset_scores([t for *_, t in want], [t for *_, t in got])
    loose = multiset_scores([t for *_, t in want], [t for *_, t in got], key=relaxed)
    result.matched, result.precision, result.recall, result.f1 = (
        strict.matched,
        strict.precision,
        strict.recall,
        strict.f1,
    )
    result.matched_relaxed, result.f1_relaxed = loose.matched, loose.f1

    pairs, missing, extra = pair_items(want, got)
    result.missing_titles = [want[i][2] for i in missing]
    result.extra_titles = [got[j][2] for j in extra]
    # Run-on titles: an extra title that holds expected titles glued to other text.
    spare_missing = list(result.missing_titles)
    spare_extra = []
    for title in result.extra_titles:
        inside = [m for m in spare_missing if norm(m) in norm(title)]
        if inside:
            result.run_ons.append({"parsed": title, "expected": inside})
            for m in inside:
                spare_missing.remove(m)
        else:
            spare_extra.append(title)
    # Near misses: a missing title and the extra title that looks most like it.
    for title in spare_missing:
        best = max(spare_extra, key=lambda t: _likeness(title, t), default=None)
        if best is not None and _likeness(title, best) >= 0.6:
            result.near_misses.append([title, best])
            spare_extra.remove(best)

    # Placement of matched items; items expected without a section excuse their group.
    unplaced_parsed: Counter[tuple[str | None, str | None]] = Counter()
    for i, j in pairs:
        want_sec, want_sub, title = want[i]
        got_sec, got_sub, _ = got[j]
        if want_sec is None:
            unplaced_parsed[(got_sec, got_sub)] += 1
            continue
        result.placed += 1
        if (want_sec, want_sub) == (got_sec, got_sub):
            result.placed_right += 1
        else:
            result.misplaced.append(
                {"title": title, "expected": [want_sec, want_sub], "parsed": [got_sec, got_sub]}
            )

    want_sections = {s for s, _, _ in want if s is not None}
    want_pairs = {(s, sub) for s, sub, _ in want if s is not None}
    kept_groups = [
        (s, sub, n)
        for s, sub, n in groups
        if not (n and unplaced_parsed[(s, sub)] == n)  # all its items are expected unplaced
    ]
    got_sections = {s for s, _, _ in kept_groups}
    # A section that only holds subsections is not a (section, None) pair of its own.
    got_pairs = {(s, sub) for s, sub, n in kept_groups if sub is not None or n}
    result.expected_sections = sorted(want_sections)
    result.parsed_sections = sorted(got_sections)
    result.missing_sections = sorted(want_sections - got_sections)
    result.extra_sections = sorted(got_sections - want_sections)
    result.missing_pairs = _pair_list(want_pairs - got_pairs)
    result.extra_pairs = _pair_list(got_pairs - want_pairs)
    result.sections_ok = not result.missing_sections and not result.extra_sections
    result.pairs_ok = not result.missing_pairs and not result.extra_pairs
    result.sections_ok_nocase = {s.casefold() for s in want_sections} == {
        s.casefold() for s in got_sections
    }
    return result


# --------------------------------------------------------------------------- corpus


def cases(directory: Path = REAL) -> list[tuple[str, dict]]:
    """(name, expected) for every <name>.expected.json, sorted by name."""
    out = []
    for path in sorted(directory.glob("*.expected.json")):
        out.append((path.name.removesuffix(".expected.json"), json.loads(path.read_text("utf-8"))))
    return out


def evaluate_all(
    directory: Path = REAL,
    forms: Iterable[str] = FORMS,
    only: Iterable[str] | None = None,
) -> list[Result]:
    """Results for every case and form (optionally only the named cases)."""
    wanted = set(only) if only else None
    results = []
    for name, expected in cases(directory):
        if wanted and name not in wanted:
            continue
        for form in forms:
            path = directory / f"{name}{FORMS[form]}"
            if path.exists():
                results.append(evaluate(path, expected, case=name, form=form))
    return results


def summary(results: Sequence[Result]) -> dict[str, dict]:
    """Micro-averaged totals per form and over all ("all")."""
    by_form: dict[str, list[Result]] = {}
    for r in results:
        by_form.setdefault(r.form, []).append(r)
        by_form.setdefault("all", []).append(r)
    out = {}
    order = [f for f in by_form if f != "all"] + ["all"]
    for form, rs in ((f, by_form[f]) for f in order):
        strict = Scores(
            sum(r.expected_items for r in rs),
            sum(r.parsed_items for r in rs),
            sum(r.matched for r in rs),
        )
        loose = Scores(strict.expected, strict.parsed, sum(r.matched_relaxed for r in rs))
        placed = sum(r.placed for r in rs)
        out[form] = {
            "files": len(rs),
            "expected_items": strict.expected,
            "parsed_items": strict.parsed,
            "matched": strict.matched,
            "precision": strict.precision,
            "recall": strict.recall,
            "f1": strict.f1,
            "f1_relaxed": loose.f1,
            "sections_ok": sum(r.sections_ok for r in rs),
            "pairs_ok": sum(r.pairs_ok for r in rs),
            "sections_ok_nocase": sum(r.sections_ok_nocase for r in rs),
            "placement": sum(r.placed_right for r in rs) / placed if placed else 1.0,
            "errors": sum(r.error is not None for r in rs),
        }
    return out


# --------------------------------------------------------------------------- report


def _fmt_pair(p: Sequence[str | None]) -> str:
    return p[0] if p[1] is None else f"{p[0]} > {p[1]}"


def table(results: Sequence[Result]) -> str:
    head = (
        f"{'case':<8} {'form':<5} {'exp':>4} {'got':>4} {'ok':>4} {'P':>6} {'R':>6} "
        f"{'F1':>6} {'F1rel':>6} {'sect':>5} {'pairs':>5} {'place':>6}  note"
    )
    rows = [head, "-" * len(head)]
    for r in results:
        note = []
        if r.error:
            note.append(f"ERROR {r.error[:60]}")
        if r.metadata_mismatches:
            note.append("meta: " + "; ".join(m.split(",")[0] for m in r.metadata_mismatches))
        rows.append(
            f"{r.case:<8} {r.form:<5} {r.expected_items:>4} {r.parsed_items:>4} {r.matched:>4} "
            f"{r.precision:>6.3f} {r.recall:>6.3f} {r.f1:>6.3f} {r.f1_relaxed:>6.3f} "
            f"{'yes' if r.sections_ok else 'NO':>5} {'yes' if r.pairs_ok else 'NO':>5} "
            f"{r.placement:>6.3f}  {' | '.join(note)}"
        )
    rows.append("-" * len(head))
    for form, s in summary(results).items():
        rows.append(
            f"{'TOTAL':<8} {form:<5} {s['expected_items']:>4} {s['parsed_items']:>4} "
            f"{s['matched']:>4} {s['precision']:>6.3f} {s['recall']:>6.3f} {s['f1']:>6.3f} "
            f"{s['f1_relaxed']:>6.3f} {s['sections_ok']:>2}/{s['files']:<2} "
            f"{s['pairs_ok']:>2}/{s['files']:<2} {s['placement']:>6.3f}"
            + (f"  errors: {s['errors']}" if s["errors"] else "")
        )
    rows.append(
        "sect/pairs: files whose set of section names / (section, subsection) pairs is exactly "
        "right; place: matched items in the right section and subsection."
    )
    return "\n".join(rows)


def kinds(results: Sequence[Result]) -> dict[str, list[str]]:
    """Every mismatch, grouped by kind, as one line each ("case [form]: what")."""
    out: dict[str, list[str]] = {}

    def add(kind: str, r: Result, text: str) -> None:
        out.setdefault(kind, []).append(f"{r.case} [{r.form}]: {text}")

    for r in results:
        if r.error:
            add("parser error", r, r.error)
        for m in r.metadata_mismatches:
            add("metadata", r, m)
        for ro in r.run_ons:
            add(
                "run-on title (other text glued to the title)",
                r,
                f"parsed {ro['parsed']!r} holds {ro['expected']!r}",
            )
        for e, g in r.near_misses:
            add("changed title (title cut or extended)", r, f"expected {e!r}, parsed {g!r}")
        near = {e for e, _ in r.near_misses} | {g for _, g in r.near_misses}
        run_on_missing = {t for ro in r.run_ons for t in ro["expected"]}
        run_on_parsed = {ro["parsed"] for ro in r.run_ons}
        for t in r.missing_titles:
            if t not in near and t not in run_on_missing:
                add("missing item", r, repr(t))
        for t in r.extra_titles:
            if t not in near and t not in run_on_parsed:
                add("extra item", r, repr(t))
        for s in r.missing_sections:
            add("section name missing", r, repr(s))
        for s in r.extra_sections:
            add("section name extra", r, repr(s))
        for p in r.missing_pairs:
            if p[1] is not None or p[0] not in r.missing_sections:
                add("(section, subsection) missing", r, repr(_fmt_pair(p)))
        for p in r.extra_pairs:
            if p[1] is not None or p[0] not in r.extra_sections:
                add("(section, subsection) extra", r, repr(_fmt_pair(p)))
        for m in r.misplaced:
            add(
                "item in the wrong section",
                r,
                f"{m['title'][:60]!r}: expected {_fmt_pair(m['expected'])!r}, "
                f"parsed {_fmt_pair(m['parsed'])!r}",
            )
    return out


def details(results: Sequence[Result]) -> str:
    """The mismatches of each file, then a tally by kind."""
    out: list[str] = []
    for r in results:
        tagged = [
            f"  {kind:<46} {line.split(': ', 1)[1]}"
            for kind, entries in kinds([r]).items()
            for line in entries
        ]
        if tagged:
            out.append(f"{r.case} [{r.form}] {r.path}")
            out.extend(tagged)
    if not out:
        return "no mismatches"
    out.append("")
    out.append("By kind:")
    for kind, entries in sorted(kinds(results).items(), key=lambda kv: -len(kv[1])):
        out.append(f"  {len(entries):>3}  {kind}")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", action="append", help="only this case (repeatable), e.g. an-079")
    ap.add_argument("--form", action="append", choices=sorted(FORMS), help="only this form")
    ap.add_argument("--json", action="store_true", help="print the results as JSON instead")
    ap.add_argument("--no-details", action="store_true", help="print the table only")
    args = ap.parse_args(argv)
    results = evaluate_all(forms=args.form or list(FORMS), only=args.case)
    if not results:
        print("no cases found in", REAL)
        return 0
    if args.json:
        payload = {
            "results": [asdict(r) | {"placement": r.placement} for r in results],
            "summary": summary(results),
        }
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return 0
    print(table(results))
    if not args.no_details:
        print("\nMismatches, per file (titles compared whitespace-normalized):")
        print(details(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
