"""The remote ids one full sync saw listed, kept by the database instead of the worker.

A sync applies each listed id once (an order that moved can show one on two pages) and then
looks for the settled images the list did not show (images.services.gone). Holding every id in
the worker grew its memory with the account (about 30 MB at 100,000 images); here they go, a
page at a time, into a temporary table of the sync's own connection: private to it (two syncs
never see each other's ids), kept out of PostgreSQL's write-ahead log, and dropped when the run
ends or the connection closes.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from images.batching import under_param_cap

TABLE = "sync_listed_ids"


class ListedIds:
    """The ids listed so far in this run; `count` of them, each once."""

    def __init__(self) -> None:
        self.count = 0

    def add(self, remote_ids: Iterable[str]) -> set[str]:
        """Record `remote_ids`; those not listed before in this run."""
        ids = list(dict.fromkeys(remote_ids))
        fresh: set[str] = set()
        with connection.cursor() as cursor:
            for chunk in under_param_cap(ids):
                values = ", ".join(["(%s)"] * len(chunk))
                insert = f"INSERT INTO {TABLE} (remote_id) VALUES {values}"  # noqa: S608 - placeholders
                cursor.execute(f"{insert} ON CONFLICT DO NOTHING RETURNING remote_id", chunk)
                fresh.update(row[0] for row in cursor.fetchall())
        self.count += len(fresh)
        return fresh

    def exclude_from(self, rows: QuerySet) -> QuerySet:
        """`rows` (with a `remote_id` column) minus those whose remote id was listed."""
        column = f"{connection.ops.quote_name(rows.model._meta.db_table)}.remote_id"
        exists = f"EXISTS (SELECT 1 FROM {TABLE} WHERE {TABLE}.remote_id = {column})"  # noqa: S608
        listed = RawSQL(exists, (), output_field=BooleanField())  # noqa: S611 - names, no input
        return rows.alias(listed=listed).filter(listed=False)


@contextmanager
def listed_ids() -> Iterator[ListedIds]:
    """An empty set of listed ids for one run, on this thread's connection."""
    _drop()  # one a crashed run left on a reused connection
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {TABLE} (remote_id TEXT PRIMARY KEY)")
    try:
        yield ListedIds()
    finally:
        _drop()


def _drop() -> None:
    schema = "pg_temp" if connection.vendor == "postgresql" else "temp"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {schema}.{TABLE}")
