"""Real parts for the alerts tests: an SMTP server (aiosmtpd) and a webhook receiver
(http.server), both on loopback, and a small world of judged provision changes."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.authtoken.models import Token

from alerts.models import EmailSubscription
from changes.significance import refresh_changes
from provisions.ingest import import_sources
from provisions.models import Document
from tests.factories import write_acme

# Three versions of Acme's policy: two substantive changes (a prohibition added in each new
# version) and a cosmetic one (a curly apostrophe), with characters HTML must escape.
V1 = "# Policy\n\n- Do not generate malware.\n- You can't resell access to the service.\n"
V2 = (
    V1.replace("can't", "can’t") + "- Do not use the service to impersonate <real> people & pets.\n"
)
V3 = V2 + "- Do not scrape the service with automated agents.\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailCollector:
    """Keeps every message the server accepted. ``stall_after`` = n: the (n+1)th message is
    held unanswered until ``release`` is set, then refused (451), never kept, as a server that
    never answered would."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.stall_after: int | None = None
        self.stalled = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.stall_after is not None and len(self.messages) >= self.stall_after:
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def smtp(settings):
    """A real SMTP server on loopback; Django's SMTP backend sends to it."""
    collector = MailCollector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 10
    settings.ATLAS_SITE_URL = "https://atlas.example"
    collector.port = controller.port
    yield collector
    collector.release.set()
    controller.stop()


class Receiver(ThreadingHTTPServer):
    def __init__(self):
        super().__init__(("127.0.0.1", 0), ReceiverHandler)
        self.requests: list[dict] = []
        self.statuses: list[int] = []  # answered in turn; then 204

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.requests.append({"headers": dict(self.headers), "body": body})
        status = self.server.statuses.pop(0) if self.server.statuses else 204
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver(settings):
    """A webhook receiver on loopback (allowed by ATLAS_WEBHOOK_ALLOW_PRIVATE, tests only)."""
    settings.ATLAS_WEBHOOK_ALLOW_PRIVATE = True
    settings.ALERTS_WEBHOOK_BACKOFF = 1
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def import_acme(folder, *texts) -> Document:
    """Acme's policy in these versions, imported and its changes judged, as the pipeline does."""
    import_sources([str(write_acme(folder, *texts))])
    document = Document.objects.get(platform__slug="acme")
    refresh_changes(document)
    return document


@pytest.fixture
def acme(tmp_path, db):
    """Acme's first version only: nothing changed yet."""
    return import_acme(tmp_path / "v1", V1)


@pytest.fixture
def subscribe(db):
    """A confirmed subscription (as the confirmation view stores it)."""

    def make(email_address="reader@example.org", scope="platform:acme", **choices):
        kind, _, key = scope.partition(":")
        return EmailSubscription.objects.create(
            email=email_address,
            scope_kind=kind,
            scope_key=key,
            confirmed_at=timezone.now(),
            **choices,
        )

    return make


@pytest.fixture
def api_user(db):
    user = User.objects.create_user("client", "client@example.org", None)
    return user, Token.objects.create(user=user).key
