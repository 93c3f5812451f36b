"""Rows made before accounts belong to the account the CONTABO_* settings describe."""

from django.db import migrations

from images.services.accounts import settings_account

OWNED = ("Image", "QuotaSnapshot", "SyncRun", "AuditEvent")


def attach(apps, schema_editor):
    account = settings_account(apps, schema_editor.connection.alias)
    for name in OWNED:
        apps.get_model("images", name).objects.filter(account__isnull=True).update(account=account)


class Migration(migrations.Migration):
    dependencies = [("images", "0004_accounts")]

    operations = [migrations.RunPython(attach, migrations.RunPython.noop)]
