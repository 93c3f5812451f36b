"""Keyset (seek) pagination: a page is the rows after (or before) a cursor in the list's order,
read from an index, so page 500 reads what page 1 reads.

A list is ordered by one column and the primary key (`Key`). A cursor is the (value, pk) of the
row a page starts after (`after`) or ends before (`before`), opaque in links. A page number
without a cursor (typed, bookmarked, "First") counts its position in the index only (a
subquery of primary keys, see `read_at`); "Last" reads backwards from the end.

NULLs (the date of a local upload not yet on Contabo) sort as the highest value, as PostgreSQL
sorts them: first when descending, last when ascending. A nullable column is read as two index
ranges, NULL and not NULL, the second only when the first does not fill the page, because SQLite
cannot serve `DESC NULLS FIRST` from an index.

The seek itself is a row-value comparison, `(column, pk) < (value, pk)`, which PostgreSQL and
SQLite both answer with one index range scan.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import BooleanField, F, Q, Subquery
from django.db.models.expressions import RawSQL


@dataclass(frozen=True)
class Key:
    """The order of a list: `field` (then the primary key) ascending or descending."""

    field: str
    descending: bool
    nullable: bool = False


@dataclass
class SeekPage:
    """One page: its rows, its number (shown, not used for reading) and the cursors of its
    neighbours. `paginator` gives the count, if the caller wants one."""

    object_list: list
    number: int
    next_cursor: str | None = None
    previous_cursor: str | None = None
    paginator: object = None
    # A page number read by position: the cursor of the row before the page, with which the
    # same number can be read again by seeking (see images.selectors.paginate).
    anchor: str | None = None

    def has_next(self) -> bool:
        return self.next_cursor is not None

    def has_previous(self) -> bool:
        return self.previous_cursor is not None

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return max(1, self.number - 1)


# --- cursors ------------------------------------------------------------------------------------


def encode(value, pk: int) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([value, pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str, model_field) -> tuple | None:
    """(value, pk) from a cursor, or None for anything that is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        value, pk = json.loads(raw)
        if not isinstance(pk, int) or isinstance(pk, bool):
            return None
        if value is not None:
            value = model_field.to_python(value)
    except (ValueError, TypeError, binascii.Error, ValidationError):
        return None
    if value is None and not model_field.null:
        return None
    return value, pk


def cursor_of(row, key: Key) -> str:
    return encode(getattr(row, key.field), row.pk)


# --- reading ------------------------------------------------------------------------------------


def _compare(queryset, key: Key, op: str, value, pk: int) -> Q:
    """`(column, pk) op (value, pk)` as one row-value comparison (an index range)."""
    connection = connections[queryset.db]
    quote = connection.ops.quote_name
    model = queryset.model
    table = quote(model._meta.db_table)
    model_field = model._meta.get_field(key.field)
    column = f"{table}.{quote(model_field.column)}"
    pk_column = f"{table}.{quote(model._meta.pk.column)}"
    params = (model_field.get_db_prep_value(value, connection), pk)
    sql = f"({column}, {pk_column}) {op} (%s, %s)"
    return Q(RawSQL(sql, params, output_field=BooleanField()))  # noqa: S611 - values are params


def _ranges(queryset, key: Key, down: bool, cursor: tuple | None) -> list[tuple]:
    """(filter or None, ordering) of each index range that follows `cursor`, in order, going
    down (descending, NULLs first) or up."""
    name = key.field
    by_value = (f"-{name}", "-pk") if down else (name, "pk")
    by_pk = ("-pk",) if down else ("pk",)
    op = "<" if down else ">"
    if not key.nullable:
        return [(None if cursor is None else _compare(queryset, key, op, *cursor), by_value)]
    nulls, values = Q(**{f"{name}__isnull": True}), Q(**{f"{name}__isnull": False})
    if cursor is None:
        ranges = [(nulls, by_pk), (values, by_value)]
        return ranges if down else ranges[::-1]
    value, pk = cursor
    if value is None:
        after_pk = Q(pk__lt=pk) if down else Q(pk__gt=pk)
        return (
            [(nulls & after_pk, by_pk), (values, by_value)] if down else [(nulls & after_pk, by_pk)]
        )
    seek = values & _compare(queryset, key, op, value, pk)
    return [(seek, by_value)] if down else [(seek, by_value), (nulls, by_pk)]


def _ordered(queryset, condition, ordering):
    return (queryset if condition is None else queryset.filter(condition)).order_by(*ordering)


def read(queryset, key: Key, down: bool, cursor: tuple | None, limit: int) -> list:
    """Up to `limit` rows after `cursor` (or from the start), in the direction of travel: the
    index ranges in turn, the next one read only when the page is not full (a page straddles
    the NULL boundary once in a walk; one UNION ALL for both cost PostgreSQL 0.9 ms more on
    every other page)."""
    if cursor is None and down == key.descending:
        return read_at(queryset, key, 0, limit)
    rows = []
    for condition, ordering in _ranges(queryset, key, down, cursor):
        rows += _ordered(queryset, condition, ordering)[: limit - len(rows)]
        if len(rows) >= limit:
            break
    return rows


def read_at(queryset, key: Key, position: int, limit: int) -> list:
    """Up to `limit` rows from `position` (0-based) in the list's order, for a page number
    without a cursor. The skipped rows are counted in the index by a subquery that reads only
    the key columns (the list's indexes end with the status, so it needs no table row); the rows
    themselves are then read by primary key."""
    connection = connections[queryset.db]
    if not key.nullable or connection.features.nulls_order_largest:
        ranges = [(None, _ordering(key))]  # the index's own order, NULLs included
    else:
        ranges = _ranges(queryset, key, key.descending, None)
    rows = []
    for index, (condition, ordering) in enumerate(ranges):
        ordered = _ordered(queryset, condition, ordering)
        if position and index + 1 < len(ranges):
            size = ordered.count()  # the NULL range, first when descending: a handful of rows
            if position >= size:
                position -= size
                continue
        if position:
            window = ordered.values("pk")[position : position + limit - len(rows)]
            rows += ordered.filter(pk__in=Subquery(window))
        else:
            rows += ordered[: limit - len(rows)]
        position = 0
        if len(rows) >= limit:
            break
    return rows


def _ordering(key: Key) -> list:
    if key.descending:
        return [F(key.field).desc(nulls_first=True), "-pk"]
    return [F(key.field).asc(nulls_last=True), "pk"]


def paginate(
    queryset,
    key: Key,
    *,
    number: int = 1,
    after: str | None = None,
    before: str | None = None,
    per_page: int = 25,
    count=None,
) -> SeekPage:
    """The page `after` or `before` a cursor, else page `number` (by position, `read_at`; the
    page's `anchor` is then the cursor that reads it again by seeking); an empty `before` is
    the last page.

    `count` (a callable returning the exact total or None, called only when needed) lets the
    last page show the rows of the true last page and a page past the end land on it; without
    it the last page is the last `per_page` rows. A cursor that is not one of ours is ignored.
    """
    model_field = queryset.model._meta.get_field(key.field)
    number = max(1, number)
    if after and (cursor := decode(after, model_field)):
        return _forward(queryset, key, cursor, number, per_page)
    if before and (cursor := decode(before, model_field)):
        return _backward(queryset, key, cursor, number, per_page)
    if before == "" and number > 1:
        return _last(queryset, key, number, per_page, count)
    if number == 1:
        rows = read_at(queryset, key, 0, per_page + 1)
        return _page(rows, key, 1, per_page, len(rows) > per_page, more_before=False)
    rows = read_at(queryset, key, (number - 1) * per_page - 1, per_page + 2)
    if len(rows) < 2:
        return _last(queryset, key, number, per_page, count)
    page = _page(rows[1:], key, number, per_page, len(rows) > per_page + 1, more_before=True)
    page.anchor = cursor_of(rows[0], key)
    return page


def _forward(queryset, key, cursor, number, per_page) -> SeekPage:
    rows = read(queryset, key, key.descending, cursor, per_page + 1)
    if not rows and number > 1:  # the rows after it are gone: the last page instead
        return _last(queryset, key, number, per_page, None)
    more_after = len(rows) > per_page
    return _page(rows[:per_page], key, number, per_page, more_after, more_before=number > 1)


def _backward(queryset, key, cursor, number, per_page) -> SeekPage:
    rows = read(queryset, key, not key.descending, cursor, per_page + 1)
    if len(rows) <= per_page:  # nothing before these: this is the first page
        first = read(queryset, key, key.descending, None, per_page + 1)
        return _page(first, key, 1, per_page, more_after=len(first) > per_page, more_before=False)
    rows = rows[:per_page][::-1]
    return _page(rows, key, max(2, number), per_page, more_after=True, more_before=True)


def _last(queryset, key, number, per_page, count) -> SeekPage:
    total = count() if count else None
    size = per_page
    if total:
        pages = -(-total // per_page)
        number, size = pages, total - (pages - 1) * per_page
    rows = read(queryset, key, not key.descending, None, size + 1)
    more_before = len(rows) > size
    rows = rows[:size][::-1]
    if not more_before:
        number = 1
    return _page(rows, key, max(number, 1), per_page, more_after=False, more_before=more_before)


def _page(rows, key, number, per_page, more_after: bool, more_before: bool) -> SeekPage:
    rows = list(rows[:per_page])
    page = SeekPage(object_list=rows, number=number)
    if rows and more_after:
        page.next_cursor = cursor_of(rows[-1], key)
    if rows and more_before:
        page.previous_cursor = cursor_of(rows[0], key)
    return page
