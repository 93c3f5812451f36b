"""The end of a download: 100 % once it is done, never "about 0 s left" before."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from images.models import Status
from testkit.factories import make_downloading, make_image

pytestmark = pytest.mark.django_db
LIST = reverse("images:list")


def test_the_last_moments_say_finishing_not_about_0_s(viewer_client):
    make_downloading(name="almost", size_mb=1000, done_mb=999.8, rate_mb_s=50)
    html = viewer_client.get(LIST).content.decode()
    assert "about 0 s left" not in html
    assert "finishing" in html
    assert '<strong class="progress__percent">99%</strong>' in html  # not 100 % before the end


def test_a_download_that_just_finished_shows_100_percent(viewer_client):
    done = make_image(name="done", size_mb=300, finished_at=timezone.now())
    make_image(name="old", size_mb=300, finished_at=timezone.now() - timedelta(hours=1))
    html = viewer_client.get(LIST).content.decode()
    row = html.split(f'id="image-{done.pk}"', 1)[1].split("</tr>", 1)[0]
    assert '<progress max="100" value="100"' in row
    assert "100%</strong> · 300 MB · done" in row
    assert html.count('<progress max="100" value="100"') == 1  # not the one from an hour ago
    detail = viewer_client.get(reverse("images:detail", args=[done.pk])).content.decode()
    assert "100%</strong> · 300 MB · done" in detail


def test_a_failed_or_deleted_image_shows_no_bar(viewer_client):
    now = timezone.now()
    make_image(name="f", status=Status.FAILED, finished_at=now)
    make_image(name="d", status=Status.DELETED, finished_at=now)
    html = viewer_client.get(LIST, {"status": "all"}).content.decode()
    assert "<progress" not in html
