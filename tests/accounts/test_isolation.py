"""Two accounts on two sandboxes: sync, poll, stats, submit and audit never mix their rows."""

import io

import pytest
from django.core.management import call_command

from images import tasks
from images.models import AuditEvent, Heartbeat, Image, QuotaSnapshot, Status, SyncRun
from images.services import intents, polling, sync

pytestmark = pytest.mark.django_db


def _custom(account) -> set[str]:
    return set(
        Image.objects.filter(account=account, standard=False).values_list("remote_id", flat=True)
    )


def test_sync_of_one_account_never_touches_the_other(api, contabo, account_a, api_b, account_b):
    contabo.seed(3, status="downloaded")
    sync.sync_images(api, account=account_a)
    standard_a = Image.objects.filter(account=account_a, standard=True).count()
    assert standard_a and not Image.objects.filter(account=account_b).exists()

    sync.sync_images(api_b, account=account_b)
    # Both sandboxes list the same standard images: the same remote ids, one row per account.
    shared = set(
        Image.objects.filter(account=account_a, standard=True).values_list("remote_id", flat=True)
    )
    assert shared == set(
        Image.objects.filter(account=account_b, standard=True).values_list("remote_id", flat=True)
    )
    assert len(_custom(account_a)) == 3
    assert _custom(account_b) == set()  # B's sandbox has no custom image

    # A's custom images deleted in A's panel are gone in A only; a row of B with the same
    # remote id (ids are only unique per account) stays as it was.
    remote_id = sorted(_custom(account_a))[0]
    b_row = Image.objects.create(
        account=account_b,
        remote_id=remote_id,
        status=Status.DOWNLOADED,
        name="b's",
        url="https://x/b.iso",
        os_type="Linux",
    )
    contabo.reset()
    sync.sync_images(api, account=account_a)
    assert Image.objects.get(account=account_a, remote_id=remote_id).status == Status.GONE
    assert Image.objects.get(pk=b_row.pk).status == Status.DOWNLOADED
    assert set(SyncRun.objects.values_list("account", flat=True)) == {account_a.pk, account_b.pk}


def test_the_same_remote_id_in_two_accounts_is_two_rows(api_b, account_a, account_b, contabo):
    sync.sync_images(api_b, account=account_b)
    remote_id = Image.objects.filter(account=account_b).values_list("remote_id", flat=True)[0]
    Image.objects.create(
        account=account_a, remote_id=remote_id, name="a's", url="https://x/a.iso", os_type="Linux"
    )
    sync.sync_images(api_b, account=account_b)  # B's sync leaves A's row alone
    assert Image.objects.get(account=account_a, remote_id=remote_id).name == "a's"


def test_poll_of_an_idle_account_costs_nothing_while_the_other_downloads(
    api, contabo, account_a, api_b, account_b, sandbox_b
):
    sandbox_b.seed(2, status="downloading")
    sync.sync_images(api_b, account=account_b)
    assert Image.objects.filter(account=account_b, status=Status.DOWNLOADING).count() == 2
    contabo.reset_calls()
    sandbox_b.reset_calls()

    idle = polling.poll(api, account_a)
    assert idle.api_calls == 0 and idle.in_flight == 0
    assert sum(contabo.calls().values()) == 0
    assert sum(sandbox_b.calls().values()) == 0

    busy = polling.poll(api_b, account_b)
    assert busy.in_flight == 2 and busy.api_calls >= 1
    assert sum(contabo.calls().values()) == 0
    assert Heartbeat.objects.filter(name=account_a.job_key("poll")).exists()
    assert Heartbeat.objects.filter(name=account_b.job_key("poll")).exists()


def test_poll_task_uses_the_accounts_own_client(contabo, account_a, api_b, account_b, sandbox_b):
    sandbox_b.seed(1, status="downloading")
    sync.sync_images(api_b, account=account_b)
    contabo.reset_calls()
    result = tasks.poll_downloads.apply(args=[account_b.pk]).get()
    assert result["in_flight"] == 1
    assert sum(contabo.calls().values()) == 0


def test_an_upload_to_b_is_submitted_to_bs_api_and_audited_in_b(
    contabo, account_a, account_b, sandbox_b, django_user_model
):
    contabo.reset_calls()
    user = django_user_model.objects.create_user("bea")
    image = intents.request_upload(
        user=user,
        account=account_b,
        name="bravo-image",
        url=sandbox_b.file_url("bravo.qcow2", 1),
        os_type="Linux",
        version="1",
    )
    tasks.submit_upload.apply(args=[image.pk])
    image.refresh_from_db()
    assert image.remote_id and image.account == account_b
    assert sandbox_b.calls()["createCustomImage"] == 1
    assert not contabo.calls().get("createCustomImage")
    assert {e.account_id for e in AuditEvent.objects.filter(image=image)} == {account_b.pk}


def test_stats_are_kept_per_account(api, contabo, account_a, api_b, account_b):
    sync.refresh_stats(api, account_a)
    sync.refresh_stats(api_b, account_b)
    sync.refresh_stats(api_b, account_b)
    assert QuotaSnapshot.objects.filter(account=account_a).count() == 1
    assert QuotaSnapshot.objects.filter(account=account_b).count() == 2


def test_beat_fans_out_poll_sync_and_stats_one_task_per_account(account_a, account_b, sent_tasks):
    from dashboard.celery import app

    schedule = app.conf.beat_schedule
    for name, task in (
        ("poll-downloads", "poll_downloads"),
        ("sync-images", "sync_images"),
        ("refresh-stats", "refresh_stats"),
    ):
        assert schedule[name]["task"] == "images.tasks.for_each_account"
        assert schedule[name]["args"][0] == task
    assert schedule["poll-downloads"]["options"]["queue"] == "poll"
    assert tasks.for_each_account("sync_images", 300.0) == 2
    assert sorted(sent_tasks) == sorted(
        [("sync_images", (account_a.pk,)), ("sync_images", (account_b.pk,))]
    )


def test_a_refresh_request_is_audited_in_its_account(account_b, sent_tasks, django_user_model):
    user = django_user_model.objects.create_user("bea")
    intents.request_refresh(user=user, account=account_b)
    assert AuditEvent.objects.get(action="refresh").account == account_b


def test_operator_commands_take_an_account(contabo, account_a, account_b, sandbox_b):
    out = io.StringIO()
    call_command("sync_images", "--account", "Bravo", stdout=out)
    assert out.getvalue().startswith("Bravo: added")
    assert Image.objects.filter(account=account_b).exists()
    assert not Image.objects.filter(account=account_a).exists()
    call_command("refresh_stats", stdout=out)  # every account
    assert {s.account_id for s in QuotaSnapshot.objects.all()} == {account_a.pk, account_b.pk}


def test_the_beats_poll_runs_each_accounts_cycle_as_its_own_task(
    api, contabo, account_a, api_b, account_b, sandbox_b, sent_tasks
):
    sandbox_b.seed(1, status="downloading")
    sync.sync_images(api_b, account=account_b)
    contabo.reset_calls()
    assert tasks.for_each_account("poll_downloads", 3.0) == 2
    results = {args[0]: tasks.poll_downloads.apply(args=args).get() for _, args in sent_tasks}
    assert results[account_a.pk]["api_calls"] == 0
    assert results[account_b.pk]["in_flight"] == 1
    assert sum(contabo.calls().values()) == 0
