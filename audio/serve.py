"""serve: preview `output/` over HTTP on this machine, as podcast apps and browsers see it.

`PreviewServer` is a `ThreadingHTTPServer` that serves the files of one folder, read
only (GET and HEAD). It answers single byte-range requests (`Range: bytes=a-b`,
`bytes=a-`, `bytes=-n`) with 206 and `Content-Range`, which players need to seek in an
MP3, and 416 when the range lies outside the file; it gives podcast types
(`audio/mpeg`, `application/rss+xml`, `text/vtt`, ...). Nothing outside the folder is
served: not through `..`, not through a symbolic link, and not its dot files (the
`.store` cache, temporary files).

A directory is served as its `index.html`, or else as a plain listing. Request lines
go to the `log` callable given to the server, not to a stream.
"""

from __future__ import annotations

import html
import os
import re
import socket
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

CHUNK = 64 * 1024
TYPES = {
    ".mp3": "audio/mpeg",
    ".xml": "application/rss+xml; charset=utf-8",
    ".vtt": "text/vtt; charset=utf-8",
    ".srt": "application/x-subrip; charset=utf-8",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}
DEFAULT_TYPE = "application/octet-stream"
INDEX = "index.html"

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


class PreviewServer(ThreadingHTTPServer):
    """An HTTP server for the files under `root`; `log` gets one line per request."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        root: Path,
        *,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.root = root.resolve()
        self.log = log
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, PreviewHandler)

    @property
    def url(self) -> str:
        """The base URL the server answers at, with a trailing slash."""
        host, port = self.server_address[:2]
        if ":" in str(host):
            host = f"[{host}]"
        return f"http://{host}:{port}/"


def byte_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """The inclusive (first, last) bytes a `Range` header asks of a `size`-byte file.

    None means "send the whole file" (no header, a header this server ignores such as
    several ranges, or one it cannot read, as RFC 9110 allows); "unsatisfiable" means
    the range lies outside the file (416).

    >>> byte_range("bytes=0-99", 1000), byte_range("bytes=900-", 1000)
    ((0, 99), (900, 999))
    >>> byte_range("bytes=-100", 1000), byte_range("bytes=500-5000", 1000)
    ((900, 999), (500, 999))
    >>> byte_range("bytes=1000-", 1000), byte_range("bytes=-0", 1000)
    ('unsatisfiable', 'unsatisfiable')
    >>> byte_range(None, 10), byte_range("bytes=0-1,5-6", 10), byte_range("bytes=5-1", 10)
    (None, None, None)
    """
    if header is None:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        if suffix == 0 or size == 0:
            return "unsatisfiable"
        return max(size - suffix, 0), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        return "unsatisfiable"
    return start, min(end, size - 1)


class PreviewHandler(BaseHTTPRequestHandler):
    """Serves GET and HEAD for files under the server's root, with byte ranges."""

    server: PreviewServer
    server_version = "audio-edition"
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        """Send a file, part of one, a directory's page, or an error."""
        self._respond(body=True)

    def do_HEAD(self) -> None:
        """Send the headers a GET would."""
        self._respond(body=False)

    def log_message(self, format: str, *args: object) -> None:
        """Hand the request line to the server's `log`, if any."""
        if self.server.log is not None:
            self.server.log(f"{self.address_string()} {format % args}")

    def _respond(self, *, body: bool) -> None:
        try:
            path = self._local_path()
            if path is None:
                self._error(HTTPStatus.NOT_FOUND, body)
            elif path.is_dir():
                self._directory(path, body)
            else:
                self._file(path, body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # players drop connections when they seek

    def _local_path(self) -> Path | None:
        """The file or folder the request names, or None if it is not servable."""
        names = unquote(urlsplit(self.path).path).split("/")
        if any(n in (".", "..") or n.startswith(".") or "\\" in n or "\0" in n for n in names):
            return None
        path = self.server.root.joinpath(*[n for n in names if n])
        try:
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if not resolved.is_relative_to(self.server.root):
            return None
        return resolved

    def _directory(self, path: Path, body: bool) -> None:
        if not urlsplit(self.path).path.endswith("/"):
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", urlsplit(self.path).path + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        index = (path / INDEX).resolve()
        if index.is_file() and index.is_relative_to(self.server.root):
            self._file(index, body)
            return
        names = sorted(
            p.name + ("/" if p.is_dir() else "")
            for p in path.iterdir()
            if not p.name.startswith(".")
        )
        items = "".join(f'<li><a href="{quote(n)}">{html.escape(n)}</a></li>\n' for n in names)
        page = (
            '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Files</title></head>'
            f"<body><ul>\n{items}</ul></body></html>\n"
        ).encode()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", TYPES[".html"])
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        if body:
            self.wfile.write(page)

    def _file(self, path: Path, body: bool) -> None:
        try:
            f = open(path, "rb")  # noqa: SIM115 - closed below, after the headers
        except OSError:
            self._error(HTTPStatus.NOT_FOUND, body)
            return
        with f:
            stat = os.fstat(f.fileno())
            size = stat.st_size
            wanted = byte_range(self.headers.get("Range"), size)
            if wanted == "unsatisfiable":
                self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if wanted is None:
                first, last = 0, size - 1
                self.send_response(HTTPStatus.OK)
            else:
                assert isinstance(wanted, tuple)
                first, last = wanted
                self.send_response(HTTPStatus.PARTIAL_CONTENT)
                self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
            length = last - first + 1
            self.send_header("Content-Type", TYPES.get(path.suffix.lower(), DEFAULT_TYPE))
            self.send_header("Content-Length", str(length))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Last-Modified", self.date_time_string(int(stat.st_mtime)))
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            if body and length > 0:
                f.seek(first)
                _copy(f, self.wfile, length)

    def _error(self, status: HTTPStatus, body: bool) -> None:
        page = f"{status.value} {status.phrase}\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        if body:
            self.wfile.write(page)


def _copy(source, target, length: int) -> None:
    """Copy `length` bytes from `source` to `target` in chunks."""
    left = length
    while left > 0:
        chunk = source.read(min(CHUNK, left))
        if not chunk:
            break
        target.write(chunk)
        left -= len(chunk)


_LOOPBACK = ("localhost", "127.0.0.1", "::1")


def reaches(base_url: str, host: str, port: int) -> bool:
    """Whether links under `base_url` (the feed's) lead to a server on `host`:`port`.

    >>> reaches("http://localhost:8000/", "127.0.0.1", 8000)
    True
    >>> reaches("http://localhost:8000/", "127.0.0.1", 8001)
    False
    >>> reaches("https://pod.example.org/an/", "127.0.0.1", 8000)
    False
    """
    parts = urlsplit(base_url)
    if parts.scheme != "http" or (parts.port or 80) != port:
        return False
    name = (parts.hostname or "").lower()
    return name == host.lower() or (name in _LOOPBACK and host in (*_LOOPBACK, "0.0.0.0", "::"))


def make_server(
    root: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    log: Callable[[str], None] | None = None,
) -> PreviewServer:
    """A preview server for `root` bound to `host`:`port` (0 picks a free port); not started.

    Call `serve_forever()` on it, and `server_close()` when done.
    """
    return PreviewServer((host, port), root, log=log)
