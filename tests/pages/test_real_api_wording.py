"""What the pages say when the API is vaguer than its spec: a status we do not know, a download
with no bytes reported, a suspicion of a stall, skipped items, an intent waiting for sign-in."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from images.models import Heartbeat, Status
from images.services.accounts import settings_account
from testkit.factories import make_image

pytestmark = pytest.mark.django_db
LIST = reverse("images:list")


def test_an_unknown_status_is_shown_verbatim(viewer_client):
    image = make_image(
        name="odd", status=Status.DOWNLOADING, remote_status="processing", size_mb=100
    )
    for url in (LIST, reverse("images:detail", args=[image.pk])):
        html = viewer_client.get(url).content.decode()
        assert "Contabo says: processing" in html


def test_no_bytes_reported_is_not_a_frozen_percentage(viewer_client, settings):
    settings.STALL_AFTER_SECONDS = 600
    make_image(
        name="quiet",
        status=Status.DOWNLOADING,
        size_mb=2048,
        uploaded_size_mb=0,
        progress_at=timezone.now() - timedelta(seconds=300),
    )
    html = viewer_client.get(LIST).content.decode()
    assert "Downloading, no progress reported yet (2048 MB)" in html
    assert "<progress" not in html
    assert "stalled" not in html.lower()


def test_stalled_is_a_suspicion_and_only_after_the_deadline(viewer_client, settings):
    settings.STALL_AFTER_SECONDS = 600
    image = make_image(
        name="slowpoke",
        status=Status.DOWNLOADING,
        size_mb=100,
        uploaded_size_mb=0,
        progress_at=timezone.now() - timedelta(seconds=599),
    )
    assert "stalled" not in viewer_client.get(LIST).content.decode().lower()
    image.progress_at = timezone.now() - timedelta(seconds=601)
    image.save()
    html = viewer_client.get(LIST).content.decode()
    assert "Possibly stalled" in html and "Downloading, no progress reported yet" in html


def test_skipped_items_are_on_the_health_line(viewer_client):
    account = settings_account()
    note = "1 unreadable image skipped: abc (image list data[3]: field 'sizeMb' is not a number)"
    Heartbeat.objects.create(name=account.job_key("sync"), ok_at=timezone.now(), note=note)
    html = viewer_client.get(LIST).content.decode()
    assert "1 unreadable image skipped: abc" in html


def test_a_waiting_intent_shows_its_reason(viewer_client):
    image = make_image(
        name="later", status=Status.QUEUED, remote_id=None, wait_reason="Contabo sign-in failing"
    )
    assert "Waiting: Contabo sign-in failing" in viewer_client.get(LIST).content.decode()
    detail = viewer_client.get(reverse("images:detail", args=[image.pk])).content.decode()
    assert "Waiting: Contabo sign-in failing" in detail


def test_stats_left_out_by_contabo_are_named_on_the_quota_page(viewer_client):
    account = settings_account()
    note = "Contabo's stats left out totalSizeMb"
    Heartbeat.objects.create(name=account.job_key("stats"), ok_at=timezone.now(), note=note)
    html = viewer_client.get(reverse("images:stats")).content.decode()
    assert "Contabo&#x27;s stats left out totalSizeMb" in html
