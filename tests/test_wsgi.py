import subprocess
import sys


def test_the_wsgi_module_freezes_start_up_objects_out_of_the_collector():
    # See atlas.wsgi.freeze_loaded_objects: without it, full collections scan all of start-up
    # state and add ~90 ms to the request that sets one off.
    code = (
        "import gc, os; os.environ.setdefault('SECRET_KEY', 'x');"
        "import atlas.wsgi;"
        "print(gc.get_freeze_count())"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[-1]) > 10_000  # ~80,000 objects here
