"""The batched poll cycle: its API cost, progress, completion and its lock."""

import math
from datetime import timedelta

import pytest
from django.utils import timezone

from images.contabo.django import get_client
from images.models import AuditEvent, Heartbeat, Image, ProgressSample, Status
from images.services import heartbeat, leases, listing, polling, submit
from images.services.accounts import settings_account
from testkit.factories import make_account, make_upload
from testkit.waiting import wait_for

pytestmark = pytest.mark.django_db


def start_download(api, sandbox, name, size_mb=1.0) -> Image:
    image = make_upload(f"{sandbox.url}/files/{name}.qcow2?size_mb={size_mb}", name=name)
    submit.submit(api, image.pk)
    image.refresh_from_db()
    return image


def test_nothing_in_flight_costs_no_call(api, contabo):
    contabo.reset_calls()
    result = polling.poll(api, settings_account())
    assert result.api_calls == 0
    assert sum(contabo.calls().values()) == 0


@pytest.mark.parametrize("count", [1, 100, 250])
def test_a_cycle_costs_one_list_call_per_page_of_downloads(api, contabo, settings, count):
    settings.CONTABO_PAGE_SIZE = 100
    contabo.seed(count, status="downloading")
    from images.services import sync

    sync.sync_images(api, settings_account())
    assert Image.objects.filter(status=Status.DOWNLOADING).count() == count
    contabo.reset_calls()
    result = polling.poll(api, settings_account())
    calls = contabo.calls()
    assert result.in_flight == count
    assert calls["retrieveImageList"] == math.ceil(count / 100)
    assert calls["retrieveImage"] == 0


def test_progress_rises_then_the_download_finishes(api, contabo):
    contabo.set_faults(bandwidth_mbps=2)
    image = start_download(api, contabo, "slow", size_mb=3)
    seen = []

    def finished():
        polling.poll(api, settings_account())
        image.refresh_from_db()
        seen.append(image.uploaded_size_mb)
        return image.status == Status.DOWNLOADED

    wait_for(finished, timeout=30, interval=0.2, message="download to finish")
    assert image.size_mb == pytest.approx(3, abs=0.01)
    assert image.uploaded_size_mb == pytest.approx(3, abs=0.01)
    assert any(0 < mb < 3 for mb in seen), f"never saw partial progress: {seen}"
    assert seen == sorted(seen)
    assert image.finished_at is not None
    assert not ProgressSample.objects.filter(image=image).exists()
    assert image.events.filter(action="download", outcome=AuditEvent.Outcome.SUCCEEDED).exists()


def test_a_failed_download_keeps_the_api_message(api, contabo):
    contabo.set_faults(download_mode="fail")
    image = start_download(api, contabo, "broken")

    def failed():
        polling.poll(api, settings_account())
        image.refresh_from_db()
        return image.status == Status.FAILED

    wait_for(failed, timeout=30, interval=0.2, message="download to fail")
    assert image.error_message
    assert image.events.filter(action="download", outcome=AuditEvent.Outcome.FAILED).exists()


def test_an_image_deleted_elsewhere_while_downloading_is_marked_gone(api, contabo):
    contabo.set_faults(bandwidth_mbps=0.5)
    image = start_download(api, contabo, "doomed", size_mb=50)
    api.delete_image(image.remote_id)
    polling.poll(api, settings_account())
    image.refresh_from_db()
    assert image.status == Status.GONE


def test_only_one_cycle_runs_at_a_time(api, contabo):
    start_download(api, contabo, "one")
    assert leases.acquire(settings_account().job_key("poll"), "someone-else", ttl=60)
    contabo.reset_calls()
    assert polling.poll(api, settings_account()).skipped
    assert sum(contabo.calls().values()) == 0


def test_an_expired_lease_is_taken_over(api, contabo):
    assert leases.acquire(settings_account().job_key("poll"), "crashed-worker", ttl=-1)
    assert not polling.poll(api, settings_account()).skipped


def test_a_delete_requested_during_a_cycle_is_not_overwritten(api, contabo):
    image = start_download(api, contabo, "racing")
    remote = api.get_image(image.remote_id)
    Image.objects.filter(pk=image.pk).update(status=Status.DELETING)
    changed, _ = polling.apply(image.pk, remote, timezone.now())
    image.refresh_from_db()
    assert not changed
    assert image.status == Status.DELETING


def test_old_downloads_behind_newer_images_cost_pages_not_single_gets(api, contabo, settings):
    """In-flight images not the newest: walking the remaining pages beats one GET each."""
    settings.CONTABO_PAGE_SIZE = 100
    contabo.seed(250, status="downloading")
    contabo.seed(700, status="downloaded")
    from images.services import sync

    sync.sync_images(api, settings_account())
    contabo.reset_calls()
    result = polling.poll(api, settings_account())
    calls = contabo.calls()
    assert result.in_flight == 250
    assert calls["retrieveImage"] == 0
    assert calls["retrieveImageList"] <= math.ceil(950 / 100)


def _writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].split()[0] in ("UPDATE", "INSERT", "DELETE")]


def _synced_downloads(api, contabo, count: int) -> list[str]:
    ids = contabo.seed(count, status="downloading", sizeMb=1000, uploadedSizeMb=10)
    from images.services import sync

    sync.sync_images(api, settings_account())
    return ids


def test_a_cycle_that_learns_nothing_writes_no_image_and_no_sample(api, contabo):
    _synced_downloads(api, contabo, 20)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        result = polling.poll(api, settings_account())
    assert result.in_flight == 20
    assert result.updated == 0
    touched = [sql for sql in _writes(queries) if "images_image" in sql.split("WHERE")[0]]
    assert touched == []
    assert not ProgressSample.objects.exists()


def test_changed_rows_are_written_in_a_few_statements_not_one_each(api, contabo):
    ids = _synced_downloads(api, contabo, 250)
    for image_id in ids:
        contabo.force(image_id, uploadedSizeMb=20)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        result = polling.poll(api, settings_account())
    assert result.updated == 250
    assert Image.objects.filter(uploaded_size_mb=20, status=Status.DOWNLOADING).count() == 250
    assert ProgressSample.objects.count() == 250
    # The cycle before wrote one UPDATE per image; batches of ~50 rows on SQLite's cap, 1 else.
    assert len(_writes(queries)) < 20, _writes(queries)


def test_a_sample_only_when_bytes_moved_and_samples_past_the_rate_window_are_pruned(api, contabo):
    ids = _synced_downloads(api, contabo, 3)
    contabo.force(ids[0], uploadedSizeMb=50)
    polling.poll(api, settings_account())
    polling.poll(api, settings_account())
    moved = Image.objects.get(remote_id=ids[0])
    assert list(ProgressSample.objects.values_list("image_id", "uploaded_mb")) == [(moved.pk, 50)]
    old = timezone.now() - timedelta(seconds=polling.RATE_WINDOW_SECONDS + 1)
    ProgressSample.objects.create(image=moved, at=old, uploaded_mb=40)
    polling.poll(api, settings_account())
    assert ProgressSample.objects.filter(at__lt=old + timedelta(seconds=1)).count() == 0
    assert ProgressSample.objects.count() == 1


def test_a_delete_requested_during_a_cycle_wins_over_the_changes_it_found(
    api, contabo, monkeypatch
):
    ids = _synced_downloads(api, contabo, 2)
    for image_id in ids:
        contabo.force(image_id, uploadedSizeMb=20)
    doomed = Image.objects.get(remote_id=ids[0])
    list_page = listing.list_page

    def deleted_meanwhile(*args, **kwargs):
        page = list_page(*args, **kwargs)
        Image.objects.filter(pk=doomed.pk).update(status=Status.DELETING)
        return page

    monkeypatch.setattr(listing, "list_page", deleted_meanwhile)
    result = polling.poll(api, settings_account())
    assert result.updated == 1
    doomed.refresh_from_db()
    assert (doomed.status, doomed.uploaded_size_mb) == (Status.DELETING, 10)
    assert list(ProgressSample.objects.values_list("image__remote_id", flat=True)) == [ids[1]]


def test_the_cycle_after_one_that_wrote_changes_writes_nothing(api, contabo):
    ids = _synced_downloads(api, contabo, 3)
    contabo.force(ids[0], uploadedSizeMb=20, status="Pending", errorMessage="slow origin")
    assert polling.poll(api, settings_account()).updated == 1
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert polling.poll(api, settings_account()).updated == 0
    assert [sql for sql in _writes(queries) if "images_image" in sql.split("WHERE")[0]] == []


def test_a_second_cycle_in_the_same_slot_of_the_clock_is_skipped(api, contabo):
    _synced_downloads(api, contabo, 1)
    key = settings_account().job_key("poll")
    assert heartbeat.begin(key, spacing=3600)
    contabo.reset_calls()
    assert polling.poll(api, settings_account(), spacing=3600).skipped
    assert sum(contabo.calls().values()) == 0
    earlier = heartbeat.slot_start(timezone.now(), 3600) - timedelta(seconds=1)
    Heartbeat.objects.filter(name=key).update(started_at=earlier)  # the slot before
    assert not polling.poll(api, settings_account(), spacing=3600).skipped


def test_the_fan_out_sends_one_poll_per_account_until_a_worker_takes_it(api, contabo):
    main = settings_account()
    running, skipping, fresh = (make_account(name) for name in ("r", "s", "f"))
    for account in (main, running, skipping):
        heartbeat.begin(account.job_key("poll"))  # polled before
    assert leases.acquire(running.job_key("poll"), "a-worker", ttl=60)
    assert set(polling.accounts_to_poll(60)) == {main.pk, skipping.pk, fresh.pk}
    assert polling.accounts_to_poll(60) == [fresh.pk]  # no heartbeat yet: not marked
    assert set(polling.accounts_to_poll(0)) == {main.pk, skipping.pk, fresh.pk}  # expired

    assert not polling.poll(api, main).skipped  # taken, and run
    assert leases.acquire(skipping.job_key("poll"), "a-worker", ttl=60)
    assert polling.poll(get_client(skipping), skipping).skipped  # taken, and skipped
    leases.release(skipping.job_key("poll"), "a-worker")
    assert set(polling.accounts_to_poll(60)) == {main.pk, skipping.pk, fresh.pk}
