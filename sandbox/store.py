"""SQLite persistence of images (and the token-signing secret): one file, one locked connection."""

import json
import os
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

# API field name -> column. Every one of them is a valid `orderBy` field.
COLUMNS = {
    "imageId": "image_id",
    "tenantId": "tenant_id",
    "customerId": "customer_id",
    "name": "name",
    "description": "description",
    "url": "url",
    "sizeMb": "size_mb",
    "uploadedSizeMb": "uploaded_size_mb",
    "osType": "os_type",
    "version": "version",
    "format": "format",
    "status": "status",
    "errorMessage": "error_message",
    "standardImage": "standard_image",
    "creationDate": "creation_date",
    "lastModifiedDate": "last_modified_date",
}
_SORT_EXPRESSIONS = {field: column for field, column in COLUMNS.items()}
_SORT_EXPRESSIONS["name"] = "name COLLATE NOCASE"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS images (
    id INTEGER PRIMARY KEY,
    image_id TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    url TEXT NOT NULL,
    size_mb REAL NOT NULL,
    uploaded_size_mb REAL NOT NULL,
    os_type TEXT NOT NULL,
    version TEXT NOT NULL,
    format TEXT NOT NULL,
    status TEXT NOT NULL,
    error_message TEXT NOT NULL,
    standard_image INTEGER NOT NULL,
    creation_date TEXT NOT NULL,
    last_modified_date TEXT NOT NULL,
    tags TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS images_standard ON images (standard_image, id);
CREATE INDEX IF NOT EXISTS images_name ON images (name COLLATE NOCASE, id);
CREATE INDEX IF NOT EXISTS images_size ON images (size_mb, id);
CREATE INDEX IF NOT EXISTS images_created ON images (creation_date, id);
CREATE INDEX IF NOT EXISTS images_status ON images (status, id);
CREATE INDEX IF NOT EXISTS images_os ON images (os_type, id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def timestamp(moment: datetime | None = None) -> str:
    """A date the way the spec writes it: `2021-06-03T06:27:12.000Z`."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def new_image(**fields) -> dict:
    """A complete image dict (API field names) with server-side defaults filled in."""
    now = timestamp()
    image = {
        "imageId": str(uuid.uuid4()),
        "tenantId": "DE",
        "customerId": "12345",
        "name": "",
        "description": "",
        "url": "",
        "sizeMb": 0,
        "uploadedSizeMb": 0,
        "osType": "Linux",
        "version": "",
        "format": "qcow2",
        "status": "downloading",
        "errorMessage": "",
        "standardImage": False,
        "creationDate": now,
        "lastModifiedDate": now,
        "tags": [],
    }
    image.update(fields)
    return image


@dataclass(frozen=True)
class Query:
    """A list request, already validated."""

    page: int = 1
    size: int = 10
    order_by: tuple[tuple[str, bool], ...] = ()  # (API field, descending)
    name: str | None = None
    standard_image: bool | None = None
    search_terms: tuple[str, ...] = ()


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _row_to_image(row: sqlite3.Row) -> dict:
    image = {field: row[column] for field, column in COLUMNS.items()}
    image["standardImage"] = bool(image["standardImage"])
    image["tags"] = json.loads(row["tags"])
    return image


def _image_to_row(image: dict) -> tuple:
    values = [image[field] for field in COLUMNS]
    values[list(COLUMNS).index("standardImage")] = int(bool(image["standardImage"]))
    return (*values, json.dumps(image["tags"]))


_NAMES = ", ".join([*COLUMNS.values(), "tags"])
_INSERT = f"INSERT INTO images ({_NAMES}) VALUES ({', '.join('?' * (len(COLUMNS) + 1))})"  # noqa: S608


class Store:
    """All image reads and writes. Safe to share between threads."""

    def __init__(self, path: str):
        if path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._db.execute("ANALYZE")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- meta -----------------------------------------------------------------------------

    def meta(self, key: str, default_factory) -> str:
        """The stored value for `key`, created with `default_factory()` on first use."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            if row:
                return row["value"]
            value = default_factory()
            self._db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))
            return value

    # -- writes ---------------------------------------------------------------------------

    def insert_many(self, images: list[dict]) -> None:
        """Insert complete image dicts in one transaction."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(_INSERT, (_image_to_row(image) for image in images))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            if len(images) > 1000:
                self._db.execute("ANALYZE")  # fresh statistics keep the planner on the indexes

    def update(self, image_id: str, **fields) -> bool:
        """Set API fields of one image (and lastModifiedDate); False if it does not exist."""
        fields.setdefault("lastModifiedDate", timestamp())
        assignments = ", ".join(f"{COLUMNS[field]} = ?" for field in fields)
        values = [int(v) if isinstance(v, bool) else v for v in fields.values()]
        with self._lock:
            cursor = self._db.execute(
                f"UPDATE images SET {assignments} WHERE image_id = ?",  # noqa: S608 - fixed names
                (*values, image_id),
            )
        return cursor.rowcount > 0

    def delete(self, image_id: str) -> bool:
        with self._lock:
            cursor = self._db.execute("DELETE FROM images WHERE image_id = ?", (image_id,))
        return cursor.rowcount > 0

    def delete_custom(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM images WHERE standard_image = 0")

    def fail_interrupted(self, message: str) -> int:
        """Mark custom images left `downloading` by a previous process as `error`."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE images SET status = 'error', error_message = ?, last_modified_date = ? "
                "WHERE standard_image = 0 AND status = 'downloading'",
                (message, timestamp()),
            )
        return cursor.rowcount

    # -- reads ----------------------------------------------------------------------------

    def get(self, image_id: str) -> dict | None:
        with self._lock:
            cursor = self._db.execute("SELECT * FROM images WHERE image_id = ?", (image_id,))
            row = cursor.fetchone()
        return _row_to_image(row) if row else None

    def has_standard_images(self) -> bool:
        with self._lock:
            row = self._db.execute("SELECT 1 FROM images WHERE standard_image = 1 LIMIT 1")
            return row.fetchone() is not None

    def custom_usage(self, exclude: str | None = None) -> tuple[int, float]:
        """(number of custom images, MB they occupy). Images in `error` hold no space."""
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) AS n, "
                "COALESCE(SUM(CASE WHEN status != 'error' AND image_id != ? THEN size_mb END), 0) "
                "AS used FROM images WHERE standard_image = 0",
                (exclude or "",),
            ).fetchone()
        return row["n"], row["used"]

    def search(self, query: Query) -> tuple[list[dict], int]:
        """One page of images matching `query`, and the number of all matches."""
        where, params = [], []
        if query.name is not None:
            where.append("name LIKE ? ESCAPE '\\'")
            params.append(_like(query.name))
        if query.standard_image is not None:
            where.append("standard_image = ?")
            params.append(int(query.standard_image))
        if query.search_terms:
            alternatives = " OR ".join(
                "name LIKE ? ESCAPE '\\' OR os_type LIKE ? ESCAPE '\\'" for _ in query.search_terms
            )
            where.append(f"({alternatives})")
            for term in query.search_terms:
                params += [_like(term), _like(term)]
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        terms = [(_SORT_EXPRESSIONS[f], "DESC" if d else "ASC") for f, d in query.order_by]
        # The tie-breaker follows the last direction so SQLite can walk one index.
        last_descending = bool(query.order_by) and query.order_by[-1][1]
        terms.append(("id", "DESC" if last_descending else "ASC"))
        inner = ", ".join(f"{expression} {direction}" for expression, direction in terms)
        outer = ", ".join(f"images.{expression} {direction}" for expression, direction in terms)
        offset = (query.page - 1) * query.size
        with self._lock:
            total = self._db.execute(f"SELECT COUNT(*) FROM images{clause}", params).fetchone()[0]  # noqa: S608
            if offset >= total:
                return [], total
            # Sort and skip over ids only, then fetch the page's rows (a "deferred join").
            rows = self._db.execute(
                f"SELECT images.* FROM (SELECT id FROM images{clause} ORDER BY {inner} "  # noqa: S608
                f"LIMIT ? OFFSET ?) AS page JOIN images ON images.id = page.id ORDER BY {outer}",
                (*params, query.size, offset),
            ).fetchall()
        return [_row_to_image(row) for row in rows], total
