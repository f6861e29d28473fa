"""config: show settings, their defaults, and one-line errors that name the key."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from audio.config import _CHOICES, _TYPES, Config, load_config
from audio.errors import ConfigError
from audio.script import CITATION_MODES


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "show.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_setting_has_a_type():
    assert set(_TYPES) == {f.name for f in fields(Config)}


def test_missing_file_gives_defaults(tmp_path):
    config = load_config(tmp_path / "show.toml")
    assert config == Config()
    assert (config.voice, config.rate, config.bitrate) == ("gmw/en-us", 170, 64)


def test_settings_are_read(tmp_path):
    (tmp_path / "cover.png").write_bytes(b"png")
    path = _write(
        tmp_path,
        'title = "My Show"\nbase_url = "https://example.org/pod/"\nrate = 180\nvolume = 1\n'
        'explicit = true\nartwork = "cover.png"\nsections = ["Policy corner"]\n'
        '[lexicon]\nRohin = "Roe hin"\n',
    )
    config = load_config(path)
    assert config.title == "My Show"
    assert config.rate == 180 and config.volume == 1.0 and config.explicit is True
    assert config.artwork == (tmp_path / "cover.png").resolve()
    assert config.sections == ("Policy corner",)
    assert config.lexicon == (("Rohin", "Roe hin"),)


@pytest.mark.parametrize(
    "text, message",
    [
        ('titel = "x"', r"unknown setting 'titel' \(did you mean 'title'\?\)"),
        ('rate = "fast"', r"setting 'rate' must be an integer, not 'fast'"),
        ("rate = true", r"setting 'rate' must be an integer, not True"),
        ("explicit = 1", r"setting 'explicit' must be true or false"),
        ('base_url = "ftp://x"', r"setting 'base_url' must be an http\(s\) URL"),
        ("bitrate = 65", r"setting 'bitrate' must be one of 32, 40"),
        ('artwork = "nope.png"', r"setting 'artwork': no such file"),
        ("title = ", r"invalid TOML: .*line 1, column"),
        ("[lexicon]\nRohin = 3", r"lexicon entry 'Rohin' must map a word to a respelling"),
        ('citations = "speak"', r"setting 'citations' must be one of 'drop', 'read', not 'speak'"),
        ("citations = true", r"setting 'citations' must be a string, not True"),
        ("loudness = -40", r"setting 'loudness' must be between -30 and -10 LUFS, not -40.0"),
        ("loudness = true", r"setting 'loudness' must be a number \(LUFS\) or false, not true"),
        ('loudness = "off"', r"setting 'loudness' must be a number \(LUFS\) or false, not 'off'"),
    ],
)
def test_bad_settings_name_the_key(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "text, loudness", [("", -16.0), ("loudness = -19", -19.0), ("loudness = false", None)]
)
def test_loudness_setting(tmp_path, text, loudness):
    assert load_config(_write(tmp_path, text)).loudness == loudness


@pytest.mark.parametrize(
    "text, citations",
    [("", "drop"), ('citations = "drop"', "drop"), ('citations = "read"', "read")],
)
def test_citations_setting(tmp_path, text, citations):
    assert load_config(_write(tmp_path, text)).citations == citations


def test_citation_choices_are_the_script_modes():
    assert set(_CHOICES["citations"]) == set(CITATION_MODES)
