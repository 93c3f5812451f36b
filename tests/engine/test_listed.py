"""The ids a sync saw listed live in a temporary table of its connection, one run at a time."""

import pytest
from django.db import connection

from images.models import Image, Status
from images.services import listed
from images.services.accounts import settings_account

pytestmark = pytest.mark.django_db


def test_an_id_is_new_once_per_run():
    with listed.listed_ids() as seen:
        assert seen.add(["a", "b", "a"]) == {"a", "b"}
        assert seen.add(["b", "c"]) == {"c"}
        assert seen.count == 3
    with listed.listed_ids() as seen:
        assert seen.add(["a"]) == {"a"}  # a new run starts empty


def test_more_ids_than_one_statement_takes_are_all_recorded():
    ids = [f"id-{n}" for n in range((connection.features.max_query_params or 1000) + 5)]
    with listed.listed_ids() as seen:
        assert seen.add(ids) == set(ids)
        assert seen.add(ids[-3:]) == set()


def test_exclude_from_leaves_the_rows_whose_id_was_not_listed():
    account = settings_account()
    for remote_id in ("shown", "not shown"):
        Image.objects.create(account=account, remote_id=remote_id, status=Status.DOWNLOADED)
    with listed.listed_ids() as seen:
        seen.add(["shown", "elsewhere"])
        rows = seen.exclude_from(Image.objects.filter(account=account))
        assert list(rows.values_list("remote_id", flat=True)) == ["not shown"]


def test_the_table_is_dropped_even_when_the_run_fails():
    with pytest.raises(RuntimeError), listed.listed_ids() as seen:
        seen.add(["a"])
        raise RuntimeError("the API went away")
    with connection.cursor() as cursor:  # would fail with "already exists" had it been left
        cursor.execute(f"CREATE TEMPORARY TABLE {listed.TABLE} (remote_id TEXT)")
        cursor.execute(f"DROP TABLE {listed.TABLE}")
