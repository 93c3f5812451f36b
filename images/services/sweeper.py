"""Find intent the broker never delivered (it was down) or a crashed worker dropped."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from images.models import Image, Status
from images.services.submit import claim_seconds


@dataclass
class StaleIntents:
    uploads: list[int]
    renames: list[int]
    deletes: list[int]


def stale_intents() -> StaleIntents:
    now = timezone.now()
    grace = now - timedelta(seconds=settings.SWEEP_GRACE_SECONDS)
    stale_claim = now - timedelta(seconds=claim_seconds())
    # Never tried, or released for a retry whose task should long have run, or a claim whose
    # worker died. A row released for a retry that is still scheduled is left to that retry.
    uploads = Image.objects.filter(
        Q(status=Status.QUEUED, submit_started_at__isnull=True, created_at__lt=grace)
        | Q(status__in=(Status.QUEUED, Status.SUBMITTING), submit_started_at__lt=stale_claim)
    )
    renames = Image.objects.filter(pending_name__isnull=False, remote_id__isnull=False).exclude(
        status__in=(Status.DELETED, Status.GONE)
    )
    deletes = Image.objects.filter(status=Status.DELETING, delete_requested_at__lt=grace)
    return StaleIntents(
        uploads=list(uploads.values_list("pk", flat=True)),
        renames=list(renames.values_list("pk", flat=True)),
        deletes=list(deletes.values_list("pk", flat=True)),
    )
