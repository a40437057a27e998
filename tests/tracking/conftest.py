import json

import pytest

from tests.conftest import DEFAULT_SHARED, shared_path


@pytest.fixture(scope="session")
def snapshots_dir():
    return shared_path("ATLAS_OTA_SNAPSHOTS", DEFAULT_SHARED / "ota" / "snapshots")


@pytest.fixture(scope="session")
def snapshot_cases(snapshots_dir):
    return json.loads((snapshots_dir / "manifest.json").read_text(encoding="utf-8"))
