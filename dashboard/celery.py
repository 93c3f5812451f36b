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
    """Beat entries, with intervals from settings so tests and demos can shorten them.

    Sync and stats are per account: the beat sends `for_each_account`, which sends the task once
    per account. The frequent poll is one task that runs each account's cycle in turn (under
    that account's lease). Each message expires after one interval (5 s at least): a worker that
    was down does not come back to a backlog of stale polls, it just runs the next one.
    """
    from django.conf import settings

    per_account = {
        "sync-images": ("sync_images", settings.SYNC_INTERVAL_SECONDS),
        "refresh-stats": ("refresh_stats", settings.STATS_INTERVAL_SECONDS),
    }
    schedule = {
        name: {
            "task": "images.tasks.for_each_account",
            "args": (task, max(every, 5.0)),
            "schedule": every,
            "options": {"expires": max(every, 5.0)},
        }
        for name, (task, every) in per_account.items()
    }
    for name, task, every in (
        ("poll-downloads", "poll_downloads", settings.POLL_INTERVAL_SECONDS),
        ("sweep-intents", "sweep_intents", settings.SWEEP_INTERVAL_SECONDS),
    ):
        schedule[name] = {
            "task": f"images.tasks.{task}",
            "schedule": every,
            "options": {"expires": max(every, 5.0)},
        }
    sender.conf.beat_schedule = schedule


@beat_init.connect
def _sync_on_start(sender, **_kwargs) -> None:
    """The one beat asks for a full sync and fresh stats of every account at start, so pages
    fill at once."""
    app.send_task("images.tasks.for_each_account", args=("sync_images",))
    app.send_task("images.tasks.for_each_account", args=("refresh_stats",))
