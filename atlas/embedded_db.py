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


def stop() -> None:
    pgdata = pgdata_dir()
    if not (pgdata / "postmaster.pid").exists():
        return
    import pgserver  # noqa: F401  (locates the bundled pg_ctl)
    from pgserver._commands import pg_ctl

    pg_ctl(["-D", str(pgdata), "-w", "stop"], pgdata=pgdata)
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
