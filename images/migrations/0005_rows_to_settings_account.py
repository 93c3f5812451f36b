"""Rows made before accounts belong to the account the CONTABO_* settings describe."""

from django.conf import settings
from django.db import migrations

OWNED = ("Image", "QuotaSnapshot", "SyncRun", "AuditEvent")


def attach(apps, schema_editor):
    account_model = apps.get_model("images", "Account")
    account, _ = account_model.objects.get_or_create(
        from_settings=True,
        defaults={"name": settings.CONTABO_ACCOUNT_NAME, "open_to_all": True},
    )
    for name in OWNED:
        apps.get_model("images", name).objects.filter(account__isnull=True).update(account=account)


class Migration(migrations.Migration):
    dependencies = [("images", "0004_accounts")]

    operations = [migrations.RunPython(attach, migrations.RunPython.noop)]
