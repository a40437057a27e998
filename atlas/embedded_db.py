"""The embedded PostgreSQL 16 + pgvector (pgserver) used when no DATABASE_URL is set.

The server is started detached (``cleanup_mode=None``) so that the web process, the Celery
worker and the test runner all attach to the same postmaster, and no process exit stops it
under the others (pgserver's own pid bookkeeping leaks servers when a process is SIGKILLed).
``python -m atlas.embedded_db start|stop|url`` is what the Makefile calls.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    return Path(os.environ.get("ATLAS_DATA_DIR") or BASE_DIR / ".atlas")


def pgdata_dir() -> Path:
    return data_dir() / "pgdata"


def database_url() -> str:
    """Start the embedded server if it is not running, and return its URL."""
    # pgserver logs its start/stop at INFO, also from atexit hooks after streams are closed.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        # Without XDG_RUNTIME_DIR, platformdirs warns before falling back to a temp folder.
        warnings.simplefilter("ignore")
        import pgserver

        pgdata = pgdata_dir()
        pgdata.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(pgdata, cleanup_mode=None)
        return server.get_uri()


def connection_url(settings_dict: dict) -> str:
    """A DATABASE_URL for another process (a worker, gunicorn) to reach the same database.

    ``settings_dict`` is a Django connection's settings (after a test runner has switched it to
    its test database, the URL names that database).
    """
    from urllib.parse import quote

    host = settings_dict["HOST"] or settings_dict["OPTIONS"].get("host", "")
    user = quote(settings_dict["USER"] or "")
    password = quote(settings_dict["PASSWORD"] or "")
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    if host.startswith("/"):  # a unix socket, as the embedded server uses
        return f"postgresql://{user}:{password}@/{settings_dict['NAME']}?host={quote(host)}"
    return f"postgresql://{user}:{password}@{host}{port}/{settings_dict['NAME']}"


def stop() -> None:
    pgdata = pgdata_dir()
    if not (pgdata / "postmaster.pid").exists():
        return
    import pgserver  # noqa: F401  (locates the bundled pg_ctl)
    from pgserver._commands import pg_ctl

    # As root, pgserver runs the server as its own system user, and pg_ctl refuses root.
    as_user = {"user": "pgserver"} if os.geteuid() == 0 else {}
    pg_ctl(["-w", "stop"], pgdata=pgdata, **as_user)
    handle_pids = pgdata / ".handle_pids.json"
    if handle_pids.exists():
        handle_pids.write_text("[]")


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "url"
    if command in ("start", "url"):
        url = database_url()
        if command == "url":
            print(url)
        else:
            print(f"embedded PostgreSQL running in {pgdata_dir()}")
        return 0
    if command == "stop":
        stop()
        return 0
    print(f"usage: python -m atlas.embedded_db start|stop|url (got {command!r})", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
