"""The engine on the API's other dialects (sandbox/dialect.py): a tolerant reader that skips only
what it cannot read, and nothing final decided on a status or an absence it cannot confirm."""

import pytest
from django.utils import timezone

from images.models import Heartbeat, Image, Notification, Status
from images.services import gone, polling, submit, sync
from images.services.accounts import settings_account
from images.services.listed import listed_ids
from testkit.factories import make_upload
from testkit.waiting import wait_for

pytestmark = pytest.mark.django_db


def start_download(api, sandbox, name, size_mb=1.0) -> Image:
    image = make_upload(sandbox.file_url(f"{name}.qcow2", size_mb), name=name)
    submit.submit(api, image.pk)
    image.refresh_from_db()
    return image


@pytest.mark.parametrize(
    "dialect",
    [
        {"null_fields": "description,errorMessage,uploadedSizeMb,creationDate,tags,format"},
        {"missing_fields": "description,url,sizeMb,lastModifiedDate,tags,standardImage"},
        {"extra_fields": True, "numbers_as_text": True},
    ],
    ids=["nulls", "missing", "extra-and-text"],
)
def test_sync_reads_every_image_in_a_loose_dialect(api, contabo, dialect):
    contabo.seed(12)
    contabo.set_faults(**dialect)
    run = sync.sync_images(api, settings_account(), page_size=5)
    contabo.set_faults(null_fields="", missing_fields="", extra_fields=False, numbers_as_text=False)
    remote = {i.image_id for i in api.iter_images()}
    assert set(Image.objects.values_list("remote_id", flat=True)) == remote
    assert run.added == len(remote) and not run.error
    assert Heartbeat.objects.get(name=f"sync:{run.account_id}").note == ""


def test_a_malformed_item_is_skipped_noted_and_never_gone(api, contabo, caplog):
    ids = contabo.seed(6)
    sync.sync_images(api, settings_account(), page_size=4)
    bad = ids[2]
    contabo.set_faults(malformed_ids=bad)
    run = sync.sync_images(api, settings_account(), page_size=4)
    run = sync.sync_images(api, settings_account(), page_size=4)  # a second run logs nothing new
    assert not run.error and run.gone == 0
    row = Image.objects.get(remote_id=bad)
    assert row.status == Status.DOWNLOADED and row.seen_at >= run.started_at
    note = Heartbeat.objects.get(name=f"sync:{run.account_id}").note
    assert note.startswith("1 unreadable image skipped: " + bad) and "sizeMb" in note
    assert sum(bad in r.getMessage() for r in caplog.records) == 1
    assert Image.objects.filter(standard=False, status=Status.DOWNLOADED).count() == 6


def test_gone_only_after_a_direct_404(api, contabo):
    first, second = contabo.seed(2)
    sync.sync_images(api, settings_account())
    # Not seen by a sync (as if the list had skipped it), but it exists: stays, now seen.
    with listed_ids() as nothing_listed:
        suspects = gone.unlisted(Image.objects.first().account, listed=nothing_listed)
    assert len(suspects) == Image.objects.count()  # every settled image is a suspect
    assert gone.confirm(api, suspects) == 0
    assert Image.objects.get(remote_id=first).status == Status.DOWNLOADED
    api.delete_image(second)
    run = sync.sync_images(api, settings_account())
    assert run.gone == 1
    assert Image.objects.get(remote_id=second).status == Status.GONE
    assert Image.objects.get(remote_id=first).status == Status.DOWNLOADED


def test_an_unknown_status_keeps_the_download_in_flight(api, contabo):
    contabo.set_faults(inflight_status="processing")
    image = start_download(api, contabo, "odd", size_mb=1)
    wait_for(lambda: api.get_image(image.remote_id).status == "downloaded", timeout=30)
    contabo.force(image.remote_id, status="processing")  # it stays so after the bytes arrived
    polling.poll(api, settings_account())
    image.refresh_from_db()
    assert (image.status, image.remote_status) == (Status.DOWNLOADING, "processing")
    assert not Notification.objects.filter(image=image).exists()
    assert image.finished_at is None
    contabo.force(image.remote_id, status="downloaded")
    polling.poll(api, settings_account())
    polling.poll(api, settings_account())
    image.refresh_from_db()
    assert image.status == Status.DOWNLOADED
    assert Notification.objects.filter(image=image, kind="downloaded").count() == 1


def test_sync_never_reads_an_unknown_status_as_ready(api, contabo):
    [image_id] = contabo.seed(1, status="verifying")
    sync.sync_images(api, settings_account())
    row = Image.objects.get(remote_id=image_id)
    assert (row.status, row.remote_status) == (Status.DOWNLOADING, "verifying")


def test_a_malformed_download_stays_in_flight_and_the_others_finish(api, contabo):
    ok = start_download(api, contabo, "fine")
    bad = start_download(api, contabo, "broken")
    contabo.set_faults(malformed_ids=bad.remote_id)
    result = polling.poll(api, settings_account())
    ok.refresh_from_db()
    bad.refresh_from_db()
    assert ok.status == Status.DOWNLOADED
    assert bad.status == Status.DOWNLOADING
    assert bad.remote_id in result.note
    assert Heartbeat.objects.get(name=f"poll:{bad.account_id}").note == result.note


def test_stats_with_missing_figures_record_no_quota(api, contabo):
    contabo.set_faults(missing_fields="totalSizeMb")
    assert sync.refresh_stats(api, settings_account()) is None
    beat = Heartbeat.objects.get(name__startswith="stats:")
    assert beat.note == "Contabo's stats left out totalSizeMb"
    contabo.set_faults(missing_fields="", null_fields="freeSizeMb")
    snap = sync.refresh_stats(api, settings_account())
    assert snap.free_mb == snap.total_mb - snap.used_mb


def test_a_few_flaps_are_absorbed_by_the_token_retries(api, contabo, monkeypatch):
    from images import tasks
    from images.contabo import auth
    from images.contabo.django import DjangoCacheTokenStore, config_from_settings

    monkeypatch.setattr(auth, "FLAP_BACKOFF", 0.001)
    DjangoCacheTokenStore().delete(auth.token_key(config_from_settings()))
    contabo.set_faults(token_flaps=3)
    image = make_upload(contabo.file_url("flap.qcow2", 1), name="flap")
    tasks.submit_upload.apply(args=[image.pk])
    image.refresh_from_db()
    assert image.remote_id and image.wait_reason == ""
    assert contabo.calls()["token"] == 4


def test_intents_wait_while_sign_in_fails_then_go_out(api, contabo):
    from images import tasks

    [remote_id, other] = contabo.seed(2)
    sync.sync_images(api, settings_account())
    upload = make_upload(contabo.file_url("later.qcow2", 1), name="later")
    Image.objects.filter(remote_id=remote_id).update(
        pending_name="new name", pending_description=""
    )
    Image.objects.filter(remote_id=other).update(
        status=Status.DELETING, prior_status=Status.DOWNLOADED, delete_requested_at=timezone.now()
    )
    rename = Image.objects.get(remote_id=remote_id)
    delete = Image.objects.get(remote_id=other)

    from images.contabo import auth
    from images.contabo.django import DjangoCacheTokenStore, config_from_settings

    DjangoCacheTokenStore().delete(auth.token_key(config_from_settings()))
    contabo.set_faults(token_flap_rate=1.0)
    auth_backoff, auth.FLAP_BACKOFF = auth.FLAP_BACKOFF, 0.001
    try:
        tasks.submit_upload.apply(args=[upload.pk])
        tasks.rename_image.apply(args=[rename.pk])
        tasks.delete_image.apply(args=[delete.pk])
    finally:
        auth.FLAP_BACKOFF = auth_backoff
    for row in (upload, rename, delete):
        row.refresh_from_db()
        assert row.wait_reason.startswith("Contabo sign-in failing (Invalid user credentials)")
    assert (upload.status, upload.remote_id, upload.error_message) == (Status.QUEUED, None, "")
    assert rename.pending_name == "new name" and rename.action_error == ""
    assert delete.status == Status.DELETING and delete.action_error == ""
    assert contabo.calls()["createCustomImage"] == 0

    contabo.set_faults(token_flap_rate=0)
    tasks.submit_upload.apply(args=[upload.pk])
    tasks.rename_image.apply(args=[rename.pk])
    tasks.delete_image.apply(args=[delete.pk])
    for row in (upload, rename, delete):
        row.refresh_from_db()
        assert row.wait_reason == ""
    assert upload.remote_id and rename.name == "new name" and delete.status == Status.DELETED


def test_a_refused_order_and_a_page_cap_are_learned_once(api, contabo, settings):

    settings.CONTABO_PAGE_SIZE = 100
    contabo.seed(7, status="downloading")
    sync.sync_images(api, settings_account())
    contabo.set_faults(refuse_order_by="creationDate", page_size_cap=3)
    contabo.reset_calls()
    result = polling.poll(api, settings_account())
    account = settings_account()
    assert (account.list_order, account.page_size_cap) == ("lastModifiedDate:desc", 3)
    assert result.in_flight == 7 and result.api_calls == 3  # 3 pages of 3 ...
    # ... and, at the sandbox, the refused call before them
    assert contabo.calls()["retrieveImageList"] == 4
    contabo.reset_calls()
    assert polling.poll(api, settings_account()).api_calls == 3  # no discovery this time
    contabo.set_faults(refuse_order_by="*")
    polling.poll(api, settings_account())
    assert settings_account().list_order == "none"


def test_sync_with_a_capped_page_size_counts_every_image_once(api, contabo):
    contabo.seed(11)
    contabo.set_faults(page_size_cap=4)
    run = sync.sync_images(api, settings_account(), page_size=100)
    contabo.set_faults(page_size_cap=0)
    remote = {i.image_id for i in api.iter_images()}
    assert run.added == len(remote) == Image.objects.count()
    assert run.gone == 0


def test_sync_neither_misses_nor_double_counts_when_the_order_moves(api, contabo):
    contabo.seed(30)
    contabo.set_faults(unstable_order=True)
    run = sync.sync_images(api, settings_account(), page_size=7)
    contabo.set_faults(unstable_order=False)
    remote = {i.image_id for i in api.iter_images()}
    assert set(Image.objects.values_list("remote_id", flat=True)) == remote
    assert run.added == len(remote) and run.gone == 0
