"""`make run`'s processes keep their sockets under the instance's own data folder."""

import shlex
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_commands(data_dir: Path) -> list[str]:
    """The commands `make run` would run for this data folder (a dry run: nothing starts)."""
    result = subprocess.run(
        ["make", "--dry-run", "--always-make", "run", f"ATLAS_DATA_DIR={data_dir}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.replace("\\\n", " ").splitlines()


def test_two_instances_on_one_host_use_their_own_gunicorn_control_socket(tmp_path):
    # gunicorn's default control socket is ~/.gunicorn/gunicorn.ctl, shared by every instance.
    sockets = []
    for name in ("one", "two"):
        data_dir = tmp_path / name
        line = next(line for line in run_commands(data_dir) if "gunicorn atlas.wsgi" in line)
        words = shlex.split(line.split("gunicorn atlas.wsgi", 1)[1].split(";")[0])
        assert "--control-socket" in words, line
        sockets.append(words[words.index("--control-socket") + 1])
    assert sockets == [str(tmp_path / name / "gunicorn.ctl") for name in ("one", "two")]
