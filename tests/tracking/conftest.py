import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import DEFAULT_SHARED, shared_path


@pytest.fixture(scope="session")
def snapshots_dir():
    return shared_path("ATLAS_OTA_SNAPSHOTS", DEFAULT_SHARED / "ota" / "snapshots")


@pytest.fixture(scope="session")
def snapshot_cases(snapshots_dir):
    return json.loads((snapshots_dir / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _tracking_settings(settings, tmp_path):
    settings.ATLAS_SNAPSHOTS_DIR = tmp_path / "snapshots"
    settings.TRACKING_ALLOWED_ADDRESSES = ["127.0.0.1"]
    settings.TRACKING_RETRIES = 0
    settings.TRACKING_HOST_INTERVAL = 0
    settings.TRACKING_TIMEOUT = 2
    settings.TRACKING_DEADLINE = 3


class Handler(BaseHTTPRequestHandler):
    """Serves ``server.routes[path]``: (status, headers, body), or a callable(handler)."""

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
def serve(host: str):
    server = ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    server.routes, server.requests = {}, []
    server.url = lambda path: f"http://{host}:{server.server_port}{path}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def web():
    """A real HTTP server on 127.0.0.1; ``web.url(path)`` is its address for ``path``."""
    with serve("127.0.0.1") as server:
        yield server


@pytest.fixture
def other_web():
    """A second server, on another loopback address (127.0.0.2)."""
    with serve("127.0.0.2") as server:
        yield server
