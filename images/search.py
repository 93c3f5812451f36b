"""The list's search: `q` as a substring of the name or the OS type, case-insensitive, served by
an index on both databases.

PostgreSQL: Django's `icontains`, which trigram GIN indexes on the same UPPER() expressions serve
(migration 0003). SQLite: an FTS5 table with the trigram tokenizer over the same two columns
(`image_search`, external content = images_image, kept in sync by triggers), so a search of
three characters or more is an index lookup instead of a LIKE over every row (173 ms p95 at
100k images). Shorter searches keep the LIKE: a trigram index cannot answer them.

A broad search on SQLite (BROAD hits or more, e.g. "debian": 1 in 6 rows) reads the list's own
index in its order with the LIKE instead, and stops at a page: looking 16,667 hits up by rowid,
then sorting and counting them, cost 14 ms per statement at 100k images, the ordered scan
0.1 ms. One capped FTS count (0.1 ms) tells the two apart; its answer is kept a minute per
process (either way finds the same rows, only the speed differs). The hits counted are every
account's and status's, so a term broad elsewhere but rare in the page's list still takes the
scan. (The LIKE folds the case of ASCII letters only; FTS5 of others too.)

SQLite drops a table's triggers when Django rebuilds the table (an AlterField does), so
`ensure_sqlite_index` runs after every `migrate` and reinstalls and rebuilds what is missing.
"""

from django.core.cache import caches
from django.db import connections
from django.db.models import Q
from django.db.models.expressions import RawSQL

from images.pagination import ESTIMATES_CACHE, cache_key

TABLE = "image_search"
TRIGGERS = ("image_search_insert", "image_search_delete", "image_search_update")
MIN_INDEXED_LENGTH = 3  # a trigram index answers substrings of 3 characters or more
BROAD = 1_000  # FTS hits from which a SQLite search scans the list's index instead

INSTALL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS image_search USING fts5("
    "name, os_type, content='images_image', content_rowid='id', tokenize='trigram')",
    """CREATE TRIGGER IF NOT EXISTS image_search_insert AFTER INSERT ON images_image BEGIN
      INSERT INTO image_search(rowid, name, os_type) VALUES (new.id, new.name, new.os_type);
    END""",
    """CREATE TRIGGER IF NOT EXISTS image_search_delete AFTER DELETE ON images_image BEGIN
      INSERT INTO image_search(image_search, rowid, name, os_type)
      VALUES ('delete', old.id, old.name, old.os_type);
    END""",
    """CREATE TRIGGER IF NOT EXISTS image_search_update AFTER UPDATE OF name, os_type
      ON images_image
      WHEN old.name IS NOT new.name OR old.os_type IS NOT new.os_type BEGIN
      INSERT INTO image_search(image_search, rowid, name, os_type)
      VALUES ('delete', old.id, old.name, old.os_type);
      INSERT INTO image_search(rowid, name, os_type) VALUES (new.id, new.name, new.os_type);
    END""",
)
REBUILD = "INSERT INTO image_search(image_search) VALUES ('rebuild')"
UNINSTALL = (
    "DROP TRIGGER IF EXISTS image_search_insert",
    "DROP TRIGGER IF EXISTS image_search_delete",
    "DROP TRIGGER IF EXISTS image_search_update",
    "DROP TABLE IF EXISTS image_search",
)
HITS = "SELECT rowid FROM image_search WHERE image_search MATCH %s"
HITS_UP_TO = (
    "SELECT count(*) FROM (SELECT rowid FROM image_search WHERE image_search MATCH %s LIMIT %s)"
)


def matches(q: str, using: str = "default") -> Q:
    """Images whose name or OS type contains `q`, ignoring case, as the database `using` reads
    them fastest."""
    connection = connections[using]
    if connection.vendor == "sqlite" and len(q) >= MIN_INDEXED_LENGTH:
        phrase = '"' + q.replace('"', '""') + '"'  # one FTS5 string: a substring, not a query
        if not _broad(connection, phrase):
            return Q(pk__in=RawSQL(HITS, (phrase,)))  # noqa: S611 - q is a parameter
    return Q(name__icontains=q) | Q(os_type__icontains=q)


def _broad(connection, phrase: str) -> bool:
    """BROAD FTS hits or more for `phrase`, kept a minute (CACHES["counts"])."""
    key = cache_key("broad", connection.alias, phrase)
    broad = caches[ESTIMATES_CACHE].get(key)
    if broad is None:
        with connection.cursor() as cursor:
            cursor.execute(HITS_UP_TO, (phrase, BROAD))
            broad = cursor.fetchone()[0] >= BROAD
        caches[ESTIMATES_CACHE].set(key, broad)
    return broad


def install_sqlite_index(connection) -> None:
    """Create the FTS5 table and its triggers, and index the rows already there."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for statement in INSTALL:
            cursor.execute(statement)
        cursor.execute(REBUILD)


def uninstall_sqlite_index(connection) -> None:
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for statement in UNINSTALL:
            cursor.execute(statement)


def ensure_sqlite_index(using: str = "default", **_kwargs) -> None:
    """post_migrate: reinstall (and rebuild) the index if a table rebuild dropped its triggers."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        present = {row[0] for row in cursor.fetchall()}
    if "images_image" in present and not {TABLE, *TRIGGERS} <= present:
        install_sqlite_index(connection)
