"""Celery tasks: thin wrappers that call services and decide what to retry.

Every task takes ids and re-reads rows, so running one twice is harmless. Work on an image uses
the client of the image's account; poll, sync and stats take an account id. The beat's poll
covers every account in one task; sync and stats reach every account through `for_each_account`
(sent without an id, they are about the settings account). Transient API errors (5xx, 429,
network) are retried with exponential backoff; a 4xx or the last failed retry ends in a visible
error state holding the API's message.
"""

from celery import shared_task
from django.conf import settings

from images.contabo import AuthenticationError, ContaboError
from images.contabo.django import get_client
from images.crypto import UndecryptableSecret
from images.models import Account, Image
from images.services import (
    changes,
    heartbeat,
    notifications,
    polling,
    preflight,
    submit,
    sweeper,
    sync,
)
from images.services.enqueue import send

# Waits of 1, 2, 4 ... 120 s: a user's request survives about four minutes of Contabo outage.
MAX_RETRIES = 8
MAX_COUNTDOWN = 120


def _countdown(task, exc: ContaboError) -> float:
    retry_after = getattr(exc, "retry_after", None)
    return retry_after if retry_after else min(MAX_COUNTDOWN, 2**task.request.retries)


def _retrying(task, exc: ContaboError) -> bool:
    return exc.retryable and task.request.retries < task.max_retries


def _account(account_id: int | None) -> Account | None:
    if account_id is None:
        return Account.objects.default()
    return Account.objects.filter(pk=account_id).first()


def _client(account: Account, job: str):
    """The account's client; None when its secrets cannot be decrypted (a wrong or missing key),
    recorded on the job's heartbeat so the pages say why nothing is fresh."""
    try:
        return get_client(account)
    except UndecryptableSecret as exc:
        heartbeat.failed(account.job(job), exc)
        return None


def _image_client(image_id: int):
    """The client of the image's account; None when the image is gone.

    An account whose secrets no key opens is a final error on the image, not a traceback.
    """
    image = Image.objects.select_related("account").filter(pk=image_id).first()
    if image is None:
        return None
    try:
        return get_client(image.account)
    except UndecryptableSecret as exc:
        raise AuthenticationError(None, str(exc)) from exc


@shared_task(ignore_result=True)
def for_each_account(task: str, expires: float | None = None) -> int:
    """The beat's fan-out: `task(account_id)` for every account, each on its own (one account
    slow or down never holds up another). The number sent."""
    ids = list(Account.objects.values_list("pk", flat=True))
    for pk in ids:
        send(task, pk, expires=expires)
    return len(ids)


def _on_image(task, image_id: int, work, failed, before_retry=None):
    """`work(client, image_id)` with the image's client: transient errors are retried with
    backoff (after `before_retry`), anything else ends in `failed(image_id, exc)`."""
    try:
        client = _image_client(image_id)
        return None if client is None else work(client, image_id)
    except ContaboError as exc:
        if _retrying(task, exc):
            if before_retry is not None:
                before_retry(image_id)
            raise task.retry(exc=exc, countdown=_countdown(task, exc)) from exc
        failed(image_id, exc)
        return None


@shared_task(bind=True, max_retries=MAX_RETRIES)
def submit_upload(self, image_id: int) -> None:
    _on_image(self, image_id, submit.submit, submit.fail, before_retry=submit.release_for_retry)


@shared_task(bind=True, max_retries=MAX_RETRIES)
def rename_image(self, image_id: int) -> None:
    _on_image(self, image_id, changes.rename, changes.rename_failed)


@shared_task(bind=True, max_retries=MAX_RETRIES)
def delete_image(self, image_id: int) -> None:
    if _on_image(self, image_id, changes.delete, changes.delete_failed):
        refresh_stats.delay(Image.objects.get(pk=image_id).account_id)


@shared_task(ignore_result=True)
def poll_downloads(account_id: int | None = None) -> dict:
    """One batched cycle of the account, or of every account in turn when None (the beat's
    call: one message per tick however many accounts). Each account's cycle has its own lease and
    makes no API call when it has nothing in flight; failures are recorded and the next tick is
    the retry. A cycle stuck on a slow account only delays the accounts after it in this run:
    the next tick, on another worker process, skips the held lease and polls the rest."""
    if account_id is not None:
        account = Account.objects.filter(pk=account_id).first()
        return _poll(account) if account else {}
    return {account.pk: _poll(account) for account in Account.objects.all()}


def _poll(account: Account) -> dict:
    client = _client(account, "poll")
    if client is None:
        return {"failed": True}
    try:
        result = polling.poll(client, account)
    except ContaboError:
        return {"failed": True}
    if result.finished:
        refresh_stats.delay(account.pk)
    if result.in_flight and not result.skipped:
        # Only after a successful look at Contabo: an unreachable API is not a stalled download.
        notifications.detect_stalled(account=account)
    return vars(result)


@shared_task(bind=True, max_retries=3)
def sync_images(self, account_id: int | None = None) -> dict:
    account = _account(account_id)
    client = account and _client(account, "sync")
    if client is None:
        return {"failed": True}
    try:
        run = sync.sync_images(client, page_size=settings.CONTABO_PAGE_SIZE, account=account)
    except ContaboError as exc:
        if _retrying(self, exc):
            raise self.retry(exc=exc, countdown=_countdown(self, exc)) from exc
        return {"failed": True}
    return {"added": run.added, "updated": run.updated, "gone": run.gone}


@shared_task(bind=True, max_retries=3)
def refresh_stats(self, account_id: int | None = None) -> None:
    account = _account(account_id)
    client = account and _client(account, "stats")
    if client is None:
        return
    try:
        sync.refresh_stats(client, account)
    except ContaboError as exc:
        if _retrying(self, exc):
            raise self.retry(exc=exc, countdown=_countdown(self, exc)) from exc


@shared_task(ignore_result=True)
def preflight_url(token: str, url: str) -> None:
    """HEAD an upload's URL from the worker (never the web process); the page polls the result.

    No retries: it is a hint for the user, and the service already reports why it failed.
    """
    preflight.run(token, url)


@shared_task
def sweep_intents() -> dict[str, int]:
    found = sweeper.stale_intents()
    for task, pks in (
        (submit_upload, found.uploads),
        (rename_image, found.renames),
        (delete_image, found.deletes),
    ):
        for pk in pks:
            task.delay(pk)
    stale = notifications.stale_deliveries()
    for pk in stale["email"]:
        send_notification_email.delay(pk)
    for pk in stale["webhook"]:
        send_notification_webhook.delay(pk)
    return {
        "uploads": len(found.uploads),
        "renames": len(found.renames),
        "deletes": len(found.deletes),
        "notifications": len(stale["email"]) + len(stale["webhook"]),
    }


# --- notifications ------------------------------------------------------------------------------

NOTIFY_MAX_RETRIES = 8


def _notify_countdown(task) -> float:
    """30 s, 1 min, 2 min ... capped at 30 min: a mail server or receiver may be down a while."""
    return min(1800, 30 * 2**task.request.retries)


@shared_task(bind=True, max_retries=NOTIFY_MAX_RETRIES)
def send_notification_email(self, notification_id: int) -> None:
    try:
        notifications.send_email(notification_id)
    except notifications.DeliveryError as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=_notify_countdown(self)) from exc
        notifications.delivery_failed(notification_id, "email", str(exc))


@shared_task(bind=True, max_retries=NOTIFY_MAX_RETRIES)
def send_notification_webhook(self, notification_id: int) -> None:
    try:
        notifications.send_webhook(notification_id)
    except notifications.DeliveryError as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=_notify_countdown(self)) from exc
        notifications.delivery_failed(notification_id, "webhook", str(exc))
