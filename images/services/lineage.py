"""Versions of an image: retry a failed download, replace a downloaded image with a new one.

Both store a new QUEUED image linked to the old one (`replaces`) and submit it after commit, like
an upload. The chain is linear: an image has at most one successor that is not failed or gone,
so two clicks on "Retry" (or a retry racing a replace) make one new image, not two.

"Delete the old one once the new one is downloaded" is stored on the new image
(`delete_replaced_when_done`) and carried out by the worker in the transaction where the poll
cycle records the download's end (`download_finished`, called from polling.apply and
submit.fail), through the normal delete flow. A failed attempt in between does not lose it: a
retry copies the wish, and the nearest *downloaded* ancestor is the one deleted.
"""

from django.db import transaction
from django.utils import timezone

from images.models import AuditEvent, Image, Notification, Status
from images.services import audit, notifications
from images.services.intents import NotAllowed, queue_upload, request_delete

REQUESTED = AuditEvent.Outcome.REQUESTED
SUCCEEDED = AuditEvent.Outcome.SUCCEEDED
MAX_CHAIN = 50
# A successor in one of these states blocks another retry or replace of the same image.
ACTIVE = (Status.QUEUED, Status.SUBMITTING, Status.DOWNLOADING, Status.DOWNLOADED)


def active_successor(image: Image) -> Image | None:
    return image.replaced_by.filter(status__in=ACTIVE).order_by("-created_at").first()


def why_not_retryable(image: Image) -> str | None:
    if image.standard:
        return "Standard images belong to Contabo."
    if image.status != Status.FAILED:
        return "Only a failed download can be retried."
    successor = active_successor(image)
    if successor is not None:
        return f"This download was already retried as “{successor.name}” (#{successor.pk})."
    return None


def why_not_replaceable(image: Image) -> str | None:
    if image.standard:
        return "Standard images belong to Contabo and cannot be replaced here."
    if image.status != Status.DOWNLOADED or not image.remote_id:
        return "Only a downloaded custom image can be replaced with a new version."
    successor = active_successor(image)
    if successor is not None:
        return f"A newer version already exists: “{successor.name}” (#{successor.pk})."
    return None


def _lock(image: Image) -> Image:
    """Re-read the row under a lock so two requests for the same image run one after the other."""
    return Image.objects.select_for_update().get(pk=image.pk)


@transaction.atomic
def request_retry(image: Image, *, user, remove_failed: bool) -> Image:
    """A new download with the failed one's name, URL, OS, version and description."""
    image = _lock(image)
    refusal = why_not_retryable(image)
    if refusal is None and remove_failed and image.protected:
        refusal = "The failed image is protected against deletion: keep it, or unprotect it first."
    if refusal:
        raise NotAllowed(refusal)
    new = queue_upload(
        account=image.account,
        name=image.name,
        url=image.url,
        os_type=image.os_type,
        version=image.version,
        description=image.description,
        user=user,
        replaces=image,
        delete_replaced_when_done=image.delete_replaced_when_done,
    )
    what = "and remove the failed one" if remove_failed else "keeping the failed one"
    audit.record("retry", REQUESTED, image=new, actor=user, message=f"retry of #{image.pk}, {what}")
    audit.record("retry", REQUESTED, image=image, actor=user, message=f"retried as #{new.pk}")
    if remove_failed:
        _remove_failed(image, user)
    return new


def _remove_failed(image: Image, user) -> None:
    if image.remote_id:
        request_delete(image, user=user)
        return
    # Refused at submit (e.g. 4xx): Contabo never had it, so there is nothing to delete there.
    Image.objects.filter(pk=image.pk, status=Status.FAILED, remote_id__isnull=True).update(
        prior_status=Status.FAILED, status=Status.DELETED, finished_at=timezone.now()
    )
    audit.record(
        "delete", SUCCEEDED, image=image, actor=user, message="never created at Contabo; removed"
    )


@transaction.atomic
def request_replace(
    image: Image,
    *,
    user,
    name: str,
    url: str,
    os_type: str,
    version: str,
    description: str = "",
    delete_old_when_done: bool,
) -> Image:
    """A new version of a downloaded image, optionally deleting the old one once it is ready."""
    image = _lock(image)
    refusal = why_not_replaceable(image)
    if refusal is None and delete_old_when_done and image.protected:
        refusal = "This version is protected against deletion: keep it, or unprotect it first."
    if refusal:
        raise NotAllowed(refusal)
    new = queue_upload(
        account=image.account,
        name=name,
        url=url,
        os_type=os_type,
        version=version,
        description=description,
        user=user,
        replaces=image,
        delete_replaced_when_done=delete_old_when_done,
    )
    then = "delete the old one when done" if delete_old_when_done else "keep the old one"
    audit.record(
        "replace", REQUESTED, image=new, actor=user, message=f"new version of #{image.pk}; {then}"
    )
    audit.record(
        "replace", REQUESTED, image=image, actor=user, message=f"{version} as #{new.pk}; {then}"
    )
    return new


# --- the worker's side --------------------------------------------------------------------------


def download_finished(image: Image) -> None:
    """Runs in the transaction that records a download's end (poll cycle or a refused submit)."""
    if image.status == Status.DOWNLOADED:
        notifications.announce(image, Notification.Kind.DOWNLOADED)
        retire_replaced(image)
    elif image.status == Status.FAILED:
        notifications.announce(image, Notification.Kind.ERROR)


def retire_replaced(image: Image) -> Image | None:
    """Delete the version a downloaded image replaces, when its requester asked for that."""
    if not image.delete_replaced_when_done or image.replaces_id is None:
        return None
    old = _downloaded_ancestor(image)
    if old is None:
        return None
    audit.record(
        "replace",
        SUCCEEDED,
        image=old,
        message=f"#{image.pk} “{image.name}” is downloaded; deleting this version",
    )
    try:
        request_delete(old, user=None)
    except NotAllowed as exc:
        audit.record("replace", AuditEvent.Outcome.FAILED, image=old, message=str(exc))
        return None
    return old


def _downloaded_ancestor(image: Image) -> Image | None:
    """The version the wish was about: the nearest earlier one still downloaded, passing over
    failed attempts of the same replacement (retries copy the wish), removed or not."""
    current = image
    for _ in range(MAX_CHAIN):
        if current.replaces_id is None:
            return None
        current = Image.objects.get(pk=current.replaces_id)
        if current.status == Status.DOWNLOADED:
            return current
        if not (current.delete_replaced_when_done and _failed_attempt(current)):
            return None
    return None


def _failed_attempt(image: Image) -> bool:
    if image.status == Status.FAILED:
        return True
    return image.status in (Status.DELETING, Status.DELETED) and image.prior_status == Status.FAILED
