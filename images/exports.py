"""The inventory as CSV or JSON, streamed row by row so 100k images never sit in memory.

Cells that a spreadsheet would read as a formula (starting with = + - @, or a tab or carriage
return that hides one) get a leading apostrophe: an image named `=HYPERLINK(...)` stays text.
"""

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A value ready for a CSV cell: text that could start a formula is quoted with '."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Echo:
    """A file-like object whose write() hands back the line, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable[str], rows: Iterable[tuple]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header)  # the BOM makes spreadsheets read UTF-8
    for row in rows:
        yield writer.writerow([safe_cell(v) for v in row])


def json_chunks(
    header: Iterable[str], rows: Iterable[tuple], per_chunk: int = 200
) -> Iterator[str]:
    """A JSON array of objects, written a few hundred rows per chunk."""
    keys = list(header)
    encoder = DjangoJSONEncoder(ensure_ascii=False, separators=(",", ":"))
    yield "["
    batch, first = [], True
    for row in rows:
        batch.append(encoder.encode(dict(zip(keys, row, strict=True))))
        if len(batch) == per_chunk:
            yield ("" if first else ",") + ",\n".join(batch)
            batch, first = [], False
    if batch:
        yield ("" if first else ",") + ",\n".join(batch)
    yield "]\n"
