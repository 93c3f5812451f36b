"""User intents: stored first as local state, then carried out by a task after commit."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from images.models import Account, AuditEvent, Image, Status
from images.services import audit, task_claims
from images.services.enqueue import after_commit

REQUESTED = AuditEvent.Outcome.REQUESTED
PROTECTED = "“{name}” is protected against deletion: unprotect it first."


class NotAllowed(Exception):
    """The image is in a state that does not allow this action; the text says why."""


def queue_upload(*, account: Account, user, **fields) -> Image:
    """Store a new queued image of `account` and submit it after commit: uploads, retries, new
    versions."""
    image = Image.objects.create(account=account, requested_by=user, status=Status.QUEUED, **fields)
    after_commit("submit_upload", image.pk)
    return image


@transaction.atomic
def request_upload(
    *,
    account: Account,
    user,
    name: str,
    url: str,
    os_type: str,
    version: str,
    description: str = "",
):
    """Store a queued upload to `account` and enqueue its submit.

    The same request by the same user to the same account again within
    UPLOAD_DUPLICATE_WINDOW_SECONDS (a double click, a form sent twice) is not a second image:
    the one already stored is returned, with `duplicate` set to True. The user's row is locked
    first, so two such requests racing in parallel are decided one after the other (SQLite's
    IMMEDIATE transactions do the same).
    """
    fields = {
        "account": account,
        "name": name,
        "url": url,
        "os_type": os_type,
        "version": version,
        "description": description,
    }
    earlier = _recent_duplicate(user, fields)
    if earlier is not None:
        earlier.duplicate = True
        return earlier
    image = queue_upload(user=user, **fields)
    audit.record("upload", REQUESTED, image=image, actor=user, message=url)
    image.duplicate = False
    return image


def _recent_duplicate(user, fields: dict) -> Image | None:
    if user is None or user.pk is None:
        return None
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))
    since = timezone.now() - timedelta(seconds=settings.UPLOAD_DUPLICATE_WINDOW_SECONDS)
    return (
        Image.objects.filter(requested_by=user, created_at__gte=since, **fields)
        .exclude(status__in=(Status.FAILED, Status.DELETING, Status.DELETED, Status.GONE))
        .order_by("-created_at")
        .first()
    )


def why_unchangeable(image: Image) -> str | None:
    """Why this image cannot be renamed or deleted right now, or None when it can."""
    try:
        check_changeable(image)
    except NotAllowed as exc:
        return str(exc)
    return None


def check_changeable(image: Image) -> None:
    if image.standard:
        raise NotAllowed("Standard images belong to Contabo and cannot be renamed or deleted.")
    if image.status in (Status.DELETING, Status.DELETED, Status.GONE):
        raise NotAllowed("This image is deleted or being deleted.")
    if not image.remote_id:
        raise NotAllowed("This image is still being submitted to Contabo; try again in a moment.")


@transaction.atomic
def request_rename(image: Image, *, user, name: str, description: str) -> None:
    check_changeable(image)
    updated = (
        Image.objects.filter(pk=image.pk, remote_id__isnull=False, standard=False)
        .exclude(status__in=(Status.DELETING, Status.DELETED, Status.GONE))
        .update(
            pending_name=name,
            pending_description=description,
            action_error="",
            **task_claims.on_the_way(),
        )
    )
    if not updated:
        raise NotAllowed("This image can no longer be renamed.")
    audit.record("rename", REQUESTED, image=image, actor=user, message=f"{image.name} → {name}")
    after_commit("rename_image", image.pk)


@transaction.atomic
def request_delete(image: Image, *, user) -> None:
    """Mark `image` deleting and delete it at Contabo after commit; NotAllowed when it cannot be
    deleted, protected images included (checked again in the update, against a race)."""
    check_changeable(image)
    if image.protected:
        raise NotAllowed(PROTECTED.format(name=image.name))
    updated = (
        Image.objects.filter(pk=image.pk, remote_id__isnull=False, standard=False, protected=False)
        .filter(~Q(status__in=(Status.DELETING, Status.DELETED, Status.GONE, Status.QUEUED)))
        .update(
            prior_status=F("status"),
            status=Status.DELETING,
            delete_requested_at=timezone.now(),
            action_error="",
        )
    )
    if not updated:
        raise NotAllowed("This image can no longer be deleted.")
    audit.record("delete", REQUESTED, image=image, actor=user)
    after_commit("delete_image", image.pk)


def request_refresh(*, user, account: Account) -> None:
    """Ask for a full sync and fresh stats of `account` now, outside the beat schedule."""
    audit.record("refresh", REQUESTED, account=account, actor=user)
    after_commit("sync_images", account.pk)
    after_commit("refresh_stats", account.pk)
