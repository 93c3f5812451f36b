"""Retry, replace and stall detection against the sandbox over real HTTP, as a worker runs them."""

import pytest

from images import tasks
from images.contabo import NotFound
from images.models import Image, Notification, Status
from images.services import lineage, polling, remote_changes, submit
from images.services.accounts import settings_account
from testkit.factories import make_user
from testkit.waiting import wait_for

pytestmark = pytest.mark.django_db


def upload(api, sandbox, name, size_mb=1.0, **fields) -> Image:
    image = Image.objects.create(
        account=settings_account(),
        name=name,
        url=fields.pop("url", f"{sandbox.url}/files/{name}.qcow2?size_mb={size_mb}"),
        os_type="Linux",
        version=fields.pop("version", "1"),
        **fields,
    )
    submit.submit(api, image.pk)
    image.refresh_from_db()
    return image


def settle(api, image: Image) -> Image:
    def ended():
        polling.poll(api, settings_account())
        image.refresh_from_db()
        return image.status != Status.DOWNLOADING

    wait_for(ended, timeout=30, interval=0.1, message=f"{image.name} to finish")
    return image


def test_replace_then_delete_the_old_version_at_contabo(api, contabo):
    user = make_user("manu", role="manager")
    old = settle(api, upload(api, contabo, "golden"))
    assert old.status == Status.DOWNLOADED
    new = lineage.request_replace(
        old,
        user=user,
        name="golden",
        url=f"{contabo.url}/files/golden-2.qcow2?size_mb=1",
        os_type="Linux",
        version="2",
        delete_old_when_done=True,
    )
    submit.submit(api, new.pk)
    new = settle(api, new)
    old.refresh_from_db()
    assert new.status == Status.DOWNLOADED
    assert old.status == Status.DELETING
    # what the delete_image task enqueued after commit does:
    assert remote_changes.delete(api, old.pk)
    old.refresh_from_db()
    assert old.status == Status.DELETED
    with pytest.raises(NotFound):
        api.get_image(old.remote_id)
    api.get_image(new.remote_id)  # the new version stays
    kinds = set(Notification.objects.values_list("image__name", "image__version", "kind"))
    assert kinds == {("golden", "1", "downloaded"), ("golden", "2", "downloaded")}


def test_retry_a_failed_download_and_remove_the_failed_one(api, contabo):
    user = make_user("manu", role="manager")
    contabo.set_faults(download_mode="fail")
    failed = settle(api, upload(api, contabo, "flaky"))
    assert failed.status == Status.FAILED
    contabo.set_faults(download_mode="normal")
    new = lineage.request_retry(failed, user=user, remove_failed=True)
    assert remote_changes.delete(api, failed.pk)
    with pytest.raises(NotFound):
        api.get_image(failed.remote_id)
    submit.submit(api, new.pk)
    new = settle(api, new)
    assert new.status == Status.DOWNLOADED
    assert (new.name, new.url, new.version) == (failed.name, failed.url, failed.version)
    assert failed.notifications.get().kind == "error"
    assert new.notifications.get().kind == "downloaded"


def test_the_poll_task_notices_a_stalled_download_once(api, contabo, settings):
    settings.STALL_AFTER_SECONDS = 0.5
    contabo.set_faults(download_mode="stall", stall_timeout_s=60)
    image = upload(api, contabo, "stuck", size_mb=5)

    def noticed():
        tasks.poll_downloads.apply(args=[image.account_id])
        return Notification.objects.filter(image=image, kind="stalled").exists()

    wait_for(noticed, timeout=20, interval=0.2, message="a stall notification")
    tasks.poll_downloads.apply(args=[image.account_id])
    assert Notification.objects.filter(image=image).count() == 1
    image.refresh_from_db()
    assert image.status == Status.DOWNLOADING
