"""serve: the preview server sends files, byte ranges and podcast types, and nothing else."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from audio.serve import byte_range, make_server

MP3 = bytes(range(256)) * 40  # 10 240 bytes


@pytest.fixture
def output(tmp_path) -> Path:
    out = tmp_path / "output"
    (out / "an-76").mkdir(parents=True)
    (out / "an-76" / "an-76.mp3").write_bytes(MP3)
    (out / "an-76" / "chapters.json").write_text('{"version": "1.2.0", "chapters": []}\n')
    (out / "an-76" / "transcript.vtt").write_text("WEBVTT\n")
    (out / "an-76" / "index.html").write_text("<!DOCTYPE html><title>AN 76</title>\n")
    (out / "feed.xml").write_text("<rss/>\n")
    (out / "empty.mp3").write_bytes(b"")
    (out / ".store").mkdir()
    (out / ".store" / "part.mp3").write_bytes(b"cache")
    (tmp_path / "secret.txt").write_text("secret")
    (out / "link.txt").symlink_to(tmp_path / "secret.txt")
    return out


@pytest.fixture
def server(output) -> Iterator[str]:
    lines: list[str] = []
    srv = make_server(output, port=0, log=lines.append)
    thread = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield srv.url
    finally:
        srv.shutdown()
        srv.server_close()
    assert lines  # every request was logged through `log`


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def raw_get(base: str, path: str) -> int:
    """The status of a GET of `path` sent as is (urllib would clean up `..`)."""
    host, port = base.removeprefix("http://").rstrip("/").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def test_full_get(server):
    status, headers, body = get(server + "an-76/an-76.mp3")

    assert status == 200
    assert body == MP3
    assert headers["Content-Type"] == "audio/mpeg"
    assert headers["Content-Length"] == str(len(MP3))
    assert headers["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize(
    "header, first, last",
    [
        ("bytes=0-0", 0, 0),
        ("bytes=0-99", 0, 99),
        ("bytes=100-4095", 100, 4095),
        ("bytes=10000-", 10000, 10239),
        ("bytes=10000-99999", 10000, 10239),
        ("bytes=-240", 10000, 10239),
        ("bytes=-99999", 0, 10239),
        ("bytes=10239-10239", 10239, 10239),
    ],
)
def test_ranges(server, header, first, last):
    status, headers, body = get(server + "an-76/an-76.mp3", {"Range": header})

    assert status == 206
    assert body == MP3[first : last + 1]
    assert headers["Content-Range"] == f"bytes {first}-{last}/{len(MP3)}"
    assert headers["Content-Length"] == str(last - first + 1)
    assert headers["Content-Type"] == "audio/mpeg"


@pytest.mark.parametrize("header", ["bytes=10240-", "bytes=20000-30000", "bytes=-0"])
def test_unsatisfiable_range(server, header):
    status, headers, body = get(server + "an-76/an-76.mp3", {"Range": header})

    assert status == 416
    assert headers["Content-Range"] == f"bytes */{len(MP3)}"
    assert body == b""


def test_range_of_an_empty_file_is_unsatisfiable(server):
    assert get(server + "empty.mp3", {"Range": "bytes=0-"})[0] == 416
    status, headers, body = get(server + "empty.mp3")
    assert (status, headers["Content-Length"], body) == (200, "0", b"")


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "bytes=5-1", "items=0-1", "bytes=abc"])
def test_ranges_this_server_ignores_get_the_whole_file(server, header):
    status, _, body = get(server + "an-76/an-76.mp3", {"Range": header})

    assert (status, body) == (200, MP3)


def test_head_sends_headers_only(server):
    request = urllib.request.Request(server + "an-76/an-76.mp3", method="HEAD")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Length"] == str(len(MP3))
        assert response.read() == b""


@pytest.mark.parametrize(
    "path, content_type",
    [
        ("feed.xml", "application/rss+xml; charset=utf-8"),
        ("an-76/chapters.json", "application/json"),
        ("an-76/transcript.vtt", "text/vtt; charset=utf-8"),
        ("an-76/", "text/html; charset=utf-8"),
    ],
)
def test_content_types(server, path, content_type):
    status, headers, _ = get(server + path)

    assert status == 200
    assert headers["Content-Type"] == content_type


def test_directory_is_its_index_page(server):
    assert get(server + "an-76/")[2] == b"<!DOCTYPE html><title>AN 76</title>\n"
    status, _, body = get(server + "an-76")  # redirected to an-76/
    assert (status, body) == (200, b"<!DOCTYPE html><title>AN 76</title>\n")


def test_listing_hides_dot_files(server):
    status, _, body = get(server)

    assert status == 200
    assert b"feed.xml" in body
    assert b".store" not in body


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/an-76/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/an-76/%2E%2E/%2E%2E/secret.txt",
        "/..%2fsecret.txt",
        "/link.txt",
        "/.store/part.mp3",
        "/missing.mp3",
        "//etc/passwd",
    ],
)
def test_nothing_outside_output_is_served(server, path):
    assert raw_get(server, path) in (403, 404)


def test_other_methods_are_refused(server):
    request = urllib.request.Request(server + "feed.xml", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(request, timeout=10)
    assert e.value.code == 501


def test_byte_range_is_total():
    for header in (None, "", "bytes=", "bytes=-", "bytes=1-2-3", "bytes= 1-2"):
        assert byte_range(header, 10) is None


# --------------------------------------------------------------------------- the command


def test_command_serves_until_ctrl_c(output):
    process = subprocess.Popen(
        [sys.executable, "-m", "audio", "--output", str(output), "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A background job may inherit an ignored SIGINT; a user's terminal does not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        cwd=output.parent,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        first = process.stdout.readline()
        assert first.startswith(f"Serving {output}/ at http://127.0.0.1:")
        url = first.split(" at ", 1)[1].strip()
        lines = [process.stdout.readline() for _ in range(4)]
        assert lines[0] == f"Feed:  {url}feed.xml\n"
        assert lines[1] == f"Pages: {url}index.html\n"
        assert lines[2].startswith("Note: the feed's links point to http://localhost:8000/")
        assert lines[3] == "Press Ctrl-C to stop.\n"
        assert get(url + "an-76/an-76.mp3", {"Range": "bytes=0-9"})[2] == MP3[:10]
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)

    assert process.returncode == 0
    assert "Traceback" not in err
    assert err.endswith("Stopped.\n")
