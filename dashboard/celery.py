"""The Celery app: settings from Django (CELERY_*), tasks autodiscovered, the beat schedule."""

import os

from celery import Celery
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

app = Celery("dashboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _schedule(sender: Celery, **_kwargs) -> None:
    """Beat entries, with intervals from settings so tests and demos can shorten them."""
    from django.conf import settings

    sender.conf.beat_schedule = {
        "poll-downloads": {
            "task": "images.tasks.poll_downloads",
            "schedule": settings.POLL_INTERVAL_SECONDS,
        },
        "sync-images": {
            "task": "images.tasks.sync_images",
            "schedule": settings.SYNC_INTERVAL_SECONDS,
        },
        "refresh-stats": {
            "task": "images.tasks.refresh_stats",
            "schedule": settings.STATS_INTERVAL_SECONDS,
        },
        "sweep-intents": {
            "task": "images.tasks.sweep_intents",
            "schedule": settings.SWEEP_INTERVAL_SECONDS,
        },
    }


@beat_init.connect
def _sync_on_start(sender, **_kwargs) -> None:
    """The one beat asks for a full sync and fresh stats at start, so pages fill at once."""
    app.send_task("images.tasks.sync_images")
    app.send_task("images.tasks.refresh_stats")
