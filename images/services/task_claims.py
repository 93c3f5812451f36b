"""Which Celery task carries an image's intent (an upload, rename or delete), until when and on
which worker, so that the sweeper re-sends only intent that nobody carries any more.

A task takes the row when it starts (`take`: until SUBMIT_CLAIM_SECONDS from now), keeps it
while its retry is scheduled (`schedule`: until the retry is due plus SWEEP_GRACE_SECONDS) and
gives it back when done (`release`). A fresh request is left to its own task for
SWEEP_GRACE_SECONDS (`on_the_way`). A row is free when nobody holds it, the time has passed, or
the worker holding it stopped beating (images.services.workers): a crashed worker's intent is
sent again within WORKER_DEAD_SECONDS and one sweep. A second message for a row another task
holds (the sweeper's, sent while a retry was pending) does nothing, so no change reaches the
API twice.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from images.models import Image, Status
from images.services import workers


def free(now=None) -> Q:
    now = now or timezone.now()
    return Q(task_until__isnull=True) | Q(task_until__lt=now) | Q(task_worker__in=workers.dead())


def on_the_way() -> dict:
    """Update fields for a fresh request: its own task has SWEEP_GRACE_SECONDS to start."""
    until = timezone.now() + timedelta(seconds=settings.SWEEP_GRACE_SECONDS)
    return {"task_until": Greatest(Coalesce(F("task_until"), Value(until)), Value(until))}


def take(image_id: int, task_id: str | None) -> bool:
    """Hold the row for this task; False when another live task holds it (do nothing then)."""
    now = timezone.now()
    # Held for no task in particular (a fresh request, `on_the_way`): any task may take it.
    mine = free(now) | Q(task_id="") | Q(task_id=task_id or "")
    taken = Image.objects.filter(mine, pk=image_id).update(
        task_id=task_id or "",
        task_worker=workers.current(),
        task_until=now + timedelta(seconds=settings.SUBMIT_CLAIM_SECONDS),
    )
    if taken:
        # An upload left mid-submit by a dead worker (or a claim that ran out) is queued again:
        # this attempt looks for what Contabo already has before posting.
        Image.objects.filter(pk=image_id, status=Status.SUBMITTING, remote_id__isnull=True).update(
            status=Status.QUEUED
        )
    return bool(taken)


def schedule(image_id: int, task_id: str | None, countdown: float) -> None:
    """The task's retry runs in `countdown` s: the row stays its own until then."""
    due = timezone.now() + timedelta(seconds=countdown + settings.SWEEP_GRACE_SECONDS)
    Image.objects.filter(pk=image_id, task_id=task_id or "").update(task_until=due)


def release(image_id: int, task_id: str | None) -> None:
    Image.objects.filter(pk=image_id, task_id=task_id or "").update(
        task_id="", task_worker="", task_until=None
    )
