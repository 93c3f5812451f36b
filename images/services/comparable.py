"""The fields the API owns, as stored and as the API says them, in one form cheap to compare.

A poll cycle compares every download in flight, 10,000 rows and more. Turning each row's dates
and tags back into Python objects took most of the time spent reading them, so the database
hands them over as text instead: dates in one fixed format (the API's dates are formatted the
same way here), tags as their JSON text, decoded once per distinct text.

The forms are exact for every row Django wrote. A value stored in another form (written outside
Django) only reads as changed: it is written again, never missed.
"""

import json
from collections.abc import Callable
from datetime import UTC, datetime

from django.db import connection
from django.db.models import F, Func, QuerySet, TextField
from django.db.models.functions import Cast

from images import contabo
from images.services.mapping import REMOTE_FIELDS, remote_values

DATES = ("remote_created_at", "remote_modified_at")
TAGS = REMOTE_FIELDS.index("tags")
UPLOADED = REMOTE_FIELDS.index("uploaded_size_mb")
_DATE_AT = tuple(REMOTE_FIELDS.index(name) for name in DATES)


class _PostgresDate(Func):
    """A timestamptz as UTC text, `YYYY-MM-DD HH:MM:SS.ffffff` whatever the session's DateStyle."""

    template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
    output_field = TextField()


def _postgres_text(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _as_text(name: str) -> Cast:
    return Cast(name, TextField())


def _same(value):
    return value


def _date_forms() -> tuple[Callable, Callable]:
    """(database expression, Python form) of a date on this connection's database."""
    if connection.vendor == "postgresql":
        return _PostgresDate, _postgres_text
    if connection.vendor == "sqlite":  # stored as text: what adapt_datetimefield_value wrote
        zone = connection.timezone

        def sqlite_text(value: datetime) -> str:
            return str(value.astimezone(zone).replace(tzinfo=None))

        return _as_text, sqlite_text
    return F, _same


def stored(queryset: QuerySet) -> dict[str, tuple[int, tuple]]:
    """`remote_id -> (pk, remote fields)` of each image in `queryset`, the fields in the form
    `saying()` gives an API image's."""
    as_text, _ = _date_forms()
    forms = {f"cmp_{name}": as_text(name) for name in DATES}
    forms["cmp_tags"] = _as_text("tags")
    columns = [f"cmp_{name}" if f"cmp_{name}" in forms else name for name in REMOTE_FIELDS]
    rows = queryset.annotate(**forms).values_list("pk", "remote_id", *columns)
    decoded: dict[str | None, list | None] = {None: None}
    out = {}
    for pk, remote_id, *values in rows:
        text = values[TAGS]
        if text not in decoded:
            decoded[text] = json.loads(text)
        values[TAGS] = decoded[text]
        out[remote_id] = (pk, tuple(values))
    return out


def saying() -> Callable[[contabo.Image], tuple]:
    """A function giving the remote fields of an API image in the form `stored` reads them."""
    _, date_form = _date_forms()

    def said(image: contabo.Image) -> tuple:
        values = list(remote_values(image))
        for at in _DATE_AT:
            if values[at] is not None:
                values[at] = date_form(values[at])
        return tuple(values)

    return said
