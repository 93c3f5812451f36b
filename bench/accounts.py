"""Many accounts: the poll tick, clients per account, and a user's task while every account polls.

For N accounts (the settings account plus N - 1 added in the database, each with its own token
URL, so each needs its own client), each with the same 10 downloads in flight whose bytes never
move, behind an API answering in 200 ms:

* clients built: `get_client(account)` for every account twice in this process; the second pass
  should build none (one cached client per account);
* the deployment as the Procfile describes it (every `celery` line: workers and the real beat,
  poll every 3 s) runs for a window; meanwhile a rename (a user action: one PATCH) is sent every
  3 s at a random phase, as a page would;
* tick time: for each poll tick the beat sent, the time until every account finished a cycle
  after it (from the accounts' poll heartbeats, sampled every 0.25 s); the watch goes on after
  the window until every account finished a cycle after it, for two poll intervals at most, and
  a tick not finished by then is unfinished;
* ticks thrown away: poll messages a worker discarded as expired;
* user-task wait: from sending a rename to its start (the worker's "succeeded in" line minus its
  run time);
* CPU per account cycle: CPU seconds each Procfile process (with its pool children), the
  sandbox and PostgreSQL's backends of the bench database used during the window, divided by
  the account cycles that finished in it; and the whole machine's busy CPU seconds (every
  process on it, other sessions included) per second of the window.
"""

import random
import re
import statistics
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from bench import harness
from dashboard.stack import procfile
from testkit.processes import purge_celery

IN_FLIGHT = 10
LATENCY_MS = 200
POLL_SECONDS = 3.0
WARMUP_SECONDS = 20.0
WINDOW_SECONDS = 45.0
RENAME_EVERY = 3.0
# Celery's own line format ("[time: INFO/Process] ...") or the project's ("time INFO logger ...").
STAMP = r"^\[?(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\S* .*?"
SUCCEEDED = re.compile(
    STAMP + r"Task images\.tasks\.rename_image\[([\w-]+)\] succeeded in ([\d.e-]+)s"
)
DISCARDED = re.compile(STAMP + r"Discarding revoked task: images\.tasks\.(\w+)\[")
TICK = re.compile(STAMP + r"Scheduler: Sending due task poll-downloads")


def _stamp(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S,%f").timestamp()


def procfile_celery() -> list[tuple[str, str]]:
    """The Procfile's `celery` processes: (name, command)."""
    return [
        (name, command.removeprefix("exec "))
        for name, command in procfile().items()
        if "celery" in command
    ]


def _accounts(sandbox, n: int) -> list:
    """The settings account (synced: the downloads and the rename targets) plus n - 1 more."""
    from images.models import Account, Image, Status
    from images.services.accounts import settings_account
    from images.services.sync import sync_images

    default = settings_account()
    sync_images(harness.client(), page_size=1000, account=default)
    flying = list(Image.objects.filter(account=default, status=Status.DOWNLOADING))
    assert len(flying) == IN_FLIGHT, len(flying)
    accounts = [default]
    for i in range(1, n):
        account = Account(
            name=f"bench-{i}",
            api_url=sandbox.url,
            auth_url=f"{sandbox.token_url}?account={i}",  # its own token URL: its own client
            client_id=sandbox.client_id,
            api_user=sandbox.username,
        )
        account.set_client_secret(sandbox.client_secret)
        account.set_api_password(sandbox.password)
        account.save()
        accounts.append(account)
        fields = [f.attname for f in Image._meta.concrete_fields if f.attname != "id"]
        Image.objects.bulk_create(
            Image(**{**{f: getattr(i, f) for f in fields}, "account_id": account.pk})
            for i in flying
        )
    return accounts


def clients_built(accounts) -> int:
    """Clients built when every account asks for its client a second time."""
    from images.contabo import client as client_module
    from images.contabo.django import get_client

    for account in accounts:
        get_client(account)
    built = [0]
    original = client_module.ContaboClient.__init__

    def counting(self, *args, **kwargs):
        built[0] += 1
        original(self, *args, **kwargs)

    client_module.ContaboClient.__init__ = counting
    try:
        for account in accounts:
            get_client(account)
    finally:
        client_module.ContaboClient.__init__ = original
    return built[0]


def _start(db: str, env: dict) -> list:
    (harness.VAR / db / "celerybeat-schedule").unlink(missing_ok=True)
    bin_dir = Path(sys.executable).parent
    env = {**env, "PATH": f"{bin_dir}:{harness.os.environ['PATH']}"}
    procs = []
    for name, command in procfile_celery():
        # Read from the logs: tasks that ran (INFO) and the ticks the beat sent (DEBUG).
        level = {"LOG_LEVEL": "DEBUG" if " beat" in command else "INFO"}
        proc = harness.process(f"{db}-{name}", ["bash", "-c", f"exec {command}"], {**env, **level})
        procs.append(proc)
    for proc in procs:
        beat = " beat" in proc.proc.args[-1]
        proc.wait_ready("beat: Starting" if beat else "ready.", timeout=120)
    return procs


class HeartbeatWatch:
    """Every distinct poll heartbeat of the watched accounts, sampled every 0.25 s."""

    def __init__(self, accounts) -> None:
        self.names = {a.job_key("poll") for a in accounts}
        self.seen: dict[str, set[float]] = {name: set() for name in self.names}
        self.latest = dict.fromkeys(self.names, 0.0)
        self._stop = threading.Event()

    def _run(self) -> None:
        from django.db import connection

        from images.models import Heartbeat

        while not self._stop.wait(0.25):
            for name, ok_at in Heartbeat.objects.filter(name__in=self.names).values_list(
                "name", "ok_at"
            ):
                if ok_at:
                    self.seen[name].add(ok_at.timestamp())
                    self.latest[name] = max(self.latest[name], ok_at.timestamp())
        connection.close()

    def __enter__(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def all_after(self, moment: float) -> bool:
        """Every account finished a cycle after `moment` (so every tick before it finished)."""
        return min(self.latest.values()) >= moment

    def cycles(self, start: float, end: float) -> int:
        """Account cycles that finished between `start` and `end`."""
        return sum(start <= s <= end for stamps in self.seen.values() for s in stamps)

    def tick_time(self, sent: float) -> float | None:
        """Seconds from a tick until every account finished a cycle after it (None: not all)."""
        ends = []
        for stamps in self.seen.values():
            after = [s for s in stamps if s >= sent]
            if not after:
                return None
            ends.append(min(after))
        return max(ends) - sent


class CpuWindow:
    """CPU seconds used between enter and exit by each named process (and its descendants), by
    the bench database's PostgreSQL backends (sampled every 0.5 s, as connections come and go),
    and by the whole machine."""

    def __init__(self, pids: dict[str, int], database: str) -> None:
        self.pids, self.database = pids, database
        self._backends: dict[int, list[float]] = {}  # pid -> [first seen, last seen] CPU
        self._stop = threading.Event()

    def _parts(self) -> dict[str, float]:
        return {name: harness.cpu_seconds([pid]) for name, pid in self.pids.items()}

    def _sample_backends(self, first: bool = False) -> None:
        for pid in harness.postgres_backends(self.database):
            cpu = harness.cpu_seconds([pid])
            self._backends.setdefault(pid, [cpu if first else 0.0, cpu])[1] = cpu

    def _run(self) -> None:
        from django.db import connection

        while not self._stop.wait(0.5):
            self._sample_backends()
        connection.close()

    def __enter__(self):
        self.started = time.time()
        self._before, self._machine = self._parts(), harness.machine_busy_seconds()
        self._sample_backends(first=True)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample_backends()
        after, machine = self._parts(), harness.machine_busy_seconds()
        self.seconds = time.time() - self.started
        self.used = {name: after[name] - self._before[name] for name in after}
        self.used["postgres"] = sum(last - first for first, last in self._backends.values())
        self.machine = machine - self._machine


def _renames(app, targets, until: float) -> list[tuple[str, float]]:
    """A rename every RENAME_EVERY s at a random phase until `until`: (task id, sent at)."""
    from images.models import Image

    sent = []
    for number, pk in enumerate(targets):
        time.sleep(random.uniform(0, RENAME_EVERY))
        if time.time() > until:
            break
        Image.objects.filter(pk=pk).update(pending_name=f"renamed-{number}", pending_description="")
        at = time.time()
        result = app.send_task("images.tasks.rename_image", args=[pk])
        sent.append((result.id, at))
    return sent


def run(db: str, args, env: dict) -> list[dict]:
    from celery import current_app

    from images.models import Image, Status
    from images.services.accounts import settings_account

    sandbox = harness.sandbox()
    rows = []
    for n in args.account_counts:
        sandbox.reset()
        harness.wipe()
        purge_celery()
        sandbox.seed(60, status="downloaded", sizeMb=2048, uploadedSizeMb=2048, name="target")
        sandbox.seed(IN_FLIGHT, status="downloading", sizeMb=8000, uploadedSizeMb=100, name="dl")
        accounts = _accounts(sandbox, n)
        built = clients_built(accounts)
        default = settings_account()
        targets = list(
            Image.objects.filter(account=default, status=Status.DOWNLOADED).values_list(
                "pk", flat=True
            )
        )
        sandbox.set_faults(latency_ms=LATENCY_MS)
        child_env = {
            "POLL_INTERVAL_SECONDS": str(POLL_SECONDS),
            "SYNC_INTERVAL_SECONDS": "300",
            "STATS_INTERVAL_SECONDS": "300",
        }
        from django.db import connections

        connections.close_all()
        procs = _start(db, child_env)
        try:
            time.sleep(WARMUP_SECONDS)
            window_start = time.time()
            names = [name for name, _ in procfile_celery()]
            pids = {name: proc.proc.pid for name, proc in zip(names, procs, strict=True)}
            pids["sandbox"] = sandbox.pid
            with HeartbeatWatch(accounts) as watch:
                with CpuWindow(pids, harness.PG_DB) as cpu:
                    sent = _renames(current_app, targets, window_start + WINDOW_SECONDS)
                deadline = time.time() + 60
                while (
                    time.time() < deadline
                    and Image.objects.filter(pk__in=targets, pending_name__isnull=False).exists()
                ):
                    time.sleep(0.5)
                # The window's last ticks get two poll intervals to finish before "unfinished".
                settle = window_start + WINDOW_SECONDS
                deadline = settle + 2 * POLL_SECONDS
                while time.time() < deadline and not watch.all_after(settle):
                    time.sleep(0.25)
                window_end = time.time()
        finally:
            for proc in procs:
                proc.stop()
            sandbox.set_faults(latency_ms=0)
        logs = "\n".join(proc.log() for proc in procs)
        started = {}
        for line in logs.splitlines():
            match = SUCCEEDED.match(line)
            if match:
                started[match[2]] = _stamp(match[1]) - float(match[3])
        waits = [started[task_id] - at for task_id, at in sent if task_id in started]
        never = sum(1 for task_id, _ in sent if task_id not in started)
        ticks = [
            _stamp(m[1])
            for m in map(TICK.match, logs.splitlines())
            if m and window_start <= _stamp(m[1]) <= window_start + WINDOW_SECONDS
        ]
        tick_times = [watch.tick_time(t) for t in ticks]
        done = [t for t in tick_times if t is not None]
        discarded = [
            m[2]
            for m in map(DISCARDED.match, logs.splitlines())
            if m
            and window_start <= _stamp(m[1]) <= window_end
            and m[2] in ("poll_downloads", "for_each_account")
        ]
        cycles = watch.cycles(cpu.started, cpu.started + cpu.seconds)
        per_cycle = {
            name: round(1000 * seconds / cycles, 2) if cycles else None
            for name, seconds in cpu.used.items()
        }
        row = {
            "db": db,
            "accounts": n,
            "in_flight_each": IN_FLIGHT,
            "latency_ms": LATENCY_MS,
            "processes": " + ".join(name for name, _ in procfile_celery()),
            "clients_built": built,
            "ticks": len(ticks),
            "tick_median_s": round(statistics.median(done), 2) if done else None,
            "tick_max_s": round(max(done), 2) if done else None,
            "ticks_unfinished": len(tick_times) - len(done),
            "poll_messages_expired": len(discarded),
            "user_tasks": len(sent),
            "user_wait_median_s": round(statistics.median(waits), 2) if waits else None,
            "user_wait_max_s": round(max(waits), 2) if waits else None,
            "user_tasks_not_started": never,
            "cycles_in_window": cycles,
            "cycles_per_s": round(cycles / cpu.seconds, 1),
            "cpu_ms_per_cycle": per_cycle,
            "machine_busy_cores": round(cpu.machine / cpu.seconds, 2),
            "load": harness.load(),
        }
        rows.append(row)
        harness.log(f"accounts {n}: {row}")
    return rows
