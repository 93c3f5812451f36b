"""Lists cut to fit the database's cap on parameters per statement (SQLite has one)."""

from collections.abc import Iterator

from django.db import connection


def under_param_cap(items: list, others: int = 0) -> Iterator[list]:
    """`items` in consecutive chunks that fit one statement beside `others` more parameters."""
    cap = connection.features.max_query_params  # None where there is none
    step = cap - others if cap else max(1, len(items))
    for start in range(0, len(items), step):
        yield items[start : start + step]
