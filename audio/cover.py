"""cover: the show's artwork: the editor's file, or a generated square cover (Pillow).

Apple Podcasts wants square artwork of 1400 to 3000 pixels, JPEG or PNG, RGB. When
the show settings give no artwork, a 1400 x 1400 PNG with the show's title is made.
Published artwork is named after its content (`cover-<hash>.png`), so the URL changes
whenever the artwork does, as Apple asks.
"""

from __future__ import annotations

import functools
import hashlib
import io
import textwrap
from dataclasses import dataclass
from pathlib import Path

from audio.errors import ConfigError
from audio.fsutil import write_bytes_atomic

SIZE = 1400
MIN_SIZE, MAX_SIZE = 1400, 3000
_BACKGROUND = (24, 38, 66)
_ACCENT = (236, 170, 62)
_TEXT = (245, 245, 240)
# Part of the name a generated cover is kept under (`show_artwork`): raise it when
# `default_cover` draws differently.
COVER_VERSION = 1


@dataclass(frozen=True)
class Artwork:
    """Artwork to publish: its bytes and the name it is published under."""

    data: bytes
    name: str


def default_cover(title: str) -> bytes:
    """A square PNG with the show's title over a row of sound bars; the same title, same bytes."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (SIZE, SIZE), _BACKGROUND)
    draw = ImageDraw.Draw(image)
    bars = (3, 6, 10, 7, 12, 5, 9, 14, 8, 4, 11, 6, 3)
    width = SIZE // (2 * len(bars) + 1)
    for i, height in enumerate(bars):
        x = width * (2 * i + 1)
        half = height * 18
        draw.rectangle((x, 1000 - half, x + width - 1, 1000 + half), fill=_ACCENT)
    lines = textwrap.wrap(title, width=16)[:4] or ["Podcast"]
    font = ImageFont.load_default(size=150 if max(map(len, lines)) <= 12 else 110)
    y = 130
    for line in lines:
        left, top, right, bottom = draw.textbbox((0, 0), line, font=font)
        draw.text(((SIZE - (right - left)) / 2 - left, y - top), line, font=font, fill=_TEXT)
        y += (bottom - top) + 40
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


@functools.cache
def show_artwork(artwork: Path | None, title: str, cache: Path | None = None) -> Artwork:
    """The artwork to publish: the configured file (checked), else a generated cover.

    A generated cover is kept in the folder `cache`, when given, and read from there
    the next time: drawing it takes longer than a build where nothing changed.
    """
    if artwork is None:
        data, suffix = _generated_cover(title, cache), ".png"
    else:
        data, suffix = artwork.read_bytes(), _checked_suffix(artwork)
    digest = hashlib.sha256(data).hexdigest()[:12]
    return Artwork(data, f"cover-{digest}{suffix}")


def _generated_cover(title: str, cache: Path | None) -> bytes:
    """`default_cover(title)`, from the folder `cache` when it has it (else kept there)."""
    if cache is None:
        return default_cover(title)
    key = hashlib.sha256(f"{COVER_VERSION}\n{title}".encode()).hexdigest()
    path = cache / f"cover-{key}.png"
    try:
        return path.read_bytes()
    except OSError:
        data = default_cover(title)
        write_bytes_atomic(path, data)
        return data


def _checked_suffix(path: Path) -> str:
    """ ".png" or ".jpg" for a file that meets Apple's artwork requirements."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            fmt, (width, height), mode = image.format, image.size, image.mode
    except (OSError, UnidentifiedImageError) as e:
        raise ConfigError(f"setting 'artwork': {path} is not an image ({e})") from e
    if fmt not in ("PNG", "JPEG"):
        raise ConfigError(f"setting 'artwork': {path} must be a PNG or JPEG image, not {fmt}")
    if width != height or not MIN_SIZE <= width <= MAX_SIZE:
        raise ConfigError(
            f"setting 'artwork': {path} is {width}x{height}; podcast apps want a square of "
            f"{MIN_SIZE} to {MAX_SIZE} pixels"
        )
    if mode not in ("RGB", "P", "L"):
        raise ConfigError(f"setting 'artwork': {path} must be RGB, not {mode}")
    return ".png" if fmt == "PNG" else ".jpg"
