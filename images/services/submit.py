"""Submitting a queued upload to Contabo exactly once.

A row is claimed with a conditional update (QUEUED → SUBMITTING), so two workers never both post
it. A claim left behind by a crash expires; whoever takes it over first looks at what the API
already lists with the same name and URL, and adopts that image instead of posting again.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from images import validators
from images.contabo import ContaboClient, ContaboError
from images.models import AuditEvent, Image, Status
from images.services import audit, lineage
from images.services.mapping import local_status, remote_fields


def claim_seconds() -> float:
    """How long a claim protects a row (settings.SUBMIT_CLAIM_SECONDS)."""
    return settings.SUBMIT_CLAIM_SECONDS


def claim(image_id: int) -> Image | None:
    """Take the row for submission; None when it is not ours to submit (done, or held)."""
    now = timezone.now()
    stale = now - timedelta(seconds=claim_seconds())
    claimed = Image.objects.filter(
        Q(status=Status.QUEUED) | Q(status=Status.SUBMITTING, submit_started_at__lt=stale),
        pk=image_id,
        remote_id__isnull=True,
    ).update(
        status=Status.SUBMITTING, submit_started_at=now, submit_attempts=F("submit_attempts") + 1
    )
    return Image.objects.get(pk=image_id) if claimed else None


def find_existing(client: ContaboClient, image: Image, trace_id: str):
    """The remote custom image an earlier, interrupted attempt may have created."""
    for remote in client.iter_images(name=image.name, standard_image=False, trace_id=trace_id):
        if remote.url == image.url and remote.name == image.name:
            taken = Image.objects.filter(
                account_id=image.account_id, remote_id=remote.image_id
            ).exists()
            if not taken:
                return remote
    return None


def submit(client: ContaboClient, image_id: int) -> Image | None:
    """Create the remote image for a claimed row. Raises ContaboError for the task to judge."""
    image = claim(image_id)
    if image is None:
        return None
    refusal = validators.submit_refusal(image.url)
    if refusal:  # stored before a rule existed, or a name that resolves to a private address
        _fail(image_id, refusal)
        return None
    trace_id = f"upload-{image.pk}"
    if image.submit_attempts > 1:
        existing = find_existing(client, image, trace_id)
        if existing is not None:
            _adopt(
                image, existing.image_id, "", local_status(existing.status), remote_fields(existing)
            )
            audit.record(
                "submit",
                AuditEvent.Outcome.SUCCEEDED,
                image=image,
                message="found the image an earlier attempt created",
            )
            return image
    created = client.create_image(
        name=image.name,
        url=image.url,
        os_type=image.os_type,
        version=image.version,
        description=image.description or None,
        trace_id=trace_id,
    )
    _adopt(
        image,
        created.image_id,
        created.request_id,
        Status.DOWNLOADING,
        {"tenant_id": created.tenant_id, "customer_id": created.customer_id},
    )
    return image


def _adopt(image: Image, remote_id: str, request_id: str, status: str, fields: dict) -> None:
    now = timezone.now()
    Image.objects.filter(pk=image.pk, status=Status.SUBMITTING).update(
        remote_id=remote_id, status=status, seen_at=now, progress_at=now, **fields
    )
    image.refresh_from_db()
    if request_id:
        audit.record(
            "submit",
            AuditEvent.Outcome.SUCCEEDED,
            image=image,
            request_id=request_id,
            message=f"Contabo accepted the image as {remote_id}",
        )


def fail(image_id: int, exc: ContaboError) -> None:
    """A final answer (4xx), retries spent, or no usable credentials: the row shows why."""
    _fail(image_id, exc.message or str(exc), exc.request_id)


def _fail(image_id: int, message: str, request_id: str = "") -> None:
    image = Image.objects.get(pk=image_id)
    pending = (Status.QUEUED, Status.SUBMITTING)
    failed = Image.objects.filter(pk=image_id, status__in=pending, remote_id__isnull=True).update(
        status=Status.FAILED, error_message=message, finished_at=timezone.now()
    )
    audit.record(
        "submit", AuditEvent.Outcome.FAILED, image=image, message=message, request_id=request_id
    )
    if failed:
        image.refresh_from_db()
        lineage.download_finished(image)  # the error notification


def release_for_retry(image_id: int) -> None:
    """Give the claim back after a transient error; the next attempt checks the API first."""
    Image.objects.filter(pk=image_id, status=Status.SUBMITTING).update(status=Status.QUEUED)
