"""Notifications: opt-in e-mail (locmem outbox), signed webhook (pytest-httpserver), stalls."""

import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from werkzeug import Response

from images import tasks
from images.models import Image, Notification, NotificationPreference, Status
from images.services import notifications
from images.services.accounts import settings_account
from testkit.factories import make_image, make_user

pytestmark = pytest.mark.django_db
SECRET = "whsec-test-0123456789abcdef"
Delivery = Notification.Delivery


class Receiver:
    """A webhook receiver (pytest-httpserver on loopback): records each request, answers the
    queued statuses, then 204."""

    def __init__(self, httpserver):
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        self.url = httpserver.url_for("/hook")
        httpserver.expect_request("/hook", method="POST").respond_with_handler(self._answer)

    def _answer(self, request) -> Response:
        self.requests.append({"headers": dict(request.headers), "body": request.get_data()})
        return Response(status=self.statuses.pop(0) if self.statuses else 204)


@pytest.fixture
def receiver(settings, httpserver):
    receiver = Receiver(httpserver)
    settings.NOTIFY_WEBHOOK_URL = receiver.url
    settings.NOTIFY_WEBHOOK_SECRET = SECRET
    return receiver


@pytest.fixture
def no_webhook(settings):
    settings.NOTIFY_WEBHOOK_URL = ""
    settings.NOTIFY_WEBHOOK_SECRET = ""


def opted_in(username, *, role="viewer", email=None, **prefs):
    user = make_user(username, role=role, email=email or f"{username}@example.com")
    NotificationPreference.objects.create(user=user, **prefs)
    return user


def verify(request, secret=SECRET, max_age=300) -> dict:
    """What a receiver does: check the timestamp is fresh and the signature matches."""
    headers = {k.lower(): v for k, v in request["headers"].items()}
    timestamp = headers["x-dashboard-timestamp"]
    assert abs(time.time() - int(timestamp)) < max_age
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + request["body"], hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(headers["x-dashboard-signature"], "sha256=" + expected)
    return json.loads(request["body"])


# --- announcing ---------------------------------------------------------------------------------


def test_announce_stores_once_and_enqueues_after_commit(
    receiver, django_capture_on_commit_callbacks
):
    image = make_image()
    with django_capture_on_commit_callbacks() as callbacks:
        first = notifications.announce(image, Notification.Kind.DOWNLOADED)
        again = notifications.announce(image, Notification.Kind.DOWNLOADED)
    assert first is not None
    assert again is None
    assert Notification.objects.count() == 1
    assert len(callbacks) == 2  # the e-mail task and the webhook task, once


def test_without_a_webhook_only_the_email_is_queued(no_webhook, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        notification = notifications.announce(make_image(), Notification.Kind.ERROR)
    assert notification.webhook_state == Delivery.SKIPPED
    assert len(callbacks) == 1


# --- e-mail -------------------------------------------------------------------------------------


def test_email_reaches_only_users_who_opted_in_for_that_kind(no_webhook):
    opted_in("ana", email_on_downloaded=True)
    opted_in("ben", role="manager", email_on_downloaded=True, email_on_error=True)
    opted_in("cid", email_on_error=True)  # another kind
    opted_in("dee", email_on_downloaded=True).groups.clear()  # no role: may not see images
    inactive = opted_in("eve", email_on_downloaded=True)
    inactive.is_active = False
    inactive.save()
    make_user("fay", role="viewer", email="fay@example.com")  # never opted in
    image = make_image(name="golden", status=Status.DOWNLOADED)
    notification = notifications.announce(image, Notification.Kind.DOWNLOADED)

    tasks.send_notification_email.apply(args=[notification.pk])

    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.com", "ben@example.com"]
    assert all(len(m.to) == 1 for m in mail.outbox)  # nobody sees the other addresses
    message = mail.outbox[0]
    assert message.subject == "[Contabo images] “golden” is ready"
    assert f"/images/{image.pk}/" in message.body
    notification.refresh_from_db()
    assert notification.email_state == Delivery.SENT
    assert notification.email_recipients == 2


def test_error_email_carries_the_message(no_webhook):
    opted_in("ana", email_on_error=True)
    image = make_image(status=Status.FAILED, error_message="HTTP 404 Not Found")
    notification = notifications.announce(image, Notification.Kind.ERROR)
    tasks.send_notification_email.apply(args=[notification.pk])
    assert "failed" in mail.outbox[0].subject
    assert "HTTP 404 Not Found" in mail.outbox[0].body


def test_running_the_email_task_twice_sends_once(no_webhook):
    opted_in("ana", email_on_downloaded=True)
    notification = notifications.announce(make_image(), Notification.Kind.DOWNLOADED)
    tasks.send_notification_email.apply(args=[notification.pk])
    tasks.send_notification_email.apply(args=[notification.pk])
    assert len(mail.outbox) == 1


def test_nobody_opted_in_sends_nothing(no_webhook):
    notification = notifications.announce(make_image(), Notification.Kind.DOWNLOADED)
    tasks.send_notification_email.apply(args=[notification.pk])
    notification.refresh_from_db()
    assert mail.outbox == []
    assert notification.email_state == Delivery.SKIPPED


def test_a_mail_server_failure_is_retried(no_webhook, monkeypatch):
    opted_in("ana", email_on_downloaded=True)
    notification = notifications.announce(make_image(), Notification.Kind.DOWNLOADED)
    real = mail.get_connection
    failures = iter([OSError("connection refused")])

    def flaky(**kwargs):
        connection = real(**kwargs)
        error = next(failures, None)
        if error:

            def refuse(messages):
                raise error

            connection.send_messages = refuse
        return connection

    monkeypatch.setattr(mail, "get_connection", flaky)
    tasks.send_notification_email.apply(args=[notification.pk])  # eager: retries at once
    notification.refresh_from_db()
    assert len(mail.outbox) == 1
    assert notification.email_state == Delivery.SENT


# --- webhook ------------------------------------------------------------------------------------


def test_webhook_body_is_signed_with_a_timestamp(receiver):
    image = make_image(name="golden", status=Status.DOWNLOADED)
    notification = notifications.announce(image, Notification.Kind.DOWNLOADED)
    tasks.send_notification_webhook.apply(args=[notification.pk])

    [request] = receiver.requests
    body = verify(request)
    assert body["event"] == "image.downloaded"
    assert body["id"] == notification.pk
    assert body["image"]["name"] == "golden"
    assert body["image"]["id"] == image.pk
    assert body["image"]["link"].endswith(f"/images/{image.pk}/")
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["content-type"] == "application/json"
    assert headers["x-dashboard-delivery"] == str(notification.pk)
    notification.refresh_from_db()
    assert notification.webhook_state == Delivery.SENT


def test_a_wrong_secret_or_a_changed_body_fails_verification(receiver):
    notification = notifications.announce(make_image(), Notification.Kind.DOWNLOADED)
    tasks.send_notification_webhook.apply(args=[notification.pk])
    [request] = receiver.requests
    with pytest.raises(AssertionError):
        verify(request, secret="another-secret")
    with pytest.raises(AssertionError):
        verify({**request, "body": request["body"].replace(b"downloaded", b"error")})
    # The timestamp is part of what is signed: replaying the body with a new one fails.
    replay = {**request, "headers": {**request["headers"]}}
    replay["headers"]["X-Dashboard-Timestamp"] = str(int(time.time()) + 1)
    with pytest.raises(AssertionError):
        verify(replay)


def test_running_the_webhook_task_twice_posts_once(receiver):
    notification = notifications.announce(make_image(), Notification.Kind.ERROR)
    tasks.send_notification_webhook.apply(args=[notification.pk])
    tasks.send_notification_webhook.apply(args=[notification.pk])
    assert len(receiver.requests) == 1


def test_a_failing_receiver_is_retried_until_it_answers(receiver):
    receiver.statuses = [500, 503]
    notification = notifications.announce(make_image(), Notification.Kind.STALLED)
    tasks.send_notification_webhook.apply(args=[notification.pk])  # eager: retries at once
    assert len(receiver.requests) == 3
    bodies = {r["body"] for r in receiver.requests}
    assert len({json.loads(b)["id"] for b in bodies}) == 1  # same delivery id every time
    notification.refresh_from_db()
    assert notification.webhook_state == Delivery.SENT


def test_retries_spent_leave_a_visible_failure_without_the_secret(receiver, caplog):
    receiver.statuses = [500] * (tasks.NOTIFY_MAX_RETRIES + 1)
    notification = notifications.announce(make_image(), Notification.Kind.ERROR)
    with caplog.at_level(logging.DEBUG):
        tasks.send_notification_webhook.apply(args=[notification.pk])
    notification.refresh_from_db()
    assert notification.webhook_state == Delivery.FAILED
    assert "HTTP 500" in notification.last_error
    assert len(receiver.requests) == tasks.NOTIFY_MAX_RETRIES + 1
    assert SECRET not in caplog.text
    assert SECRET not in notification.last_error


def test_an_unreachable_receiver_is_a_retryable_failure(settings):
    settings.NOTIFY_WEBHOOK_URL = "http://127.0.0.1:9/hook"  # discard port: nothing listens
    settings.NOTIFY_WEBHOOK_SECRET = SECRET
    notification = notifications.announce(make_image(), Notification.Kind.ERROR)
    with pytest.raises(notifications.DeliveryError):
        notifications.send_webhook(notification.pk)
    notification.refresh_from_db()
    assert notification.webhook_state == Delivery.PENDING  # the retry can claim it
    assert "ConnectionError" in notification.last_error


def test_a_claim_left_by_a_crashed_worker_is_swept(receiver):
    notification = notifications.announce(make_image(), Notification.Kind.ERROR)
    old = timezone.now() - timedelta(seconds=notifications.CLAIM_SECONDS + 1)
    Notification.objects.filter(pk=notification.pk).update(
        webhook_state=Delivery.SENDING, webhook_claimed_at=old, created_at=old
    )
    assert notification.pk in notifications.stale_deliveries()["webhook"]
    assert notifications.send_webhook(notification.pk)
    assert len(receiver.requests) == 1


# --- stalls -------------------------------------------------------------------------------------


def test_a_download_without_progress_is_announced_once(settings, no_webhook):
    settings.STALL_AFTER_SECONDS = 60
    now = timezone.now()
    stuck = make_image(status=Status.DOWNLOADING, progress_at=now - timedelta(seconds=61))
    make_image(status=Status.DOWNLOADING, progress_at=now - timedelta(seconds=30))  # moving
    make_image(status=Status.DOWNLOADED, progress_at=now - timedelta(hours=1))  # done
    assert notifications.detect_stalled() == [stuck.pk]
    assert notifications.detect_stalled() == []
    assert list(Notification.objects.values_list("image", "kind")) == [(stuck.pk, "stalled")]


def test_stalled_email(settings, no_webhook):
    settings.STALL_AFTER_SECONDS = 600
    opted_in("ana", email_on_stalled=True)
    make_image(status=Status.DOWNLOADING, progress_at=timezone.now() - timedelta(hours=1))
    [pk] = notifications.detect_stalled()
    tasks.send_notification_email.apply(args=[Notification.objects.get().pk])
    assert "stalled" in mail.outbox[0].subject
    assert "No progress for more than 10 minutes" in mail.outbox[0].body
    assert Image.objects.get(pk=pk).status == Status.DOWNLOADING  # only told, not changed


# --- settings page ------------------------------------------------------------------------------

PREFS = reverse("images:notifications")


def test_preferences_page_needs_a_login(client):
    response = client.get(PREFS)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_every_user_edits_their_own_preferences(viewer_client, viewer):
    response = viewer_client.get(PREFS)
    html = response.content.decode()
    assert response.status_code == 200
    assert "has no e-mail address" in html  # the factory user has none
    assert 'name="email_on_downloaded"' in html
    response = viewer_client.post(PREFS, {"email_on_error": "on", "email_on_stalled": "on"})
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=viewer)
    assert (preference.email_on_downloaded, preference.email_on_error) == (False, True)
    assert preference.email_on_stalled
    assert "saved" in viewer_client.get(PREFS).content.decode()


def test_users_set_their_own_address(viewer_client, viewer):
    bad = viewer_client.post(PREFS, {"email": "vera at example", "email_on_error": "on"})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "This is not an e-mail address" in html
    assert 'value="vera at example"' in html  # what was typed is kept
    assert 'name="email_on_error" id="id_email_on_error" checked' in html
    viewer.refresh_from_db()
    assert viewer.email == ""
    ok = viewer_client.post(PREFS, {"email": "vera@example.com", "email_on_error": "on"})
    assert ok.status_code == 302
    viewer.refresh_from_db()
    assert viewer.email == "vera@example.com"
    html = viewer_client.get(PREFS).content.decode()
    assert 'value="vera@example.com"' in html
    assert "has no e-mail address" not in html
    assert notifications.recipients("error", settings_account()) == ["vera@example.com"]


def test_the_page_never_shows_the_webhook_secret_or_url(viewer_client, receiver):
    html = viewer_client.get(PREFS).content.decode()
    assert "A webhook also receives every event" in html
    assert SECRET not in html
    assert receiver.url not in html
