"""Trigram indexes for the list's search, on PostgreSQL only.

The search is `name ICONTAINS q OR os_type ICONTAINS q`, which Django writes on PostgreSQL as
`UPPER(name::text) LIKE UPPER('%q%') OR UPPER(os_type::text) LIKE ...`. A b-tree cannot serve a
substring match, so without these the search reads the whole table (70-90 ms at 100k rows).
GIN indexes with `gin_trgm_ops` on the same UPPER() expressions serve both arms (a BitmapOr).

The indexes live in the database only, not in the model state: SQLite cannot have them, and an
index in the state would be recreated (and fail) whenever SQLite rebuilds the table. The SQL is
written out because Django's OpClass() needs django.contrib.postgres in INSTALLED_APPS, which a
SQLite deployment does not have. TrigramExtension skips other databases by itself.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "image_name_trgm": "name",
    "image_os_type_trgm": "os_type",
}


class RunSQLOnPostgres(migrations.RunSQL):
    """RunSQL that does nothing on other databases."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("images", "0002_lineage_and_notifications")]

    operations = [
        TrigramExtension(),
        *(
            RunSQLOnPostgres(
                f'CREATE INDEX IF NOT EXISTS "{name}" ON "images_image" '
                f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)',
                reverse_sql=f'DROP INDEX IF EXISTS "{name}"',
            )
            for name, column in INDEXES.items()
        ),
    ]
