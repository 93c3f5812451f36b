"""The batched poll cycle: its API cost, progress, completion and its lock."""

import math

import pytest
from django.utils import timezone

from images.models import Account, AuditEvent, Image, ProgressSample, Status
from images.services import leases, polling, submit
from tests.waiting import wait_for

pytestmark = pytest.mark.django_db


def start_download(api, sandbox, name, size_mb=1.0) -> Image:
    image = Image.objects.create(
        name=name,
        url=f"{sandbox.url}/files/{name}.qcow2?size_mb={size_mb}",
        os_type="Linux",
        version="1",
    )
    submit.submit(api, image.pk)
    image.refresh_from_db()
    return image


def test_nothing_in_flight_costs_no_call(api, contabo):
    contabo.reset_calls()
    result = polling.poll(api)
    assert result.api_calls == 0
    assert sum(contabo.calls().values()) == 0


@pytest.mark.parametrize("count", [1, 100, 250])
def test_a_cycle_costs_one_list_call_per_page_of_downloads(api, contabo, settings, count):
    settings.CONTABO_PAGE_SIZE = 100
    contabo.seed(count, status="downloading")
    from images.services import sync

    sync.sync_images(api)
    assert Image.objects.filter(status=Status.DOWNLOADING).count() == count
    contabo.reset_calls()
    result = polling.poll(api)
    calls = contabo.calls()
    assert result.in_flight == count
    assert calls["retrieveImageList"] == math.ceil(count / 100)
    assert calls["retrieveImage"] == 0


def test_progress_rises_then_the_download_finishes(api, contabo):
    contabo.set_faults(bandwidth_mbps=2)
    image = start_download(api, contabo, "slow", size_mb=3)
    seen = []

    def finished():
        polling.poll(api)
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
        polling.poll(api)
        image.refresh_from_db()
        return image.status == Status.FAILED

    wait_for(failed, timeout=30, interval=0.2, message="download to fail")
    assert image.error_message
    assert image.events.filter(action="download", outcome=AuditEvent.Outcome.FAILED).exists()


def test_an_image_deleted_elsewhere_while_downloading_is_marked_gone(api, contabo):
    contabo.set_faults(bandwidth_mbps=0.5)
    image = start_download(api, contabo, "doomed", size_mb=50)
    api.delete_image(image.remote_id)
    polling.poll(api)
    image.refresh_from_db()
    assert image.status == Status.GONE


def test_only_one_cycle_runs_at_a_time(api, contabo):
    start_download(api, contabo, "one")
    assert leases.acquire(Account.objects.default().job("poll"), "someone-else", ttl=60)
    contabo.reset_calls()
    assert polling.poll(api).skipped
    assert sum(contabo.calls().values()) == 0


def test_an_expired_lease_is_taken_over(api, contabo):
    assert leases.acquire(Account.objects.default().job("poll"), "crashed-worker", ttl=-1)
    assert not polling.poll(api).skipped


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

    sync.sync_images(api)
    contabo.reset_calls()
    result = polling.poll(api)
    calls = contabo.calls()
    assert result.in_flight == 250
    assert calls["retrieveImage"] == 0
    assert calls["retrieveImageList"] <= math.ceil(950 / 100)
