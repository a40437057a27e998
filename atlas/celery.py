"""The Celery app. Tasks live in each app's tasks.py; a real worker process always runs them.

With no CELERY_BROKER_URL the broker is an embedded Redis in ATLAS_DATA_DIR
(``atlas.embedded_broker``), so `make run` needs no broker server installed by hand; set
CELERY_BROKER_URL to Redis or RabbitMQ to use your own.
"""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atlas.settings")

app = Celery("atlas")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def warm_up(sender, **kwargs):
    """Train the classifier the web process loads (a no-op once stored for this model and
    taxonomy): classification must not wait for the first import's assignment run."""
    sender.app.send_task("comparisons.train_classifier")
