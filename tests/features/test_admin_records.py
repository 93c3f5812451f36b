"""/admin/: audit events, heartbeats, sync runs and quota snapshots are view-only for everyone;
the admin carries the dashboard's name."""

import pytest
from django.utils import timezone

from images.models import AuditEvent, Heartbeat, QuotaSnapshot, SyncRun
from images.services.accounts import settings_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(db):
    account = settings_account()
    return {
        "auditevent": AuditEvent.objects.create(
            account=account, action="delete", outcome="requested"
        ),
        "heartbeat": Heartbeat.objects.create(name="poll:1", ok_at=timezone.now()),
        "syncrun": SyncRun.objects.create(account=account, started_at=timezone.now()),
        "quotasnapshot": QuotaSnapshot.objects.create(
            account=account, image_count=1, total_mb=10, used_mb=1, free_mb=9
        ),
    }


@pytest.mark.parametrize("model", ["auditevent", "heartbeat", "syncrun", "quotasnapshot"])
def test_records_can_be_viewed_but_not_added_changed_or_deleted(admin_client, records, model):
    row = records[model]
    base = f"/admin/images/{model}/"
    listing = admin_client.get(base)
    assert listing.status_code == 200
    assert f'href="{base}add/"' not in listing.content.decode()
    assert admin_client.get(f"{base}add/").status_code == 403
    view = admin_client.get(f"{base}{row.pk}/change/")
    assert view.status_code == 200
    assert 'name="_save"' not in view.content.decode()
    assert admin_client.post(f"{base}{row.pk}/change/", {}).status_code == 403
    assert admin_client.post(f"{base}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert type(row).objects.filter(pk=row.pk).exists()


def test_the_admin_is_branded(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert "Contabo images dashboard: administration" in html
    assert "<title>Users, roles, accounts and records | Contabo images dashboard</title>" in html
