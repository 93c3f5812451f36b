"""The Celery app: settings from Django (CELERY_*), tasks autodiscovered, the beat schedule."""

import inspect
import logging
import os
import sys
import threading
import time
from datetime import datetime, timedelta

from celery import Celery
from celery.schedules import schedstate, schedule
from celery.signals import (
    beat_init,
    celeryd_init,
    setup_logging,
    task_failure,
    task_postrun,
    task_prerun,
    worker_process_init,
    worker_ready,
    worker_shutdown,
)
from kombu import Queue

from dashboard import (
    broker,  # noqa: F401 - filesystem:// URLs now write atomically
    logs,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

app = Celery("dashboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Celery's Django fixup closes every database connection before and after each task, whatever
# CONN_MAX_AGE says, unless this is set (celery/celery#4116): each poll cycle opened a new
# PostgreSQL connection. Set so that it never closes them; `_recycle_connections` does what
# Django does around a request instead.
app.conf.update(CELERY_DB_REUSE_MAX=sys.maxsize)

# User actions, polls and everything else (sync, stats, sweeps, notifications) each have a
# queue, so the Procfile can give each its own worker: a user's task never waits behind 200
# accounts' polls or a long sync. A worker started without --queues consumes all three.
USER_TASKS = ("submit_upload", "rename_image", "delete_image", "preflight_url")
app.conf.task_default_queue = "celery"
app.conf.task_queues = (Queue("user"), Queue("poll"), Queue("celery"))
app.conf.task_routes = {
    **{f"images.tasks.{name}": {"queue": "user"} for name in USER_TASKS},
    "images.tasks.poll_downloads": {"queue": "poll"},
}


class ClockSlots(schedule):
    """Due once in each fixed `run_every`-long slot of the clock, at its start, rather than
    `run_every` after the last run: a tick and the cycles it sends fall in the slot polling.poll
    counts them in, however the beat's start time or its ticks drift."""

    def is_due(self, last_run_at: datetime) -> schedstate:
        every = self.run_every.total_seconds()
        now = self.now().timestamp()
        start = now // every * every
        due = self.maybe_make_aware(last_run_at).timestamp() < start
        return schedstate(due, start + every - now)


@app.on_after_finalize.connect
def _schedule(sender: Celery, **_kwargs) -> None:
    """Beat entries, with intervals from settings so tests and demos can shorten them.

    Poll, sync and stats are per account: the beat sends `for_each_account`, which sends the task
    once per account (the poll's on the poll queue, and at the start of each slot of the clock:
    ClockSlots). Each message expires after one interval (5 s at least): a worker that was down
    does not come back to a backlog of stale polls, it just runs the next one.
    """
    from django.conf import settings

    per_account = {
        "poll-downloads": ("poll_downloads", settings.POLL_INTERVAL_SECONDS, "poll"),
        "sync-images": ("sync_images", settings.SYNC_INTERVAL_SECONDS, "celery"),
        "refresh-stats": ("refresh_stats", settings.STATS_INTERVAL_SECONDS, "celery"),
    }
    entries = {
        name: {
            "task": "images.tasks.for_each_account",
            "args": (task, max(every, 5.0)),
            "schedule": every,
            "options": {"expires": max(every, 5.0), "queue": queue},
        }
        for name, (task, every, queue) in per_account.items()
    }
    entries["poll-downloads"]["schedule"] = ClockSlots(
        timedelta(seconds=settings.POLL_INTERVAL_SECONDS)
    )
    every = settings.SWEEP_INTERVAL_SECONDS
    entries["sweep-intents"] = {
        "task": "images.tasks.sweep_intents",
        "schedule": every,
        "options": {"expires": max(every, 5.0)},
    }
    sender.conf.beat_schedule = entries


@beat_init.connect
def _sync_on_start(sender, **_kwargs) -> None:
    """The one beat asks for a full sync and fresh stats of every account at start, so pages
    fill at once."""
    app.send_task("images.tasks.for_each_account", args=("sync_images",))
    app.send_task("images.tasks.for_each_account", args=("refresh_stats",))


@setup_logging.connect
def _logging(**_kwargs) -> None:
    """Workers and beat log like the web (LOG_LEVEL, LOG_FORMAT), not in Celery's own format."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


# A task's lines carry its name and id, and the image or account its arguments name.
_CONTEXT_ARGS = {"image_id": "image", "account_id": "account"}
# Task id -> (monotonic start, log context token), in the process running it.
_running: dict[str, tuple[float, object]] = {}


@task_prerun.connect
def _task_started(task_id=None, task=None, args=(), kwargs=None, **_kwargs) -> None:
    try:
        given = inspect.signature(task.run).bind_partial(*args, **(kwargs or {})).arguments
    except TypeError:  # Celery reports the bad call itself
        given = {}
    token = logs.push(
        task=task.name,
        task_id=task_id,
        **{field: given.get(arg) for arg, field in _CONTEXT_ARGS.items()},
    )
    _running[task_id] = (time.monotonic(), token)


@task_postrun.connect
def _task_done(task_id=None, task=None, state=None, **_kwargs) -> None:
    """Count the run and its time; failures are counted by `_task_failed`."""
    from images import metrics

    started, token = _running.pop(task_id, (None, None))
    metrics.task_ran(task.name, state, None if started is None else time.monotonic() - started)
    if token is not None:
        logs.pop(token)


@task_failure.connect
def _task_failed(sender=None, exception=None, **_kwargs) -> None:
    """A failed run, by the exception's class; Celery sends this for a hard time limit too (from
    the worker's main process, the killed child having no chance to)."""
    from images import metrics

    metrics.task_failed(sender.name, type(exception).__name__)


@worker_process_init.connect
def _own_process_group(**_kwargs) -> None:
    """Each pool process leaves the worker's process group, so a stop signal sent to the group
    (honcho on Ctrl-C, `kill -- -PID`) reaches only the main process, whose warm shutdown lets
    running tasks finish and then closes the pool. Killed by that SIGTERM, an idle pool process
    could die holding the pool's queue lock, and the main process then hung at exit until it
    was SIGKILLed. A pool process still dies with the main process (Celery sets PDEATHSIG)."""
    os.setpgid(0, 0)


@task_prerun.connect
@task_postrun.connect
def _recycle_connections(task=None, **_kwargs) -> None:
    """Around each task, close this thread's database connections that are past CONN_MAX_AGE or
    broken (Django's `close_old_connections`, as around a request); the others are reused.
    Not for a task run eagerly, inside its caller's transaction."""
    if not getattr(task.request, "is_eager", False):
        from django.db import close_old_connections

        close_old_connections()


# --- worker beats: a dead worker's intent is sent again at once (images/services/workers.py) ---

WORKER_ENV = "DASHBOARD_WORKER"
_beating: dict = {}


@celeryd_init.connect
def _name_worker(sender=None, **_kwargs) -> None:
    """`host:pid` of the main process, before the pool forks: every pool process inherits it."""
    os.environ[WORKER_ENV] = f"{sender}:{os.getpid()}"


@worker_ready.connect
def _start_beating(**_kwargs) -> None:
    from django.conf import settings
    from django.db import connection

    from images.services import workers

    name, stop = workers.current(), threading.Event()

    def beat() -> None:
        while True:
            try:
                workers.beat(name)
            except Exception:  # the database may be away a moment; the next beat retries
                logging.getLogger(__name__).warning("worker beat not recorded", exc_info=True)
            if stop.wait(settings.WORKER_BEAT_SECONDS):
                break
        workers.stopped(name)
        connection.close()

    thread = threading.Thread(target=beat, name="worker-beat", daemon=True)
    thread.start()
    _beating.update(stop=stop, thread=thread)


@worker_shutdown.connect
def _stop_beating(**_kwargs) -> None:
    if _beating:
        _beating["stop"].set()
        _beating["thread"].join(timeout=5)
