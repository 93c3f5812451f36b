"""Dates read back from the database are the aware UTC values written; on PostgreSQL they are
parsed by psycopg's C loader (dashboard/timestamps.py), not Django's Python one."""

import datetime

import pytest
from django.db import connection

from dashboard import timestamps
from testkit.factories import make_image

pytestmark = pytest.mark.django_db


def test_dates_read_back_as_the_same_aware_utc_values():
    plus_five = datetime.timezone(datetime.timedelta(hours=5))
    written = datetime.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=plus_five)
    image = make_image(remote_created_at=written)
    image.refresh_from_db()
    assert image.remote_created_at == written
    assert image.remote_created_at.tzinfo is datetime.UTC
    if connection.vendor == "postgresql":
        from psycopg.pq import Format

        adapters = connection.connection.adapters
        oid = adapters.types["timestamptz"].oid
        assert adapters.get_loader(oid, Format.TEXT) is timestamps.FAST_LOADER
