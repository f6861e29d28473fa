"""Real issues that are not in issues/, in three forms: the parser's scores on them.

The corpus (tests/data/real/, built by make_forms.py from each issue's Markdown source)
has ground truth derived from the source's own headings and linked titles, not from
our parser. `python tests/eval_real.py` prints the full report with every mismatch.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "eval_real", Path(__file__).resolve().parent / "eval_real.py"
)
eval_real = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(eval_real)

SCORES = eval_real.summary(eval_real.evaluate_all())


@pytest.mark.parametrize("form", ["flat", "lines", "md"])
def test_item_titles_f1(form):
    assert SCORES[form]["f1"] >= 0.98, SCORES[form]


@pytest.mark.parametrize("form", ["flat", "lines", "md"])
def test_every_section_name_right(form):
    scores = SCORES[form]
    assert scores["sections_ok"] == scores["files"], scores
    assert scores["pairs_ok"] == scores["files"], scores
