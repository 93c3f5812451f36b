"""The list's search on SQLite: an FTS5 trigram table over name and OS type, kept in sync by
triggers (see images/search.py). Nothing on PostgreSQL (trigram GIN indexes, migration 0003).
The table lives in the database only, not in the model state."""

from django.db import migrations

from images import search


def install(apps, schema_editor):
    search.install_sqlite_index(schema_editor.connection)


def uninstall(apps, schema_editor):
    search.uninstall_sqlite_index(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("images", "0008_api_tokens_and_idempotency_keys")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
