"""Show settings: `issues/show.toml`, read with tomllib into a frozen `Config`.

Every key has a default, so a bare `issues/` folder works. An unknown key or a value
of the wrong type is a `ConfigError` naming the key (and the file, line and column for
invalid TOML).
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from audio.errors import ConfigError

SETTINGS_FILE = "show.toml"

# Characters no setting may hold: XML 1.0 (the feed) and file names cannot carry them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")

# Bit rates an MPEG-1 Layer III stream (44.1 kHz) can have, in kbit/s.
# The chime between sections plays inside the section pause (stitch.min_chime_lead()).
MIN_CHIME_PAUSE = 0.8
MP3_BITRATES = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)


@dataclass(frozen=True)
class Config:
    """The show's settings, with their defaults."""

    title: str = "Newsletter Audio Edition"
    description: str = "Each issue of the newsletter, read aloud, with chapters."
    author: str = "audio-edition"
    email: str = "editor@example.com"
    link: str = ""
    base_url: str = "http://localhost:8000/"
    language: str = "en"
    category: str = "Technology"
    explicit: bool = False
    artwork: Path | None = None
    voice: str = "gmw/en-us"
    rate: int = 170
    opinion_voice: str = "gmw/en-us+f3"
    opinion_rate: int = 170
    volume: float = 1.0
    bitrate: int = 64
    loudness: float | None = -16.0  # None: espeak-ng's own levels, not normalized
    chime: bool = True
    intro_music: Path | None = None
    outro_music: Path | None = None
    pause: float = 0.6
    section_pause: float = 1.4
    timeout: float = 120.0
    sections: tuple[str, ...] = ()
    citations: str = "drop"
    lexicon: tuple[tuple[str, str], ...] = field(default=())

    @property
    def site_link(self) -> str:
        """The show's web page: `link` when given, else the base URL."""
        return self.link or self.base_url


_TYPES: dict[str, tuple[type, ...]] = {
    "title": (str,),
    "description": (str,),
    "author": (str,),
    "email": (str,),
    "link": (str,),
    "base_url": (str,),
    "language": (str,),
    "category": (str,),
    "explicit": (bool,),
    "artwork": (str,),
    "voice": (str,),
    "rate": (int,),
    "opinion_voice": (str,),
    "opinion_rate": (int,),
    "volume": (int, float),
    "bitrate": (int,),
    "loudness": (int, float, bool),  # a number of LUFS, or false
    "chime": (bool,),
    "intro_music": (str,),
    "outro_music": (str,),
    "pause": (int, float),
    "section_pause": (int, float),
    "timeout": (int, float),
    "sections": (list,),
    "citations": (str,),
    "lexicon": (dict,),
}
# Settings that take one of a few words.
_CHOICES: dict[str, tuple[str, ...]] = {
    "citations": ("drop", "read"),  # "( AN #58 )": left out, or "from Alignment Newsletter 58"
}
# How an error says what a setting must be, where its types' names below would mislead.
_TYPE_TEXTS = {"loudness": "a number (LUFS) or false"}
_TYPE_NAMES = {
    str: "a string",
    bool: "true or false",
    int: "an integer",
    float: "a number",
    list: "a list of strings",
    dict: "a table of word = respelling",
}


def load_config(path: Path) -> Config:
    """Read show settings from `path`; defaults when the file does not exist."""
    if not path.exists():
        return Config()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read: {e}") from e
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {_where(str(e), text)}") from e
    return config_from_mapping(data, source=path)


def _where(message: str, text: str) -> str:
    """tomllib's message, with "at end of document" turned into a line and column."""
    lines = text.split("\n")
    return message.replace(
        "at end of document", f"at line {len(lines)}, column {len(lines[-1]) + 1}"
    )


def config_from_mapping(data: Mapping[str, Any], *, source: Path) -> Config:
    """Check keys and types of parsed settings and build a `Config`."""
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in _TYPES:
            raise ConfigError(f"{source}: unknown setting {key!r}{_did_you_mean(key)}")
        _check_type(source, key, value)
        _check_choice(source, key, value)
        values[key] = value
    return _convert(values, source)


def _did_you_mean(key: str) -> str:
    close = difflib.get_close_matches(key, _TYPES, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_type(source: Path, key: str, value: Any) -> None:
    wanted = _TYPES[key]
    # bool is a subclass of int in Python; TOML true is not a number.
    if (isinstance(value, bool) and bool not in wanted) or not isinstance(value, wanted):
        names = _TYPE_TEXTS.get(key) or " or ".join(_TYPE_NAMES[t] for t in wanted)
        raise ConfigError(f"{source}: setting {key!r} must be {names}, not {value!r}")
    texts = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    if any(isinstance(t, str) and _CONTROL.search(t) for t in texts):
        raise ConfigError(f"{source}: setting {key!r} contains a control character")


def _check_choice(source: Path, key: str, value: Any) -> None:
    choices = _CHOICES.get(key)
    if choices is not None and value not in choices:
        names = ", ".join(repr(c) for c in choices)
        raise ConfigError(f"{source}: setting {key!r} must be one of {names}, not {value!r}")


def _convert(values: dict[str, Any], source: Path) -> Config:
    for key in ("artwork", "intro_music", "outro_music"):
        if key in values:
            values[key] = (source.parent / values[key]).resolve() if values[key] else None
    if "sections" in values:
        if not all(isinstance(s, str) and s.strip() for s in values["sections"]):
            raise ConfigError(f"{source}: setting 'sections' must be a list of section names")
        values["sections"] = tuple(s.strip() for s in values["sections"])
    if "lexicon" in values:
        values["lexicon"] = _lexicon(source, values["lexicon"])
    if values.get("loudness") is True:
        wanted = _TYPE_TEXTS["loudness"]
        raise ConfigError(f"{source}: setting 'loudness' must be {wanted}, not true")
    if values.get("loudness") is False:
        values["loudness"] = None
    for key in ("volume", "loudness", "pause", "section_pause", "timeout"):
        if values.get(key) is not None:
            values[key] = float(values[key])
    config = Config(**values)
    _check_values(source, config)
    return config


def _lexicon(source: Path, table: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    entries = []
    for word, respelling in table.items():
        if not isinstance(respelling, str) or not respelling.strip() or not word.strip():
            raise ConfigError(
                f"{source}: lexicon entry {word!r} must map a word to a respelling string"
            )
        entries.append((word, respelling))
    return tuple(sorted(entries))


def _check_values(source: Path, c: Config) -> None:
    problems = []
    for key in ("title", "description", "author", "voice"):
        if not getattr(c, key).strip():
            problems.append(f"setting {key!r} must not be empty")
    if c.email.strip() and not _EMAIL.fullmatch(c.email.strip()):
        problems.append(f"setting 'email' must be an e-mail address, not {c.email!r}")
    if not _LANGUAGE.fullmatch(c.language.strip()):
        problems.append(
            f"setting 'language' must be a language code such as 'en', not {c.language!r}"
        )
    if urlsplit(c.base_url).scheme not in ("http", "https") or not urlsplit(c.base_url).netloc:
        problems.append(f"setting 'base_url' must be an http(s) URL, not {c.base_url!r}")
    if c.link and urlsplit(c.link).scheme not in ("http", "https"):
        problems.append(f"setting 'link' must be an http(s) URL, not {c.link!r}")
    if c.bitrate not in MP3_BITRATES:
        problems.append(
            f"setting 'bitrate' must be one of {', '.join(map(str, MP3_BITRATES))} (kbit/s), "
            f"not {c.bitrate}"
        )
    for key in ("rate", "opinion_rate"):
        if not 80 <= getattr(c, key) <= 450:
            problems.append(
                f"setting {key!r} must be between 80 and 450 words per minute, "
                f"not {getattr(c, key)}"
            )
    if c.loudness is not None and not -30 <= c.loudness <= -10:
        problems.append(f"setting 'loudness' must be between -30 and -10 LUFS, not {c.loudness}")
    if c.chime and c.section_pause < MIN_CHIME_PAUSE:
        problems.append(
            f"setting 'section_pause' must be at least {MIN_CHIME_PAUSE} seconds "
            "to fit the chime (or set chime = false)"
        )
    for key in ("intro_music", "outro_music"):
        music = getattr(c, key)
        if music is not None and not music.is_file():
            problems.append(f"setting {key!r}: no such file {music}")
    if not 0.1 <= c.volume <= 1.0:
        problems.append(f"setting 'volume' must be between 0.1 and 1.0, not {c.volume}")
    for key in ("pause", "section_pause"):
        if not 0 <= getattr(c, key) <= 10:
            problems.append(f"setting {key!r} must be between 0 and 10 seconds")
    if not (math.isfinite(c.timeout) and c.timeout > 0):
        problems.append("setting 'timeout' must be a positive number of seconds")
    if c.artwork is not None:
        if not c.artwork.is_file():
            problems.append(f"setting 'artwork': no such file {c.artwork}")
        elif c.artwork.suffix.lower() not in (".png", ".jpg", ".jpeg"):
            problems.append(f"setting 'artwork' must be a .png or .jpg file, not {c.artwork.name}")
    if problems:
        raise ConfigError(f"{source}: {problems[0]}")
