"""Carrying out a pending rename or delete against the API."""

from django.db.models import F
from django.utils import timezone

from images.contabo import ContaboClient, ContaboError, NotFound
from images.models import AuditEvent, Image, Status
from images.services import audit

SUCCEEDED = AuditEvent.Outcome.SUCCEEDED


def rename(client: ContaboClient, image_id: int) -> bool:
    """Send the pending name; True when applied. A newer pending name wins over this one."""
    image = Image.objects.get(pk=image_id)
    if image.pending_name is None or image.status == Status.DELETED:
        return False
    name, description = image.pending_name, image.pending_description
    try:
        result = client.update_image(
            image.remote_id, name=name, description=description, trace_id=f"rename-{image.pk}"
        )
    except ContaboError as exc:
        exc.rename_sent = (name, description)  # rename_failed clears only this request
        raise
    applied = Image.objects.filter(
        pk=image_id, pending_name=name, pending_description=description
    ).update(
        name=name,
        description=description,
        pending_name=None,
        pending_description=None,
        renamed_at=timezone.now(),
    )
    image.refresh_from_db()
    audit.record(
        "rename", SUCCEEDED, image=image, request_id=result.request_id, message=f"renamed to {name}"
    )
    return bool(applied)


def rename_failed(image_id: int, exc: ContaboError) -> None:
    """The rename that was sent is dropped with the API's reason; a newer one the user asked for
    meanwhile stays pending for its own task (the failure is still in the audit trail)."""
    image = Image.objects.get(pk=image_id)
    rows = Image.objects.filter(pk=image_id)
    sent = getattr(exc, "rename_sent", None)
    if sent is not None:
        rows = rows.filter(pending_name=sent[0], pending_description=sent[1])
    rows.update(pending_name=None, pending_description=None, action_error=f"Rename failed: {exc}")
    audit.record_error("rename", image, exc)


def delete(client: ContaboClient, image_id: int) -> bool:
    """Delete remotely; an image the API no longer knows counts as deleted."""
    image = Image.objects.get(pk=image_id)
    if image.status != Status.DELETING:
        return False
    try:
        result = client.delete_image(image.remote_id, trace_id=f"delete-{image.pk}")
        request_id, note = result.request_id, "deleted at Contabo"
    except NotFound as exc:
        request_id, note = exc.request_id, "Contabo no longer had this image"
    Image.objects.filter(pk=image_id, status=Status.DELETING).update(
        status=Status.DELETED, finished_at=timezone.now()
    )
    audit.record("delete", SUCCEEDED, image=image, request_id=request_id, message=note)
    return True


def delete_failed(image_id: int, exc: ContaboError) -> None:
    """The image stays as it was before the request, with the API's reason beside it."""
    image = Image.objects.get(pk=image_id)
    Image.objects.filter(pk=image_id, status=Status.DELETING).update(
        status=F("prior_status"), action_error=f"Delete failed: {exc}"
    )
    audit.record_error("delete", image, exc)
