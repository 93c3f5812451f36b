"""Keyset pagination of the list: Next, Previous, First, Last and typed page numbers walk the
same order as the whole sorted list, with no row twice or missing, and a deep page costs what
the first costs (no OFFSET)."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from images import selectors
from images.models import Image, Status
from images.services.accounts import settings_account
from testkit.factories import make_image

pytestmark = pytest.mark.django_db
LIST = reverse("images:list")
SORTS = ["name", "-name", "size", "-size", "date", "-date", "status", "-status"]


@pytest.fixture
def rows():
    """60 visible rows with ties on size and status and 4 without a remote date (queued)."""
    now = timezone.now()
    for i in range(56):
        make_image(
            name=f"img-{(i * 37) % 56:02d}",
            size_mb=float(100 * (i % 7)),
            status=(Status.DOWNLOADED, Status.FAILED, Status.DOWNLOADING)[i % 3],
            remote_created_at=now - timedelta(minutes=i * 13 % 50),
        )
    for i in range(4):
        make_image(name=f"queued-{i}", status=Status.QUEUED)
    make_image(name="hidden", status=Status.DELETED)


def expected(sort: str) -> list[int]:
    images = selectors.image_queryset(settings_account(), sort=sort)
    return [i.pk for i in images]


def ids(response) -> list[int]:
    return [i.pk for i in response.context["page"].object_list]


def link(response, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', response.content.decode())
    return unescape(found.group(1)) if found else None


def last_link(response) -> str:
    found = re.search(r'<a href="([^"]+)" aria-label="Last page">', response.content.decode())
    return unescape(found.group(1))


@pytest.mark.parametrize("sort", SORTS)
def test_next_walks_the_whole_order_once(viewer_client, rows, sort):
    response = viewer_client.get(LIST, {"sort": sort})
    seen, numbers = ids(response), [response.context["page"].number]
    while (url := link(response, "next")) is not None:
        response = viewer_client.get(LIST + url)
        seen += ids(response)
        numbers.append(response.context["page"].number)
    assert seen == expected(sort)
    assert numbers == [1, 2, 3]


@pytest.mark.parametrize("sort", SORTS)
def test_previous_from_last_walks_it_back(viewer_client, rows, sort):
    response = viewer_client.get(LIST + last_link(viewer_client.get(LIST, {"sort": sort})))
    assert response.context["page"].number == 3
    pages = [ids(response)]
    while (url := link(response, "prev")) is not None:
        response = viewer_client.get(LIST + url)
        pages.insert(0, ids(response))
    order = expected(sort)
    assert pages == [order[:25], order[25:50], order[50:]]
    assert response.context["page"].number == 1


@pytest.mark.parametrize("sort", SORTS)
def test_typed_page_numbers_land_on_the_same_rows(viewer_client, rows, sort):
    order = expected(sort)
    for number, rows_of_page in ((1, order[:25]), (2, order[25:50]), (3, order[50:])):
        response = viewer_client.get(LIST, {"sort": sort, "page": number})
        assert ids(response) == rows_of_page
        assert response.context["page"].number == number
    past_the_end = viewer_client.get(LIST, {"sort": sort, "page": 40})
    assert ids(past_the_end) == order[50:]


@pytest.mark.parametrize("sort", ["-date", "name"])
def test_a_typed_page_number_asked_again_seeks_from_its_kept_anchor(viewer_client, rows, sort):
    """Typed again within the minute, a page number is read from the row before it (kept the
    first time), not counted: the same rows, no OFFSET; rows removed meanwhile shift it."""
    order = expected(sort)
    viewer_client.get(LIST, {"sort": sort, "page": 2})
    with CaptureQueriesContext(connection) as again:
        response = viewer_client.get(LIST, {"sort": sort, "page": 2})
    assert ids(response) == order[25:50]
    assert response.context["page"].number == 2
    assert not [q for q in again.captured_queries if "OFFSET" in q["sql"].upper()]
    Image.objects.filter(pk__in=order[24:26]).delete()  # the anchor and the page's first row
    assert ids(viewer_client.get(LIST, {"sort": sort, "page": 2})) == order[26:51]


def test_a_cursor_that_is_not_ours_is_ignored(viewer_client, rows):
    for junk in ("x", "!!!", "WyJhIiwxXQ", "bnVsbA", "WyJhIiwidHdvIl0"):
        response = viewer_client.get(LIST, {"sort": "-size", "after": junk, "page": 2})
        assert response.status_code == 200
        assert ids(response) == expected("-size")[25:50]


def test_a_deep_page_reads_one_index_range_not_an_offset(viewer_client, rows):
    first = viewer_client.get(LIST, {"sort": "-size"})
    second_url = link(first, "next")
    third_url = link(viewer_client.get(LIST + second_url), "next")
    with CaptureQueriesContext(connection) as at_start:
        viewer_client.get(LIST, {"sort": "-size"})
    with CaptureQueriesContext(connection) as deep:
        response = viewer_client.get(LIST + third_url)
    assert ids(response) == expected("-size")[50:]
    assert len(deep.captured_queries) == len(at_start.captured_queries)
    assert not [q for q in deep.captured_queries if "OFFSET" in q["sql"].upper()]


def test_links_keep_filters_and_sorting_drops_the_cursor(viewer_client, rows):
    response = viewer_client.get(LIST, {"sort": "name", "status": "error"})
    assert response.context["page"].paginator.count == len(
        expected_error := [
            i.pk for i in selectors.image_queryset(settings_account(), status="error", sort="name")
        ]
    )
    page2 = viewer_client.get(LIST + link(response, "next")) if link(response, "next") else None
    html = viewer_client.get(LIST, {"sort": "name", "page": 2, "after": "x"}).content.decode()
    header = re.search(r'aria-sort="ascending">\s*<a href="([^"]+)"', html).group(1)
    assert "after" not in header and "page" not in header
    assert page2 is None or ids(page2) == expected_error[25:]
