"""An account added under /admin/ is synced (images and quota) at once, not at the next beat."""

import pytest

from images.models import Account, AuditEvent

pytestmark = pytest.mark.django_db


def test_adding_an_account_asks_for_its_sync_and_stats(
    admin_client, sent_tasks, django_capture_on_commit_callbacks
):
    form = {
        "name": "Second",
        "open_to_all": "",
        "api_url": "https://api.example.com",
        "auth_url": "https://auth.example.com/token",
        "client_id": "cid",
        "api_user": "ops@example.com",
        "client_secret": "s3cret",
        "api_password": "pa55",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/images/account/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    account = Account.objects.get(name="Second")
    assert sent_tasks == [("sync_images", (account.pk,)), ("refresh_stats", (account.pk,))]
    assert AuditEvent.objects.filter(account=account, action="refresh").count() == 1

    sent_tasks.clear()
    form["name"] = "Second renamed"
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/admin/images/account/{account.pk}/change/", form)
    assert Account.objects.get(pk=account.pk).name == "Second renamed"
    assert sent_tasks == []  # only a new account is synced at once
