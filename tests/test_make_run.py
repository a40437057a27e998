"""`make run` gives each instance its own sockets and address (two can share a host)."""

import shlex
import subprocess
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_commands(*variables: str) -> list[str]:
    """The commands `make run` would run with these variables (a dry run: nothing starts)."""
    result = subprocess.run(
        ["make", "--dry-run", "--always-make", "run", *variables],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.replace("\\\n", " ").splitlines()


def gunicorn_options(*variables: str) -> dict[str, str]:
    line = next(line for line in run_commands(*variables) if "gunicorn atlas.wsgi" in line)
    words = shlex.split(line.split("gunicorn atlas.wsgi", 1)[1].split(";")[0])
    return {word: value for word, value in pairwise(words) if word.startswith("--")}


def test_two_instances_on_one_host_use_their_own_gunicorn_control_socket(tmp_path):
    # gunicorn's default control socket is ~/.gunicorn/gunicorn.ctl, shared by every instance.
    for name in ("one", "two"):
        options = gunicorn_options(f"ATLAS_DATA_DIR={tmp_path / name}")
        assert options.get("--control-socket") == str(tmp_path / name / "gunicorn.ctl")


def test_a_second_instance_can_listen_on_its_own_address():
    assert gunicorn_options()["--bind"] == "127.0.0.1:8000"
    assert gunicorn_options("ATLAS_BIND=127.0.0.1:8001")["--bind"] == "127.0.0.1:8001"
