"""cover: the generated default cover and the checks on the editor's artwork."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from audio.cover import default_cover, show_artwork
from audio.errors import ConfigError


def test_default_cover_meets_apple_requirements():
    data = default_cover("Alignment Newsletter Audio")
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size, image.mode) == ("PNG", (1400, 1400), "RGB")
    assert default_cover("Alignment Newsletter Audio") == data
    assert default_cover("Another Show") != data


def test_published_name_follows_the_content():
    first = show_artwork(None, "Show A")
    assert first.name.startswith("cover-") and first.name.endswith(".png")
    assert show_artwork(None, "Show A").name == first.name
    assert show_artwork(None, "Show B").name != first.name


def _image(tmp_path, size, fmt="PNG", mode="RGB", name="art.png"):
    path = tmp_path / name
    Image.new(mode, size, (10, 20, 30) if mode == "RGB" else 0).save(path, format=fmt)
    return path


def test_configured_artwork_is_published_with_its_type(tmp_path):
    artwork = show_artwork(_image(tmp_path, (1500, 1500), "JPEG", name="Cover.JPG"), "x")
    assert artwork.name.endswith(".jpg")


@pytest.mark.parametrize(
    "size, mode, message",
    [
        ((1400, 1000), "RGB", "is 1400x1000; podcast apps want a square"),
        ((800, 800), "RGB", "is 800x800"),
        ((1400, 1400), "CMYK", None),
    ],
)
def test_artwork_that_apps_refuse_is_an_error(tmp_path, size, mode, message):
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    path = _image(tmp_path, size, fmt, mode, name="art.jpg" if fmt == "JPEG" else "art.png")
    with pytest.raises(ConfigError, match=message or "must be RGB"):
        show_artwork(path, "x")


def test_a_generated_cover_is_drawn_once_and_kept(tmp_path):
    cache = tmp_path / "covers"
    first = show_artwork(None, "Kept Show", cache)
    (kept,) = cache.iterdir()
    assert kept.read_bytes() == first.data == default_cover("Kept Show")
    show_artwork.cache_clear()  # a new build: the cover comes from the cache, not drawn
    kept.write_bytes(b"as kept")
    assert show_artwork(None, "Kept Show", cache).data == b"as kept"
    assert show_artwork(None, "Other Show", cache).data == default_cover("Other Show")
    assert len(list(cache.iterdir())) == 2
