"""Which Celery workers are alive. Each worker's main process records a beat every
WORKER_BEAT_SECONDS (a thread started by dashboard/celery.py); a worker whose last beat is
older than WORKER_DEAD_SECONDS is dead, and the intent it carried is free again at once.

A worker is named `host:pid` of its main process, set before the pool forks so that every pool
process (where tasks run) knows it.
"""

import os
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from dashboard.celery import WORKER_ENV
from images.models import WorkerBeat

FORGET_AFTER = timedelta(days=1)


def current() -> str:
    """This process's worker, or "" outside a worker (web, tests, eager tasks)."""
    return os.environ.get(WORKER_ENV, "")


def beat(name: str) -> None:
    WorkerBeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})


def stopped(name: str) -> None:
    WorkerBeat.objects.filter(name=name).delete()


def dead():
    """The names of silent workers, as a subquery."""
    silent = timezone.now() - timedelta(seconds=settings.WORKER_DEAD_SECONDS)
    return WorkerBeat.objects.filter(seen_at__lt=silent).values("name")


def forget_old() -> int:
    """Drop beats of workers gone for a day (nothing they held is still waiting on them)."""
    return WorkerBeat.objects.filter(seen_at__lt=timezone.now() - FORGET_AFTER).delete()[0]
