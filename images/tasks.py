"""Celery tasks: thin wrappers that call services and decide what to retry.

Every task takes ids and re-reads rows, so running one twice is harmless. Work on an image uses
the client of the image's account; poll, sync and stats take an account id, and the beat reaches
every account through `for_each_account`. User actions, polls and the rest have their own queues
(dashboard/celery.py), so the Procfile gives each its own worker. Transient API errors (5xx, 429,
network) are retried with exponential backoff; a 4xx or the last failed retry ends in a visible
error state holding the API's message.
"""

import logging
from contextlib import contextmanager

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import OperationalError

from dashboard import logs
from images.contabo import AuthenticationError, ContaboError, signin_failing
from images.contabo.django import get_client
from images.crypto import UndecryptableSecret
from images.models import Account, Image
from images.services import (
    heartbeat,
    notifications,
    polling,
    preflight,
    remote_changes,
    submit,
    sweeper,
    sync,
    task_claims,
    waiting,
    workers,
)
from images.services.enqueue import send

log = logging.getLogger(__name__)

# Waits of 1, 2, 4 ... 120 s: a user's request survives about four minutes of Contabo outage.
MAX_RETRIES = 8
MAX_COUNTDOWN = 120


def _countdown(task, exc: ContaboError) -> float:
    retry_after = getattr(exc, "retry_after", None)
    return retry_after if retry_after else min(MAX_COUNTDOWN, 2**task.request.retries)


def _retrying(task, exc: Exception) -> bool:
    """A transient API error (5xx, 429, network) or database error (deadlock, serialization
    failure, lost connection), with retries left."""
    transient = isinstance(exc, OperationalError) or getattr(exc, "retryable", False)
    return transient and task.request.retries < task.max_retries


def _account(account_id: int) -> Account | None:
    return Account.objects.filter(pk=account_id).first()


def _client(account: Account, job: str):
    """The account's client; None when its secrets cannot be decrypted (a wrong or missing key),
    recorded on the job's heartbeat so the pages say why nothing is fresh."""
    try:
        return get_client(account)
    except UndecryptableSecret as exc:
        heartbeat.failed(account.job_key(job), exc)
        return None


@contextmanager
def _bounded(account: Account, job: str, seconds: float):
    """A soft time limit hit during an account's job is that job's failure, shown with the reason
    on its pages and /readyz, before the task fails with it."""
    try:
        yield
    except (SoftTimeLimitExceeded, polling.CycleTimeLimit):
        heartbeat.failed(
            account.job_key(job), RuntimeError(f"Stopped at its {seconds:g} s time limit")
        )
        raise


def _image_client(image_id: int):
    """The client of the image's account; None when the image is gone.

    An account whose secrets no key opens is a final error on the image, not a traceback.
    """
    image = Image.objects.select_related("account").filter(pk=image_id).first()
    if image is None:
        return None
    logs.bind(account=image.account_id)
    try:
        return get_client(image.account)
    except UndecryptableSecret as exc:
        raise AuthenticationError(None, str(exc)) from exc


@shared_task(ignore_result=True)
def for_each_account(task: str, expires: float | None = None) -> int:
    """The beat's fan-out: `task(account_id)` for every account, each on its own (one account
    slow or down never holds up another). The number sent. A poll goes only to accounts with
    no cycle running and no poll waiting in the queue (polling.accounts_to_poll): while the
    poller lags, polls would only pile up and expire."""
    if task == "poll_downloads":
        ids = polling.accounts_to_poll(expires or settings.POLL_INTERVAL_SECONDS)
    else:
        ids = list(Account.objects.values_list("pk", flat=True))
    for pk in ids:
        send(task, pk, expires=expires)
    return len(ids)


def _on_image(task, image_id: int, work, failed, before_retry=None):
    """`work(client, image_id)` with the image's client: transient errors are retried with
    backoff (after `before_retry`), anything else ends in `failed(image_id, exc)`. While the
    account cannot sign in the intent waits (shown on the image) and nothing fails: retried
    here while retries last, then re-sent by the sweeper. The row is held for this task while it
    runs and while its retry is scheduled (task_claims): a second message for it does nothing."""
    task_id = task.request.id
    if not task_claims.take(image_id, task_id):
        return None  # another task carries this intent: its retry is scheduled, or it runs
    try:
        client = _image_client(image_id)
        done = None if client is None else work(client, image_id)
    except ContaboError as exc:
        waits = signin_failing(exc)
        if waits:
            waiting.hold(image_id, exc)
        if waits or _retrying(task, exc):
            if before_retry is not None:
                before_retry(image_id)
            if task.request.retries < task.max_retries:
                countdown = _countdown(task, exc)
                task_claims.schedule(image_id, task_id, countdown)
                raise task.retry(exc=exc, countdown=countdown) from exc
            task_claims.release(image_id, task_id)
            return None  # only waiting intent gets here: the sweeper sends it again
        failed(image_id, exc)
        task_claims.release(image_id, task_id)
        return None
    waiting.clear(image_id)
    task_claims.release(image_id, task_id)
    return done


@shared_task(bind=True, max_retries=MAX_RETRIES)
def submit_upload(self, image_id: int) -> None:
    _on_image(self, image_id, submit.submit, submit.fail, before_retry=submit.release_for_retry)


@shared_task(bind=True, max_retries=MAX_RETRIES)
def rename_image(self, image_id: int) -> None:
    _on_image(self, image_id, remote_changes.rename, remote_changes.rename_failed)


@shared_task(bind=True, max_retries=MAX_RETRIES)
def delete_image(self, image_id: int) -> None:
    if _on_image(self, image_id, remote_changes.delete, remote_changes.delete_failed):
        refresh_stats.delay(Image.objects.get(pk=image_id).account_id)


@shared_task(ignore_result=True)
def poll_downloads(account_id: int) -> dict:
    """One batched cycle of the account. The beat sends one per
    account per tick, to the poll worker's threads: a slow account holds one thread and its own
    lease (its next ticks are skipped while it runs), never another account's cycle. No API call
    when nothing is in flight; failures are recorded and the next tick is the retry."""
    account = _account(account_id)
    return _poll(account) if account else {}


def _poll(account: Account) -> dict:
    with logs.bound(account=account.pk):
        return _poll_account(account)


def _poll_account(account: Account) -> dict:
    client = _client(account, "poll")
    if client is None:
        return {"failed": True}
    try:
        limit = settings.TASK_SOFT_TIME_LIMIT_SECONDS
        with _bounded(account, "poll", limit):
            # At most one cycle per poll interval of the clock, however many beats tick.
            spacing = settings.POLL_INTERVAL_SECONDS
            result = polling.poll(client, account, time_limit=limit, spacing=spacing)
    except ContaboError:
        return {"failed": True}
    # A tick that changed nothing is routine: DEBUG, so an idle dashboard is quiet at INFO.
    log.log(
        logging.INFO if result.updated else logging.DEBUG,
        "poll: %d in flight, %d updated, %d finished, %d API calls%s",
        result.in_flight,
        result.updated,
        result.finished,
        result.api_calls,
        " (skipped: another worker holds the lease)" if result.skipped else "",
    )
    if result.finished:
        refresh_stats.delay(account.pk)
    if result.in_flight and not result.skipped:
        # Only after a successful look at Contabo: an unreachable API is not a stalled download.
        notifications.detect_stalled(account=account)
    return vars(result)


@shared_task(
    bind=True,
    max_retries=3,
    soft_time_limit=settings.SYNC_SOFT_TIME_LIMIT_SECONDS,
    time_limit=settings.SYNC_TIME_LIMIT_SECONDS,
)
def sync_images(self, account_id: int) -> dict:
    account = _account(account_id)
    client = account and _client(account, "sync")
    if client is None:
        return {"failed": True}
    try:
        with _bounded(account, "sync", settings.SYNC_SOFT_TIME_LIMIT_SECONDS):
            run = sync.sync_images(client, account=account)
    except (ContaboError, OperationalError) as exc:
        if _retrying(self, exc):
            raise self.retry(exc=exc, countdown=_countdown(self, exc)) from exc
        return {"failed": True}
    log.log(
        logging.INFO if run.added or run.updated or run.gone else logging.DEBUG,
        "sync: %d added, %d updated, %d gone",
        run.added,
        run.updated,
        run.gone,
    )
    return {"added": run.added, "updated": run.updated, "gone": run.gone}


@shared_task(bind=True, max_retries=3)
def refresh_stats(self, account_id: int) -> None:
    account = _account(account_id)
    client = account and _client(account, "stats")
    if client is None:
        return
    try:
        with _bounded(account, "stats", settings.TASK_SOFT_TIME_LIMIT_SECONDS):
            sync.refresh_stats(client, account)
    except ContaboError as exc:
        if _retrying(self, exc):
            raise self.retry(exc=exc, countdown=_countdown(self, exc)) from exc


@shared_task(ignore_result=True)
def preflight_url(token: str, url: str) -> None:
    """Check an upload's URL from the worker (never the web process): HEAD, then its first
    bytes; the page polls the result.

    No retries: it is a hint for the user, and the service already reports why it failed.
    """
    preflight.run(token, url)


@shared_task
def sweep_intents() -> dict[str, int]:
    found = sweeper.stale_intents()
    workers.forget_old()
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
    counts = {
        "uploads": len(found.uploads),
        "renames": len(found.renames),
        "deletes": len(found.deletes),
        "notifications": len(stale["email"]) + len(stale["webhook"]),
    }
    if any(counts.values()):
        log.info("sweep: re-sent stranded intent %s", counts)
    return counts


# --- notifications ------------------------------------------------------------------------------

NOTIFY_MAX_RETRIES = 8


def _notify_countdown(task) -> float:
    """30 s, 1 min, 2 min ... capped at 30 min: a mail server or receiver may be down a while."""
    return min(1800, 30 * 2**task.request.retries)


def _deliver(task, notification_id: int, channel: str, send) -> None:
    """Send on one channel; retry a failed delivery, record it once the retries are spent."""
    try:
        send(notification_id)
    except notifications.DeliveryError as exc:
        if task.request.retries < task.max_retries:
            raise task.retry(exc=exc, countdown=_notify_countdown(task)) from exc
        notifications.delivery_failed(notification_id, channel, str(exc))


@shared_task(bind=True, max_retries=NOTIFY_MAX_RETRIES)
def send_notification_email(self, notification_id: int) -> None:
    _deliver(self, notification_id, "email", notifications.send_email)


@shared_task(bind=True, max_retries=NOTIFY_MAX_RETRIES)
def send_notification_webhook(self, notification_id: int) -> None:
    _deliver(self, notification_id, "webhook", notifications.send_webhook)
