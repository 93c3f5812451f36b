"""Bounded work: the poll lease outlasts the slowest API call and is renewed before any call it
might not outlast, so two cycles of an account never overlap; every task has time limits, and
one that hits its soft limit fails with that reason (the job's failure, the failures metric, an
ERROR line)."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from images.contabo import ContaboClient
from images.contabo.config import ContaboConfig
from images.models import Heartbeat, Image, Lease, Status
from images.services import leases, polling, sync
from images.services.accounts import settings_account
from images.tasks import poll_downloads, submit_upload, sync_images
from testkit.waiting import wait_for
from tests.ops.test_metrics import scrape, value

CONFIG = ContaboConfig("https://api", "https://auth", "id", "s", "u", "p")


def test_the_worst_call_counts_every_retry_timing_out_and_a_401_redo():
    # (5 + 30) per attempt, 4 attempts, 3 waits of 30 s; twice, each after a token grant.
    assert ContaboClient(CONFIG).worst_call_seconds == 2 * (35 + 4 * 35 + 3 * 30)


@pytest.mark.django_db
def test_renewing_a_lease_that_another_took_is_refused():
    with leases.held("job:1", ttl=60) as lease:
        before = Lease.objects.get(name="job:1").expires_at
        lease.renew()
        assert Lease.objects.get(name="job:1").expires_at > before
        Lease.objects.filter(name="job:1").update(expires_at=timezone.now())
        assert leases.acquire("job:1", "other-worker", ttl=60)
        with pytest.raises(leases.LeaseLost):
            lease.renew()
    assert Lease.objects.get(name="job:1").owner == "other-worker"  # not released by us


@pytest.fixture
def three_pages(api, contabo, settings):
    settings.CONTABO_PAGE_SIZE = 10
    contabo.seed(25, status="downloading", sizeMb=1000, uploadedSizeMb=10)
    sync.sync_images(api, settings_account(), page_size=10)
    assert Image.objects.filter(status=Status.DOWNLOADING).count() == 25


class Clock:
    """The leases' clocks (monotonic and wall), moved on by hand: `clock.passed += 20`."""

    def __init__(self, monkeypatch) -> None:
        self.passed = 0.0
        monkeypatch.setattr(leases, "monotonic", lambda: 1000.0 + self.passed)
        monkeypatch.setattr(leases, "timezone", SimpleNamespace(now=self.wall))

    def wall(self):
        return timezone.now() + timedelta(seconds=self.passed)


def _lease_left_before_each_call(monkeypatch, step: float = 0.0) -> tuple[list, list]:
    """Seconds the lease has left before each API call and the renewals, with the clock moving
    `step` seconds per call."""
    clock, left, renewed = Clock(monkeypatch), [], []
    keep, renew = leases.Holding.keep, leases.Holding.renew

    def spy_keep(holding, seconds):
        keep(holding, seconds)
        expires = Lease.objects.get(name=holding.name).expires_at
        left.append((expires - clock.wall()).total_seconds())
        clock.passed += step

    def spy_renew(holding):
        renewed.append(clock.passed)
        renew(holding)

    monkeypatch.setattr(leases.Holding, "keep", spy_keep)
    monkeypatch.setattr(leases.Holding, "renew", spy_renew)
    return left, renewed


@pytest.mark.django_db
def test_a_quick_cycle_keeps_its_lease_without_renewing_it_per_page(
    api, contabo, three_pages, monkeypatch
):
    left, renewed = _lease_left_before_each_call(monkeypatch)
    contabo.reset_calls()
    result = polling.poll(api, settings_account())
    assert result.api_calls == 3 == sum(contabo.calls().values()) == len(left)
    assert min(left) > api.worst_call_seconds
    assert renewed == []


@pytest.mark.django_db
def test_a_slow_cycle_renews_its_lease_before_any_call_it_might_not_outlast(
    api, contabo, three_pages, monkeypatch
):
    """Each call takes 20 s by the clock: 20 s after taking it, the lease has no longer the
    worst call plus half the margin left, so it is renewed before the second and third calls."""
    left, renewed = _lease_left_before_each_call(monkeypatch, step=20)
    result = polling.poll(api, settings_account())
    assert result.api_calls == 3 == len(left)
    assert min(left) > api.worst_call_seconds
    assert len(renewed) == 2


@pytest.mark.django_db
def test_a_cycle_whose_lease_was_taken_stops_and_says_skipped(
    api, contabo, three_pages, monkeypatch
):
    clock = Clock(monkeypatch)
    original = leases.Holding.keep
    calls = []

    def taken_after_the_first_page(holding, seconds):
        calls.append(1)
        if len(calls) == 2:  # a stalled worker: the lease ran out and another cycle took it
            clock.passed += holding.ttl
            leases.acquire(holding.name, "other-worker", ttl=60)
        original(holding, seconds)

    monkeypatch.setattr(leases.Holding, "keep", taken_after_the_first_page)
    contabo.reset_calls()
    assert polling.poll(api, settings_account()).skipped
    assert sum(contabo.calls().values()) == 1


def test_every_task_has_soft_and_hard_limits(settings):
    from dashboard.celery import app

    ours = {name: task for name, task in app.tasks.items() if name.startswith("images.")}
    assert len(ours) >= 10
    for name, task in ours.items():
        assert 0 < task.soft_time_limit < task.time_limit, name
    assert poll_downloads.soft_time_limit == settings.TASK_SOFT_TIME_LIMIT_SECONDS
    assert submit_upload.time_limit == settings.TASK_TIME_LIMIT_SECONDS
    assert sync_images.soft_time_limit == settings.SYNC_SOFT_TIME_LIMIT_SECONDS
    assert sync_images.time_limit == settings.SYNC_TIME_LIMIT_SECONDS


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_task_past_its_soft_limit_fails_with_the_reason(stack, contabo):
    contabo.set_faults(latency_ms=3000)
    stack.env.update(SYNC_SOFT_TIME_LIMIT_SECONDS="1", SYNC_TIME_LIMIT_SECONDS="20")
    worker = stack.start_worker()
    stack.start_beat()  # sends a sync of every account at start
    account = settings_account()

    def sync_failed():
        beat = Heartbeat.objects.filter(name=account.job_key("sync")).first()
        return beat and beat.failing and beat

    beat = wait_for(sync_failed, timeout=60, message="the sync to hit its soft limit")
    assert beat.error == "Stopped at its 1 s time limit"
    failures = wait_for(
        lambda: value(
            scrape(),
            "dashboard_task_failures_total",
            task="images.tasks.sync_images",
            reason="SoftTimeLimitExceeded",
        ),
        timeout=30,
        message="the failure counted",
    )
    assert failures == 1
    assert "Soft time limit (1.0s) exceeded for images.tasks.sync_images" in worker.log()
    assert "SoftTimeLimitExceeded" in worker.log()


@pytest.mark.django_db
def test_a_poll_past_its_limit_stops_between_calls_on_any_pool(
    api, contabo, three_pages, settings, monkeypatch
):
    """The poller runs on Celery's threads pool, where Celery's limits do not apply: the cycle
    checks its own before each call, records the failure, and the task fails with it."""
    from images import tasks

    settings.TASK_SOFT_TIME_LIMIT_SECONDS = 0.5
    original = leases.Holding.keep

    def slow_page(holding, seconds):  # each page takes longer than the whole limit
        original(holding, seconds)
        contabo.set_faults(latency_ms=600)

    monkeypatch.setattr(leases.Holding, "keep", slow_page)
    contabo.reset_calls()
    account = settings_account()
    with pytest.raises(polling.CycleTimeLimit):
        tasks.poll_downloads(account.pk)
    assert sum(contabo.calls().values()) == 1
    beat = Heartbeat.objects.get(name=account.job_key("poll"))
    assert beat.failing and beat.error == "Stopped at its 0.5 s time limit"
    assert leases.acquire(account.job_key("poll"), "next-cycle", ttl=60)  # released
