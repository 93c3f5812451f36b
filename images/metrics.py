"""Prometheus metrics, multiprocess-safe (gunicorn workers, Celery prefork children).

Counted where they happen, in whichever process: Contabo API calls (operation, status, latency)
and task runs (outcome, duration). Each process writes them to its own files in
PROMETHEUS_MULTIPROC_DIR (settings.METRICS_DIR); a scrape adds up every file. Read from the
database and the broker at scrape time, so the same on every web node: downloads in flight, the
age of each account's last successful poll and sync, quota used and free, queue depth.
"""

import os
import re

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from images.models import IN_FLIGHT, Account, Heartbeat, Image, QuotaSnapshot

API_CALLS = Counter(
    "contabo_api_calls_total",
    "Contabo API calls by operation and final HTTP status (or connection error)",
    ["operation", "status"],
)
API_SECONDS = Histogram(
    "contabo_api_call_seconds",
    "Time of one Contabo API call, retries included",
    ["operation"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
TASK_RUNS = Counter("dashboard_task_runs_total", "Celery task runs by outcome", ["task", "outcome"])
TASK_FAILURES = Counter(
    "dashboard_task_failures_total",
    "Celery task runs that failed, by the exception's class (time limits included)",
    ["task", "reason"],
)
TASK_SECONDS = Histogram(
    "dashboard_task_seconds",
    "Celery task run time",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_FILE = re.compile(r"_(\d+)\.db$")


def api_call(operation: str, status: int | str, seconds: float) -> None:
    """The client's observer (images.contabo.django): `status` is the HTTP code or the error."""
    API_CALLS.labels(operation, str(status)).inc()
    API_SECONDS.labels(operation).observe(seconds)


def task_ran(task: str, state: str, seconds: float | None) -> None:
    """A run that ended in this process (Celery's task_postrun); failures are `task_failed`'s."""
    if seconds is not None:
        TASK_SECONDS.labels(task).observe(seconds)
    if state != "FAILURE":
        TASK_RUNS.labels(task, "retried" if state == "RETRY" else "succeeded").inc()


def task_failed(task: str, reason: str) -> None:
    TASK_RUNS.labels(task, "failed").inc()
    TASK_FAILURES.labels(task, reason).inc()


def forget_dead_processes() -> int:
    """Remove the files of processes that have ended (a recycled pool child, a restarted web
    worker), so the folder does not grow without end; their counts leave the totals, which
    Prometheus reads as a counter reset. The number of files removed."""
    removed = 0
    for path in settings.METRICS_DIR.glob("*.db"):
        match = _FILE.search(path.name)
        if match and not _alive(int(match.group(1))):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class StateCollector:
    """Gauges read at scrape time from the database and the broker (a few small queries)."""

    def collect(self):
        accounts = dict(Account.objects.values_list("pk", "name"))
        info = GaugeMetricFamily(
            "dashboard_account_info", "Accounts by id, with their name", labels=["account", "name"]
        )
        for pk, name in accounts.items():
            info.add_metric([str(pk), name], 1)
        yield info
        yield self._in_flight(accounts)
        yield self._ages()
        yield from self._quota()
        yield self._queues()

    def _in_flight(self, accounts):
        family = GaugeMetricFamily(
            "dashboard_downloads_in_flight",
            "Uploads not finished yet, by account and state (queued, submitting, downloading)",
            labels=["account", "status"],
        )
        counts = {
            (row["account_id"], row["status"]): row["n"]
            for row in Image.objects.filter(status__in=IN_FLIGHT)
            .values("account_id", "status")
            .annotate(n=Count("pk"))
        }
        for pk in accounts:
            for status in IN_FLIGHT:
                family.add_metric([str(pk), status.value], counts.get((pk, status), 0))
        return family

    def _ages(self):
        family = GaugeMetricFamily(
            "dashboard_seconds_since_success",
            "Seconds since the account's job (poll, sync, stats) last succeeded",
            labels=["account", "job"],
        )
        now = timezone.now()
        for name, ok_at in Heartbeat.objects.filter(ok_at__isnull=False).values_list(
            "name", "ok_at"
        ):
            job, _, pk = name.partition(":")
            if pk:
                family.add_metric([pk, job], (now - ok_at).total_seconds())
        return family

    def _quota(self):
        used = GaugeMetricFamily(
            "dashboard_quota_used_mb", "Custom-image storage used, MB", labels=["account"]
        )
        free = GaugeMetricFamily(
            "dashboard_quota_free_mb", "Custom-image storage free, MB", labels=["account"]
        )
        latest = QuotaSnapshot.objects.values("account_id").annotate(last=Max("pk")).values("last")
        for snap in QuotaSnapshot.objects.filter(pk__in=latest):
            used.add_metric([str(snap.account_id)], snap.used_mb)
            free.add_metric([str(snap.account_id)], snap.free_mb)
        return used, free

    def _queues(self):
        family = GaugeMetricFamily(
            "dashboard_queue_depth", "Messages waiting in the broker, by queue", labels=["queue"]
        )
        from dashboard.celery import app

        with app.connection_for_read() as conn:
            channel = conn.default_channel
            for name in app.amqp.queues:
                # Not passive: a queue no worker declared yet is an empty one, not an error.
                _, count, _ = channel.queue_declare(queue=name)
                family.add_metric([name], count)
        return family


def exposition() -> bytes:
    """Everything, in Prometheus text format."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(settings.METRICS_DIR))
    registry.register(StateCollector())
    return generate_latest(registry)


forget_dead_processes()
