"""audio/store.py: entries by key, checked against their SHA-256."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from audio.model import Mark
from audio.store import Store

FRAMES = b"\xff\xf3" + bytes(142)


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / ".store")


def put(store: Store, key: str = "ab" * 32, data: bytes = FRAMES) -> None:
    marks = [Mark(0, 5, "Hi.")]
    store.put(key, data, frames=1, samples_per_frame=576, sample_rate=22050, marks=marks)


def test_a_stored_part_comes_back_with_its_frames(store):
    put(store)
    part, data = store.load("ab" * 32)
    assert data == FRAMES
    assert (part.frames, part.size, part.marks) == (1, len(FRAMES), (Mark(0, 5, "Hi."),))
    assert store.get("ab" * 32) == part
    assert store.get("cd" * 32) is None


def damage(audio: Path, data: bytes) -> None:
    """Write `data` over the file in place, with a later time than it had (file times
    can be as coarse as a few milliseconds)."""
    stat = audio.stat()
    audio.write_bytes(data)
    os.utime(audio, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1000))


def test_a_damaged_entry_is_a_miss(store):
    put(store)
    audio = store.audio_path("ab" * 32)
    damage(audio, FRAMES[:-1] + b"\x01")  # the same size, other bytes
    assert store.get("ab" * 32) is None
    put(store)
    damage(audio, FRAMES[:-1])
    assert store.get("ab" * 32) is None


def test_an_entry_is_read_once_while_its_files_are_unchanged(store, monkeypatch):
    put(store)
    part = store.get("ab" * 32)
    monkeypatch.setattr(Store, "load", lambda self, key: pytest.fail("read again"))
    assert store.get("ab" * 32) == part  # written (and so known) by this process
    monkeypatch.undo()
    damage(store.audio_path("ab" * 32), FRAMES[:-1] + b"\x01")
    assert store.get("ab" * 32) is None  # changed since: checked, and found damaged
