"""Sync and the poll cycle at once over 200 downloads in flight: on PostgreSQL the sync used to
touch the poll's rows in another lock order and die with `deadlock detected`, while its SyncRun
read finished, 0/0/0, no error. Now sync leaves the poll's rows alone, a failed run says so on
the SyncRun and the heartbeat, and the task retries a transient database error.

Runs on both databases (SQLite serialises writers, so there it checks the same promises).
"""

import threading

import pytest
from django.db import OperationalError, connection

from images import tasks
from images.contabo import ContaboClient
from images.contabo.django import DjangoCacheTokenStore, config_from_settings
from images.models import Heartbeat, Image, SyncRun
from images.services import polling, sync
from images.services.accounts import settings_account

pytestmark = pytest.mark.django_db(transaction=True)
IN_FLIGHT = 200
SYNCS = 20


@pytest.mark.slow
def test_syncs_during_poll_cycles_never_deadlock_and_report_truthfully(api, contabo):
    contabo.seed(IN_FLIGHT, status="downloading", sizeMb=1000.0, uploadedSizeMb=10.0)
    account = settings_account()
    first = sync.sync_images(api, account=account)
    assert polling.in_flight(account).count() == IN_FLIGHT
    stop, cycles, poll_errors = threading.Event(), [], []

    def poll_cycles() -> None:
        client = ContaboClient(config_from_settings(), token_store=DjangoCacheTokenStore())
        try:
            while not stop.is_set() or len(cycles) < 2:
                cycles.append(polling.poll(client, account))
        except Exception as exc:  # recorded for the assertion below
            poll_errors.append(exc)
        finally:
            connection.close()

    poller = threading.Thread(target=poll_cycles)
    poller.start()
    failures = []
    try:
        for _ in range(SYNCS):
            try:
                sync.sync_images(api, account=account)
            except OperationalError as exc:
                failures.append(str(exc).splitlines()[0])
    finally:
        stop.set()
        poller.join(timeout=300)
    assert failures == []
    assert poll_errors == []
    # The poll really ran beside the syncs, each cycle over (and on PostgreSQL locking) all 200.
    assert sum(1 for c in cycles if not c.skipped and c.in_flight == IN_FLIGHT) >= 2
    runs = SyncRun.objects.exclude(pk=first.pk)
    assert runs.count() == SYNCS
    assert {(r.added, r.updated, r.gone, r.error) for r in runs} == {(0, 0, 0, "")}
    assert all(r.finished_at for r in runs)
    beat = Heartbeat.objects.get(name=account.job_key("sync"))
    assert beat.ok_at and not beat.error_at


def test_a_run_that_fails_on_the_database_is_recorded_as_failed(api, contabo, monkeypatch):
    contabo.seed(3)
    account = settings_account()

    def deadlock(run, remotes):
        raise OperationalError("deadlock detected\nDETAIL: Process 1 waits for ShareLock")

    monkeypatch.setattr(sync, "_apply_page", deadlock)
    with pytest.raises(OperationalError):
        sync.sync_images(api, account=account)
    run = SyncRun.objects.get()
    assert run.finished_at
    assert run.error == "Database error: deadlock detected"
    beat = Heartbeat.objects.get(name=account.job_key("sync"))
    assert beat.error == "Database error: deadlock detected"
    assert beat.error_at and not beat.ok_at


def test_the_sync_task_retries_a_transient_database_error(api, contabo, monkeypatch):
    contabo.seed(3)
    real, attempts = sync.sync_images, []

    def flaky(client, **kwargs):
        attempts.append(1)
        if len(attempts) == 1:
            raise OperationalError("deadlock detected")
        return real(client, **kwargs)

    monkeypatch.setattr(sync, "sync_images", flaky)
    result = tasks.sync_images.apply(args=(settings_account().pk,))
    assert len(attempts) == 2  # Celery's retry ran it again
    assert result.get() == {"added": Image.objects.count(), "updated": 0, "gone": 0}
    assert SyncRun.objects.get().error == ""
