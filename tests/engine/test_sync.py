"""Full sync and stats: images made elsewhere appear, changes arrive, deletions are noticed."""

import pytest

from images.models import Image, QuotaSnapshot, Status, SyncRun
from images.services import submit, sync
from images.services.accounts import settings_account
from testkit.factories import make_upload

pytestmark = pytest.mark.django_db


def custom(**filters):
    return Image.objects.filter(standard=False, **filters)


def test_sync_mirrors_standard_and_custom_images(api, contabo):
    contabo.seed(250)
    run = sync.sync_images(api, settings_account(), page_size=100)
    remote = list(api.iter_images())
    assert run.added == len(remote)
    assert Image.objects.count() == len(remote)
    assert custom().count() == 250
    assert Image.objects.filter(standard=True).count() == len(remote) - 250
    assert run.finished_at and not run.error


def test_a_second_sync_changes_nothing(api, contabo):
    contabo.seed(30)
    sync.sync_images(api, settings_account())
    run = sync.sync_images(api, settings_account())
    assert (run.added, run.updated, run.gone) == (0, 0, 0)


def test_sync_applies_remote_renames_and_notices_deletions(api, contabo):
    contabo.seed(3)
    sync.sync_images(api, settings_account())
    first, second, third = custom().order_by("pk")
    api.update_image(first.remote_id, name="renamed in the panel")
    api.delete_image(second.remote_id)
    run = sync.sync_images(api, settings_account())
    assert (run.updated, run.gone) == (1, 1)
    first.refresh_from_db()
    second.refresh_from_db()
    third.refresh_from_db()
    assert first.name == "renamed in the panel"
    assert second.status == Status.GONE
    assert third.status == Status.DOWNLOADED


def test_sync_leaves_a_pending_rename_alone(api, contabo):
    contabo.seed(1)
    sync.sync_images(api, settings_account())
    image = custom().get()
    Image.objects.filter(pk=image.pk).update(pending_name="mine")
    api.update_image(image.remote_id, description="changed elsewhere")
    sync.sync_images(api, settings_account())
    image.refresh_from_db()
    assert image.pending_name == "mine"
    assert image.description == image.description  # user fields untouched while pending
    assert image.name != "mine"


def test_sync_adopts_an_upload_whose_create_timed_out(api, contabo):
    image = make_upload(f"{contabo.url}/files/lost.iso?size_mb=1", name="lost")
    created = api.create_image(name="lost", url=image.url, os_type="Linux", version="1")
    Image.objects.filter(pk=image.pk).update(status=Status.FAILED, error_message="timed out")
    sync.sync_images(api, settings_account())
    image.refresh_from_db()
    assert image.remote_id == created.image_id
    assert custom().count() == 1


def test_sync_does_not_touch_rows_in_flight(api, contabo):
    image = make_upload(f"{contabo.url}/files/busy.qcow2?size_mb=1", name="busy")
    submit.submit(api, image.pk)
    Image.objects.filter(pk=image.pk).update(status=Status.DELETING)
    sync.sync_images(api, settings_account())
    image.refresh_from_db()
    assert image.status == Status.DELETING


def test_refresh_stats_records_a_snapshot(api, contabo):
    contabo.seed(4)
    snap = sync.refresh_stats(api, settings_account())
    assert QuotaSnapshot.objects.count() == 1
    assert snap.image_count == 4
    assert snap.used_mb + snap.free_mb == pytest.approx(snap.total_mb)
    assert snap.request_id


def test_a_failed_sync_is_recorded(api, contabo):
    contabo.set_faults(error_rate=1.0)
    from images.contabo import ContaboError

    with pytest.raises(ContaboError):
        sync.sync_images(api, settings_account())
    run = SyncRun.objects.get()
    assert run.error and run.finished_at


def test_pages_after_the_first_are_fetched_together_and_each_once(api, contabo, settings):
    settings.SYNC_CONCURRENCY = 3
    contabo.seed(950)
    contabo.reset_calls()
    run = sync.sync_images(api, settings_account(), page_size=100)
    remote = contabo.calls()["retrieveImageList"]
    total = custom().count() + Image.objects.filter(standard=True).count()
    assert custom().count() == 950
    assert run.added == total
    assert remote == -(-total // 100)  # every page once, none twice


def test_a_sync_that_finds_nothing_new_writes_no_image_row(api, contabo, settings):
    settings.SYNC_CONCURRENCY = 4
    contabo.seed(300)
    sync.sync_images(api, settings_account(), page_size=100)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        run = sync.sync_images(api, settings_account(), page_size=100)
    assert (run.added, run.updated, run.gone) == (0, 0, 0)
    writes = [q["sql"] for q in queries if q["sql"].startswith(("UPDATE", "INSERT"))]
    assert not [sql for sql in writes if '"images_image"' in sql.split("WHERE")[0]], writes


def test_a_sync_asks_for_large_pages_unless_the_account_learned_a_cap(api, contabo, settings):
    settings.SYNC_PAGE_SIZE = 1000
    contabo.seed(1500)
    contabo.set_faults(page_size_cap=200)
    contabo.reset_calls()
    sync.sync_images(api, settings_account())
    account = custom().first().account
    account.refresh_from_db()
    assert account.page_size_cap == 200
    assert custom().count() == 1500
    first_run = contabo.calls()["retrieveImageList"]
    contabo.reset_calls()
    sync.sync_images(api, account=account)
    assert contabo.calls()["retrieveImageList"] == first_run
