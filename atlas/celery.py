"""The Celery app. Tasks live in each app's tasks.py; a real worker process always runs them.

With no CELERY_BROKER_URL the broker is kombu's filesystem transport in ATLAS_DATA_DIR, so
`make run` needs no broker server; set CELERY_BROKER_URL to Redis or RabbitMQ in production.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atlas.settings")

app = Celery("atlas")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
