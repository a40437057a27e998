"""First run from an empty data folder: how long until the site answers, the first clause
types exist, every provision in force has been through assignment, and the pipeline is done.

    .venv/bin/python bench/firstrun.py [--timeout SECONDS] [--keep]

Runs ``make run`` as a user would, in a new temporary ATLAS_DATA_DIR (its own PostgreSQL,
broker and ONNX export), bound to ATLAS_BIND (default 127.0.0.1:8088), with ATLAS_SOURCES the
OTA bundle and the corpus (ATLAS_OTA_BUNDLE, ATLAS_CORPUS_DIR; ../shared by default), and
reads what a client sees: ``/health/`` and ``GET /api/v1/status/`` every second. Prints each
time from the command's start with the load average, then stops everything it started and
removes the folder (``--keep`` leaves it). Target on the 2-core machine: every provision in
force typed within 5 minutes; final figures need a quiet machine.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return None, b""


def main() -> int:
    limit = float(sys.argv[sys.argv.index("--timeout") + 1]) if "--timeout" in sys.argv else 1800
    bind = os.environ.get("ATLAS_BIND", "127.0.0.1:8088")
    sources = [
        os.environ.get("ATLAS_OTA_BUNDLE", str(SHARED / "ota" / "genai-contrib-versions.bundle")),
        os.environ.get("ATLAS_CORPUS_DIR", str(SHARED / "corpus")),
    ]
    data = Path(tempfile.mkdtemp(prefix="atlas-firstrun-"))
    env = {
        **os.environ,
        "ATLAS_DATA_DIR": str(data),
        "ATLAS_BIND": bind,
        "ATLAS_SOURCES": " ".join(sources),
    }
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "SECRET_KEY"):
        env.pop(name, None)
    log = data.parent / f"{data.name}.log"
    print(f"data folder {data} (empty); make run on {bind}; log {log}; {load()}", flush=True)
    started = time.monotonic()
    marks: dict[str, float] = {}

    def mark(name: str, detail: str = "") -> None:
        if name not in marks:
            marks[name] = time.monotonic() - started
            print(f"{marks[name]:7.1f} s  {name} {detail}({load()})", flush=True)

    with log.open("w") as out:
        run = subprocess.Popen(
            ["make", "run"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://{bind}"
    try:
        last = None
        while time.monotonic() - started < limit:
            if run.poll() is not None:
                print(f"make run exited with {run.returncode}; see {log}")
                return 1
            status, _ = get(f"{base}/health/")
            if status == 200:
                mark("site up (/health/ 200: database, broker, worker)")
            if "site up (/health/ 200: database, broker, worker)" in marks:
                code, body = get(f"{base}/api/v1/status/")
                if code == 200:
                    report = json.loads(body)
                    stages = {s["stage"]: s for s in report["stages"]}
                    embed, assign = stages["embed"], stages["assign"]
                    if report["summary"] != last:
                        last = report["summary"]
                        print(f"{time.monotonic() - started:7.1f} s    {last}", flush=True)
                    if assign["done"]:
                        mark("first clause type assigned", f"({assign['done']:,} typed) ")
                    if assign["state"] == "done" and assign["done"]:
                        mark(
                            "every provision in force through assignment",
                            f"({assign['done']:,} of {assign['total']:,} typed; "
                            f"{embed['done']:,} of {embed['total']:,} wordings embedded) ",
                        )
                    if not report["working"] and stages["link"]["state"] == "done":
                        mark("pipeline done (every wording embedded, links suggested)")
                        break
            time.sleep(1)
        else:
            print(f"stopped after {limit:.0f} s: not done")
    finally:
        os.killpg(run.pid, signal.SIGTERM)
        try:
            run.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
        stop = {**env, "ATLAS_DATA_DIR": str(data)}
        for target in ("db-down", "broker-down"):
            subprocess.run(["make", target], cwd=ROOT, env=stop, capture_output=True)
        if "--keep" not in sys.argv:
            shutil.rmtree(data, ignore_errors=True)
    return 0 if "pipeline done (every wording embedded, links suggested)" in marks else 1


if __name__ == "__main__":
    sys.exit(main())
