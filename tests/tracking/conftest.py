import pytest

from tests.conftest import DEFAULT_SHARED, shared_path
from tracking.snapshots import local_server


@pytest.fixture(scope="session")
def snapshots_dir():
    return shared_path("ATLAS_OTA_SNAPSHOTS", DEFAULT_SHARED / "ota" / "snapshots")


@pytest.fixture(autouse=True)
def _tracking_settings(settings, tmp_path):
    settings.ATLAS_SNAPSHOTS_DIR = tmp_path / "snapshots"
    settings.TRACKING_ALLOWED_ADDRESSES = ["127.0.0.1"]
    settings.TRACKING_RETRIES = 0
    settings.TRACKING_HOST_INTERVAL = 0
    settings.TRACKING_TIMEOUT = 2
    settings.TRACKING_DEADLINE = 3
    # The snapshot pages were stored after their scripts ran: served as files, no browser.
    settings.TRACKING_EXECUTE_SCRIPTS = False


@pytest.fixture
def web():
    """A real HTTP server on 127.0.0.1; ``web.url(path)`` is its address for ``path``."""
    with local_server("127.0.0.1") as server:
        yield server


@pytest.fixture
def other_web():
    """A second server, on another loopback address (127.0.0.2)."""
    with local_server("127.0.0.2") as server:
        yield server
