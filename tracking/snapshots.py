"""Open Terms Archive's recorded snapshots (``shared/ota/snapshots``): cases to check against.

Each case is one document with its declaration and captures; each capture lists the page files
as fetched and the Markdown OTA recorded from them (or none: a no-op). The bench and the tests
read them here, serve their pages from 127.0.0.1 (``serve_captures``: the tracker still fetches
the declared URLs, a ``RewriteTransport`` sends them to the local server) and score our
extraction with the two measures below.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from tracking.fetch import checked_transport


@dataclass(frozen=True)
class SnapshotFile:
    url: str
    path: Path
    content_type: str
    sha256: str

    def read(self) -> bytes:
        data = self.path.read_bytes()
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise ValueError(f"{self.path}: sha256 differs from the manifest")
        return data


@dataclass(frozen=True)
class SnapshotCapture:
    number: int
    fetched_at: str
    files: list[SnapshotFile]
    expected: Path | None  # None: OTA recorded no version from this capture


@dataclass(frozen=True)
class SnapshotCase:
    id: str
    service: str
    terms_type: str
    declaration: dict
    features: dict
    captures: list[SnapshotCapture]


def read_cases(folder: Path) -> list[SnapshotCase]:
    cases = []
    for entry in json.loads((folder / "manifest.json").read_text(encoding="utf-8")):
        captures = [
            SnapshotCapture(
                number=number,
                fetched_at=capture["fetched_at"],
                files=[
                    SnapshotFile(f["url"], folder / f["path"], f["content_type"], f["sha256"])
                    for f in capture["files"]
                ],
                expected=folder / capture["expected_version"]["file"]
                if capture["expected_version"]
                else None,
            )
            for number, capture in enumerate(entry["captures"], start=1)
        ]
        cases.append(
            SnapshotCase(
                id=entry["id"],
                service=entry["service"],
                terms_type=entry["terms_type"],
                declaration=entry["declaration"],
                features=entry["features"],
                captures=captures,
            )
        )
    return cases


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def line_match(ours: str, theirs: str) -> float:
    """SequenceMatcher ratio over the non-blank, stripped lines."""
    return difflib.SequenceMatcher(None, _lines(ours), _lines(theirs), autojunk=False).ratio()


def word_match(ours: str, theirs: str) -> float:
    return difflib.SequenceMatcher(None, ours.split(), theirs.split(), autojunk=False).ratio()


class _Handler(BaseHTTPRequestHandler):
    """Answers ``server.routes[path]``: (status, headers, body), or a callable(handler)."""

    def do_GET(self):
        route = self.server.routes.get(self.path)
        self.server.requests.append((self.path, dict(self.headers)))
        if callable(route):
            return route(self)
        status, headers, body = route or (404, {}, b"not here")
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextmanager
def local_server(host: str = "127.0.0.1") -> Iterator[ThreadingHTTPServer]:
    """A real HTTP server on a loopback address; ``server.url(path)`` is its URL for ``path``."""
    server = ThreadingHTTPServer((host, 0), _Handler)
    server.daemon_threads = True
    server.routes, server.requests = {}, []
    server.url = lambda path: f"http://{host}:{server.server_port}{path}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serve_captures(captures: list[SnapshotCapture]) -> Iterator[dict[str, str]]:
    """Serve these captures' files from 127.0.0.1; yields {declared URL + "#n": local URL}."""
    mapping = {}
    with local_server() as server:
        for capture in captures:
            for file in capture.files:
                path = f"/{capture.number}/{file.path.name}"
                server.routes[path] = (200, {"Content-Type": file.content_type}, file.read())
                mapping[f"{file.url}#{capture.number}"] = server.url(path)
        yield mapping


class RewriteTransport(httpx.BaseTransport):
    """Sends requests for declared URLs elsewhere, through the tracker's checked transport."""

    def __init__(self, mapping: dict[str, str]):
        self.mapping = mapping
        self.inner = checked_transport()

    def handle_request(self, request):
        target = self.mapping.get(str(request.url), str(request.url))
        headers = [(k, v) for k, v in request.headers.items() if k.lower() != "host"]
        return self.inner.handle_request(httpx.Request(request.method, target, headers=headers))

    def close(self):
        self.inner.close()
