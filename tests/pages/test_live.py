"""Live progress: one request per interval for the whole page, stopping when nothing moves.

The list's poller stays on the page (its timer is never restarted); each answer swaps the rows
and the `#live-ids` input out of band, and answers 286 (htmx: stop polling) once nothing is live.
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from images.models import Image, Status
from testkit.factories import make_downloading, make_image

pytestmark = pytest.mark.django_db
LIVE = reverse("images:list_live")


STOP_POLLING = 286


def poller(html: str) -> str:
    match = re.search(r'<div id="live-poller"[^>]*>', html)
    assert match, "no poller"
    return match.group(0)


def live_ids_input(html: str) -> str:
    match = re.search(r'<input type="hidden" id="live-ids"[^>]*>', html)
    assert match, "no ids input"
    return match.group(0)


def live_ids(html: str) -> list[int]:
    value = re.search(r'value="([^"]*)"', live_ids_input(html)).group(1)
    return [int(i) for i in value.split(",") if i]


def row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="image-(\d+)"', html)]


def test_list_with_in_flight_rows_has_one_poller_for_them(viewer_client, settings):
    settings.PAGE_REFRESH_SECONDS = 2
    ready = make_image(name="ready")
    a = make_downloading(name="a")
    b = make_image(name="b", status=Status.QUEUED)
    html = viewer_client.get(reverse("images:list")).content.decode()
    tag = poller(html)
    assert sorted(live_ids(html)) == sorted([a.pk, b.pk])
    assert ready.pk not in live_ids(html)
    assert f'hx-get="{LIVE}"' in tag  # the ids come from the input, not the URL
    assert 'hx-include="#live-ids, #live-version"' in tag
    assert 'hx-trigger="every 2000ms"' in tag
    assert 'hx-swap="none"' in tag
    assert 'name="ids"' in live_ids_input(html)
    assert "hx-swap-oob" not in live_ids_input(html)
    # One poller for the page, not one per row.
    assert html.count("hx-get=") == 1


def test_list_without_in_flight_rows_does_not_poll(viewer_client):
    make_image(name="ready")
    make_image(name="failed", status=Status.FAILED)
    html = viewer_client.get(reverse("images:list")).content.decode()
    tag = poller(html)
    assert "hx-trigger" not in tag
    assert "hx-get" not in tag
    assert live_ids(html) == []


def test_fragment_returns_only_the_watched_rows_out_of_band(viewer_client):
    a = make_downloading(name="a", size_mb=1000, done_mb=250)
    b = make_downloading(name="b")
    make_image(name="other")
    response = viewer_client.get(LIVE, {"ids": f"{a.pk},{b.pk}"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert row_ids(html) == [a.pk, b.pk]
    assert html.count('hx-swap-oob="true"') == 4  # two rows, the ids and their version
    assert 'hx-swap-oob="true"' in live_ids_input(html)
    assert "<html" not in html  # a fragment, not a page
    assert "25%" in html
    assert 'id="live-poller"' not in html  # the poller itself stays, its timer running
    assert "hx-get" not in html
    assert live_ids(html) == [a.pk, b.pk]


def version(html: str) -> str:
    match = re.search(r'<input type="hidden" id="live-version" name="v" value="(\w+)"', html)
    assert match, "no version input"
    return match.group(1)


def test_unchanged_rows_answer_204_from_one_query_without_rendering(
    viewer_client, django_assert_max_num_queries
):
    a = make_downloading(name="a")
    b = make_image(name="b", status=Status.QUEUED)
    page = viewer_client.get(reverse("images:list")).content.decode()
    asked = {"ids": ",".join(map(str, live_ids(page))), "v": version(page)}
    # session, user, account, then one query for the watched rows' version
    with django_assert_max_num_queries(4):
        response = viewer_client.get(LIVE, asked, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response.content == b""

    # Any change to a watched row (bytes, rename, status) means a full answer with a new version.
    for change in ({"uploaded_size_mb": 900}, {"pending_name": "b2"}, {"status": Status.FAILED}):
        Image.objects.filter(pk=a.pk if "uploaded_size_mb" in change else b.pk).update(**change)
        response = viewer_client.get(LIVE, asked, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        html = response.content.decode()
        assert version(html) != asked["v"]
        assert row_ids(html) == [int(i) for i in asked["ids"].split(",")]
        asked = {"ids": ",".join(map(str, live_ids(html))), "v": version(html)}
        assert viewer_client.get(LIVE, asked).status_code == 204  # and quiet again after


def test_a_row_going_quiet_long_enough_to_stall_is_a_change(viewer_client, settings):
    settings.STALL_AFTER_SECONDS = 60
    a = make_downloading(name="a")
    page = viewer_client.get(reverse("images:list")).content.decode()
    asked = {"ids": str(a.pk), "v": version(page)}
    assert viewer_client.get(LIVE, asked).status_code == 204
    Image.objects.filter(pk=a.pk).update(progress_at=timezone.now() - timedelta(minutes=5))
    page = viewer_client.get(reverse("images:list")).content.decode()
    assert "progress--stalled" in page
    asked_then = {"ids": str(a.pk), "v": version(page)}
    settings.STALL_AFTER_SECONDS = 600  # the same rows, but what they show depends on time
    response = viewer_client.get(LIVE, asked_then)
    assert response.status_code == 200
    assert "progress--stalled" not in response.content.decode()


def test_fragment_sends_a_finished_row_once_then_drops_it(viewer_client):
    a = make_downloading(name="a")
    b = make_downloading(name="b")
    Image.objects.filter(pk=a.pk).update(status=Status.DOWNLOADED, uploaded_size_mb=2000)
    response = viewer_client.get(LIVE, {"ids": f"{a.pk},{b.pk}"})
    html = response.content.decode()
    assert response.status_code == 200  # b still moves: keep polling
    assert row_ids(html) == [a.pk, b.pk]
    assert "Ready" in html  # a's final state replaces its progress bar
    assert live_ids(html) == [b.pk]

    # The next request carries only b: a is not sent again.
    html = viewer_client.get(LIVE, {"ids": ",".join(map(str, live_ids(html)))}).content.decode()
    assert row_ids(html) == [b.pk]


def test_fragment_stops_polling_when_nothing_is_in_flight(viewer_client):
    a = make_downloading(name="a")
    Image.objects.filter(pk=a.pk).update(status=Status.FAILED, error_message="boom")
    response = viewer_client.get(LIVE, {"ids": str(a.pk)})
    html = response.content.decode()
    assert response.status_code == STOP_POLLING
    assert row_ids(html) == [a.pk]  # still swapped: the row shows its final state
    assert "Failed" in html
    assert live_ids(html) == []
    assert "hx-trigger" not in html


def test_fragment_ignores_junk_ids_and_caps_the_count(viewer_client):
    a = make_downloading(name="a")
    junk = ",".join(["x", "-1", "", "99999999", str(a.pk), str(a.pk)] + ["1"] * 500)
    response = viewer_client.get(LIVE, {"ids": junk})
    assert response.status_code == 200
    assert row_ids(response.content.decode()) == [a.pk]
    assert live_ids(response.content.decode()) == [a.pk]


def test_fragment_with_no_ids_stops_polling(viewer_client):
    response = viewer_client.get(LIVE)
    html = response.content.decode()
    assert response.status_code == STOP_POLLING
    assert row_ids(html) == []
    assert live_ids(html) == []


def test_deleting_rows_are_watched_until_confirmed(viewer_client):
    a = make_image(name="going", status=Status.DELETING)
    html = viewer_client.get(reverse("images:list")).content.decode()
    assert "hx-trigger" in poller(html)
    assert live_ids(html) == [a.pk]
    response = viewer_client.get(LIVE, {"ids": str(a.pk)})
    assert response.status_code == 200
    assert live_ids(response.content.decode()) == [a.pk]


def test_detail_polls_itself_only_while_in_flight(viewer_client, settings):
    settings.PAGE_REFRESH_SECONDS = 1.5
    a = make_downloading(name="a", size_mb=1000, done_mb=100)
    html = viewer_client.get(reverse("images:detail", args=[a.pk])).content.decode()
    body = re.search(r'<div id="detail-body"[^>]*>', html).group(0)
    assert f'hx-get="{reverse("images:detail_live", args=[a.pk])}"' in body
    assert 'hx-trigger="every 1500ms"' in body
    assert html.count("hx-get=") == 1

    fragment = viewer_client.get(reverse("images:detail_live", args=[a.pk])).content.decode()
    assert fragment.lstrip().startswith('<div id="detail-body"')
    assert "<html" not in fragment
    assert "10%" in fragment
    assert "hx-trigger" in fragment

    Image.objects.filter(pk=a.pk).update(status=Status.DOWNLOADED, uploaded_size_mb=1000)
    fragment = viewer_client.get(reverse("images:detail_live", args=[a.pk])).content.decode()
    assert "Ready" in fragment
    assert "hx-trigger" not in fragment


def test_detail_polls_while_a_rename_is_pending(viewer_client):
    a = make_image(name="old", pending_name="new", pending_description="")
    fragment = viewer_client.get(reverse("images:detail_live", args=[a.pk])).content.decode()
    assert "hx-trigger" in fragment
    Image.objects.filter(pk=a.pk).update(name="new", pending_name=None)
    fragment = viewer_client.get(reverse("images:detail_live", args=[a.pk])).content.decode()
    assert "hx-trigger" not in fragment
    assert '<h1 class="break" id="image-title">new</h1>' in fragment


def test_pages_carry_the_retry_notice_and_htmx_from_static(viewer_client):
    html = viewer_client.get(reverse("images:list")).content.decode()
    assert 'id="live-notice"' in html
    assert "Live updates paused — retrying" in html
    assert "/static/js/htmx-2.0.10.min.js" in html
    assert "/static/js/live.js" in html
    assert "https://" not in re.sub(r'href="https://example.com[^"]*"', "", html)  # no CDN
