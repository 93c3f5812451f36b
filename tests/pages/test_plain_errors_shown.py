"""The list and the detail headline say what a download failure means; the raw message stays."""

import pytest
from django.urls import reverse

from images.models import Status
from testkit.factories import make_image

pytestmark = pytest.mark.django_db
RAW = "Error downloading image from provided URL: [Errno -2] Name or service not known"


def test_list_row_in_plain_words_raw_as_its_title(viewer_client):
    make_image(name="broken", status=Status.FAILED, error_message=RAW)
    html = viewer_client.get(reverse("images:list")).content.decode()
    assert f'title="{RAW}">The host name does not resolve.</span>' in html


def test_detail_headline_in_plain_words_raw_message_kept(viewer_client):
    image = make_image(name="broken", status=Status.FAILED, error_message=RAW)
    html = viewer_client.get(reverse("images:detail", args=[image.pk])).content.decode()
    headline = html.split('id="failure-headline"', 1)[1].split("</p>", 1)[0]
    assert 'Download failed: <span class="break">The host name does not resolve.</span>' in headline
    assert RAW not in headline
    assert f'id="error-message">{RAW}</dd>' in html


def test_a_failure_without_a_message_still_says_something(viewer_client):
    image = make_image(name="mute", status=Status.FAILED, error_message="")
    html = viewer_client.get(reverse("images:detail", args=[image.pk])).content.decode()
    assert "Contabo reported the download as failed without saying why." in html
