"""The API list answers in a bounded number of queries, whatever the page size and the total."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from images.models import Status
from testkit.factories import make_downloading, make_image

pytestmark = pytest.mark.django_db
LIST = reverse("api:images")
# token (with its user), accounts and role, the page, the progress samples of its rows.
MAX_QUERIES = 4
# A search of 3 characters or more on SQLite first counts its hits up to images.search.BROAD,
# to choose between its FTS index and the list's own order.
SEARCH_PROBE = 1 if connection.vendor == "sqlite" else 0


def queries(client, url: str) -> int:
    client.get(url)  # the token's last use is written at most once a minute: not this one
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_list_queries_do_not_grow_with_page_size_or_total(
    api_manager, django_assert_max_num_queries
):
    for _ in range(3):
        make_downloading()
    make_image()
    small = {size: queries(api_manager, f"{LIST}?page_size={size}") for size in (1, 100)}
    for _ in range(120):
        make_image(status=Status.DOWNLOADING)
    large = {size: queries(api_manager, f"{LIST}?page_size={size}") for size in (1, 100)}
    assert len(set(small.values()) | set(large.values())) == 1, (small, large)
    next_url = api_manager.get(f"{LIST}?page_size=100").json()["next"]
    with django_assert_max_num_queries(MAX_QUERIES):
        assert api_manager.get(next_url).status_code == 200
    with django_assert_max_num_queries(MAX_QUERIES + SEARCH_PROBE):
        api_manager.get(f"{LIST}?page_size=100&q=image&sort=name&status=downloading")
