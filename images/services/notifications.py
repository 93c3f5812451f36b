"""Notifications of download outcomes: e-mail to users who opted in, and a signed webhook.

`announce` runs inside the transaction that changes the image's state: it stores one
Notification per (image, kind) (a unique constraint makes a second announce a no-op) and hands
each channel to a task once that transaction commits. Each channel is claimed before it is sent
and marked sent after, so a task run twice sends nothing the second time.

The webhook body is JSON, POSTed with

    X-Dashboard-Timestamp: <unix seconds>
    X-Dashboard-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>

so a receiver can check both that we sent it and that it is fresh (refuse old timestamps to stop
replays). The secret is only ever used as the HMAC key: never logged, stored or shown.
"""

import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from images.models import Image, Notification, Status
from images.services.enqueue import after_commit

log = logging.getLogger(__name__)

Kind = Notification.Kind
Delivery = Notification.Delivery
CLAIM_SECONDS = 120
GRACE_SECONDS = 30
SIGNATURE_HEADER = "X-Dashboard-Signature"
TIMESTAMP_HEADER = "X-Dashboard-Timestamp"
PREFERENCE_FIELD = {
    Kind.DOWNLOADED: "email_on_downloaded",
    Kind.ERROR: "email_on_error",
    Kind.STALLED: "email_on_stalled",
}
SUBJECTS = {
    Kind.DOWNLOADED: "“{name}” is ready",
    Kind.ERROR: "Download of “{name}” failed",
    Kind.STALLED: "Download of “{name}” may have stalled",
}


class DeliveryError(Exception):
    """A channel could not be delivered this time; the task retries it."""


# --- announcing ---------------------------------------------------------------------------------


def announce(image: Image, kind: str) -> Notification | None:
    """Store the notification and enqueue its channels after commit; None if already announced."""
    webhook = Delivery.PENDING if settings.NOTIFY_WEBHOOK_URL else Delivery.SKIPPED
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                image=image, kind=kind, webhook_state=webhook
            )
    except IntegrityError:
        return None
    after_commit("send_notification_email", notification.pk)
    if webhook == Delivery.PENDING:
        after_commit("send_notification_webhook", notification.pk)
    return notification


def detect_stalled(now=None, account=None) -> list[int]:
    """Downloads (of `account`, or all) with no progress for STALL_AFTER_SECONDS, announced once
    each; their ids."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.STALL_AFTER_SECONDS)
    images = Image.objects.filter(account=account) if account else Image.objects.all()
    stalled = (
        images.filter(status=Status.DOWNLOADING, progress_at__lt=cutoff)
        .exclude(notifications__kind=Kind.STALLED)
        .only("pk", "name")
    )
    announced = []
    for image in stalled:
        with transaction.atomic():
            if announce(image, Kind.STALLED):
                announced.append(image.pk)
    return announced


def stale_deliveries() -> dict[str, list[int]]:
    """Channels never delivered (broker down) or left claimed by a crashed worker."""
    now = timezone.now()
    grace = now - timedelta(seconds=GRACE_SECONDS)
    stale_claim = now - timedelta(seconds=CLAIM_SECONDS)
    found = {}
    for channel in ("email", "webhook"):
        rows = Notification.objects.filter(
            Q(**{f"{channel}_state": Delivery.PENDING, "created_at__lt": grace})
            | Q(**{f"{channel}_state": Delivery.SENDING, f"{channel}_claimed_at__lt": stale_claim})
        )
        found[channel] = list(rows.values_list("pk", flat=True))
    return found


# --- claiming -----------------------------------------------------------------------------------


def _claim(pk: int, channel: str) -> Notification | None:
    now = timezone.now()
    stale = now - timedelta(seconds=CLAIM_SECONDS)
    state, claimed_at = f"{channel}_state", f"{channel}_claimed_at"
    taken = (
        Notification.objects.filter(pk=pk)
        .filter(
            Q(**{state: Delivery.PENDING})
            | Q(**{state: Delivery.SENDING, f"{claimed_at}__lt": stale})
        )
        .update(**{state: Delivery.SENDING, claimed_at: now})
    )
    if not taken:
        return None
    return Notification.objects.select_related("image", "image__account").get(pk=pk)


def _done(pk: int, channel: str, state: str, **fields) -> None:
    Notification.objects.filter(pk=pk, **{f"{channel}_state": Delivery.SENDING}).update(
        **{f"{channel}_state": state}, **fields
    )


def _release(pk: int, channel: str, error: str) -> None:
    """Back to PENDING after a failed attempt, so the retry can claim it again."""
    _done(pk, channel, Delivery.PENDING, last_error=error[:1000])


def delivery_failed(pk: int, channel: str, error: str) -> None:
    """Retries spent: the channel stays FAILED with the reason (the sweeper leaves it alone)."""
    Notification.objects.filter(pk=pk).exclude(**{f"{channel}_state": Delivery.SENT}).update(
        **{f"{channel}_state": Delivery.FAILED}, last_error=error[:1000]
    )


# --- e-mail -------------------------------------------------------------------------------------


def recipients(kind: str, account=None) -> list[str]:
    """E-mail addresses of active users who may see the account's images (images.access; every
    account when None) and opted in to this kind."""
    by_role = Q(groups__permissions__codename="view_image") | Q(
        user_permissions__codename="view_image"
    )
    can_view = Q(is_superuser=True)
    if account is None or account.open_to_all:
        can_view |= by_role
    if account is not None:
        can_view |= Q(account_memberships__account=account)
    users = (
        get_user_model()
        .objects.filter(can_view, is_active=True)
        .filter(**{f"notification_preference__{PREFERENCE_FIELD[kind]}": True})
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    return sorted(set(users))


def send_email(pk: int) -> int | None:
    """Send the e-mails of one notification; the number sent, or None when not ours to send."""
    notification = _claim(pk, "email")
    if notification is None:
        return None
    addresses = recipients(notification.kind, notification.image.account)
    if not addresses:
        _done(pk, "email", Delivery.SKIPPED, email_sent_at=timezone.now())
        return 0
    subject = "[Contabo images] " + SUBJECTS[notification.kind].format(name=notification.image.name)
    body = _email_body(notification)
    messages = [
        mail.EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
        for address in addresses
    ]
    try:
        with mail.get_connection(fail_silently=False) as connection:
            connection.send_messages(messages)
    except Exception as exc:  # smtplib, socket and backend errors all mean "try later"
        _release(pk, "email", f"E-mail failed: {type(exc).__name__}: {exc}")
        raise DeliveryError(str(exc)) from exc
    _done(pk, "email", Delivery.SENT, email_sent_at=timezone.now(), email_recipients=len(addresses))
    return len(addresses)


def _email_body(notification: Notification) -> str:
    image = notification.image
    lines = [
        f"{notification.get_kind_display()}: {image.name}",
        "",
        f"OS:      {image.os_type} {image.version}",
        f"URL:     {image.url}",
        f"Status:  {image.get_status_display()}",
    ]
    if image.size_mb:
        lines.append(f"Size:    {image.uploaded_size_mb:.0f} of {image.size_mb:.0f} MB")
    if notification.kind == Kind.ERROR and image.error_message:
        lines.append(f"Error:   {image.error_message}")
    if notification.kind == Kind.STALLED:
        minutes = settings.STALL_AFTER_SECONDS / 60
        lines.append(f"No progress for more than {minutes:.0f} minutes.")
    lines += ["", f"Details: {detail_url(image)}", "", "Change these e-mails: " + _prefs_url()]
    return "\n".join(lines)


def detail_url(image: Image) -> str:
    return settings.DASHBOARD_URL + reverse("images:detail", args=[image.pk])


def _prefs_url() -> str:
    return settings.DASHBOARD_URL + reverse("images:notifications")


# --- webhook ------------------------------------------------------------------------------------


def payload(notification: Notification) -> dict:
    image = notification.image
    return {
        "id": notification.pk,
        "event": f"image.{notification.kind}",
        "occurred_at": notification.created_at,
        "image": {
            "id": image.pk,
            "remote_id": image.remote_id,
            "name": image.name,
            "status": image.status,
            "os_type": image.os_type,
            "version": image.version,
            "url": image.url,
            "size_mb": image.size_mb,
            "uploaded_size_mb": image.uploaded_size_mb,
            "error_message": image.error_message,
            "replaces": image.replaces_id,
            "link": detail_url(image),
        },
    }


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` over `<timestamp>.<body>`, as in the X-Dashboard-Signature header."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def send_webhook(pk: int) -> bool | None:
    """POST one notification; True when delivered, None when not ours to send."""
    if not settings.NOTIFY_WEBHOOK_URL:
        return None
    notification = _claim(pk, "webhook")
    if notification is None:
        return None
    body = json.dumps(payload(notification), cls=DjangoJSONEncoder, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "contabo-images-dashboard",
        "X-Dashboard-Event": f"image.{notification.kind}",
        "X-Dashboard-Delivery": str(notification.pk),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(settings.NOTIFY_WEBHOOK_SECRET, timestamp, body),
    }
    try:
        response = requests.post(
            settings.NOTIFY_WEBHOOK_URL,
            data=body,
            headers=headers,
            timeout=settings.NOTIFY_WEBHOOK_TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        error = f"Webhook failed: {type(exc).__name__}"
        _release(pk, "webhook", error)
        raise DeliveryError(error) from exc
    if not 200 <= response.status_code < 300:
        error = f"Webhook answered HTTP {response.status_code}"
        _release(pk, "webhook", error)
        raise DeliveryError(error)
    _done(pk, "webhook", Delivery.SENT, webhook_sent_at=timezone.now())
    return True


def set_email(user, email: str) -> None:
    """The address a user gives for their own download e-mails (the notifications page)."""
    if user.email != email:
        user.email = email
        user.save(update_fields=["email"])
