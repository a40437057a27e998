"""The scheduled task against a real Redis broker: one message per declared document."""

import ast
import json

import pytest
import redis

from tests.provisions.test_worker import REDIS_URL, redis_broker  # noqa: F401 (a fixture)
from tracking import tasks
from tracking.models import Declaration

pytestmark = pytest.mark.django_db


def test_track_all_reloads_declarations_and_queues_one_task_each(redis_broker, settings, tmp_path):  # noqa: F811
    settings.TRACKING_DECLARATIONS_DIR = tmp_path  # only Atlas's own: Runway's three
    assert tasks.track_all() == 3
    messages = [json.loads(m) for m in redis.Redis.from_url(REDIS_URL).lrange("celery", 0, -1)]
    assert {m["headers"]["task"] for m in messages} == {"tracking.track_document"}
    queued = sorted(ast.literal_eval(m["headers"]["argsrepr"])[0] for m in messages)
    assert queued == sorted(Declaration.objects.values_list("id", flat=True))


def test_track_all_keeps_stored_declarations_when_a_file_breaks(redis_broker, settings, tmp_path):  # noqa: F811
    settings.TRACKING_DECLARATIONS_DIR = tmp_path
    tasks.track_all()
    (tmp_path / "Broken.json").write_text("{not json")
    assert tasks.track_all() == 3
