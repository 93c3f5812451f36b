"""Detail page: sizes said once, a deleted image's remote fields, stale banners cleared."""

import pytest
from django.urls import reverse
from django.utils import timezone

from images.models import Status
from testkit.factories import make_image

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def detail(client, image, **extra):
    return client.get(reverse("images:detail", args=[image.pk]), **extra).content.decode()


def size_of(html: str) -> str:
    return html.split("<dt>Size</dt><dd>", 1)[1].split("</dd>", 1)[0]


def test_a_size_in_mb_is_said_once_a_size_in_gb_also_exactly(viewer_client):
    assert size_of(detail(viewer_client, make_image(size_mb=300))) == "300 MB"
    big = size_of(detail(viewer_client, make_image(size_mb=3072)))
    assert big == '3.0 GB <span class="muted">(3072 MB)</span>'


def test_a_deleted_image_no_longer_claims_to_be_at_contabo(viewer_client):
    image = make_image(status=Status.DELETED, remote_status="downloaded", seen_at=timezone.now())
    html = detail(viewer_client, image)
    assert 'no longer at Contabo <span class="muted">(last reported: downloaded)</span>' in html
    seen = html.split("<dt>Last change from Contabo</dt><dd>", 1)[1].split("</dd>", 1)[0]
    assert "just now" not in seen
    assert seen.endswith(", before it was deleted")
    ready = detail(viewer_client, make_image(seen_at=timezone.now()))
    assert "<dt>Last change from Contabo</dt><dd>just now</dd>" in ready


def test_the_local_section_has_a_heading_that_says_what_it_is(viewer_client):
    html = detail(viewer_client, make_image())
    assert "<h3>In this dashboard</h3>" in html
    assert "<h3>Here</h3>" not in html


def test_the_last_live_refresh_clears_the_queued_banner(viewer_client):
    clear = '<ul class="messages" id="messages" hx-swap-oob="true"></ul>'
    queued = make_image(status=Status.QUEUED)
    live = reverse("images:detail_live", args=[queued.pk])
    assert clear not in viewer_client.get(live, **HTMX).content.decode()  # still watched
    ready = make_image()
    settled = viewer_client.get(reverse("images:detail_live", args=[ready.pk]), **HTMX)
    assert clear in settled.content.decode()
    assert clear not in detail(viewer_client, ready)  # the full page keeps its messages
