"""audio/workers.py: the worker server can be started before anything heavy is imported."""

from __future__ import annotations

import subprocess
import sys


def test_starting_the_worker_server_imports_nothing_heavy():
    heavy = ("numpy", "audio.render", "audio.speech", "pyttsx3", "click", "audio.pipeline")
    code = f"import sys, audio.workers; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
