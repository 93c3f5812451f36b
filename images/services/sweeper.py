"""Find intent the broker never delivered (it was down), a crashed worker dropped, or whose
retry never came; intent a live task carries (running, or its retry scheduled) is left to it."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from images.models import Image, Status
from images.services import task_claims
from images.services.submit import claim_seconds


@dataclass
class StaleIntents:
    uploads: list[int]
    renames: list[int]
    deletes: list[int]


def stale_intents() -> StaleIntents:
    """Intent that no task carries any more (task_claims.free): never sent (the broker was
    down), its retry overdue, or its worker dead or out of time."""
    now = timezone.now()
    grace = now - timedelta(seconds=settings.SWEEP_GRACE_SECONDS)
    stale_claim = now - timedelta(seconds=claim_seconds())
    loose = Image.objects.filter(task_claims.free(now))
    uploads = loose.filter(
        Q(status=Status.QUEUED, submit_started_at__isnull=True, created_at__lt=grace)
        | Q(status=Status.QUEUED, submit_started_at__isnull=False)
        | Q(status=Status.SUBMITTING, task_until__isnull=False)
        | Q(status=Status.SUBMITTING, submit_started_at__lt=stale_claim)
    )
    renames = loose.filter(pending_name__isnull=False, remote_id__isnull=False).exclude(
        status__in=(Status.DELETED, Status.GONE)
    )
    deletes = loose.filter(status=Status.DELETING, delete_requested_at__lt=grace)
    return StaleIntents(
        uploads=list(uploads.values_list("pk", flat=True)),
        renames=list(renames.values_list("pk", flat=True)),
        deletes=list(deletes.values_list("pk", flat=True)),
    )
