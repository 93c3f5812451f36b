"""Readiness: can this node serve, and are each account's background jobs keeping up?

`dependencies()` tries the database, the broker and the cache, each on its own, and names the
ones that fail (only the exception's class: a message may hold a URL with a password). `jobs()`
reads, in two queries, how long ago each account's poll and sync last succeeded, against their
intervals. Neither says anything secret: /readyz is open to load balancers.
"""

import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.utils import timezone

from images.models import Account, Heartbeat

# A job is late when its last success is older than this many of its intervals (a tick may be
# skipped while another worker holds the lease, or wait behind a slow one).
LATE_AFTER_INTERVALS = 3
JOB_INTERVALS = {"poll": "POLL_INTERVAL_SECONDS", "sync": "SYNC_INTERVAL_SECONDS"}
JOBS = tuple(JOB_INTERVALS)
BROKER_TIMEOUT_SECONDS = 2.0


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    from dashboard.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)


def _cache() -> None:
    cache.set("readyz", "1", 10)
    if cache.get("readyz") != "1":
        raise RuntimeError("value not read back")


PROBES: dict[str, Callable[[], None]] = {
    "database": _database,
    "broker": _broker,
    "cache": _cache,
}


def dependencies() -> dict[str, dict]:
    """Each dependency's outcome: `ok`, how long the probe took, and the error class if any."""
    out = {}
    for name, probe in PROBES.items():
        started = time.perf_counter()
        try:
            probe()
        except Exception as exc:  # any failure means not ready: named below
            out[name] = {"ok": False, "error": type(exc).__name__}
        else:
            out[name] = {"ok": True}
        out[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return out


def jobs() -> dict[str, dict]:
    """Per account id: for poll and sync, seconds since the last success (None: never yet), the
    interval, whether it is late, and whether its last run failed."""
    now = timezone.now()
    names = {f"{job}:{pk}" for pk in Account.objects.values_list("pk", flat=True) for job in JOBS}
    beats = {h.name: h for h in Heartbeat.objects.filter(name__in=names)}
    out: dict[str, dict] = {}
    for name in sorted(names):
        job, pk = name.split(":")
        beat = beats.get(name)
        interval = getattr(settings, JOB_INTERVALS[job])
        age = (now - beat.ok_at).total_seconds() if beat and beat.ok_at else None
        out.setdefault(pk, {})[job] = {
            "age_seconds": None if age is None else round(age, 1),
            "interval_seconds": interval,
            "late": age is None or age > LATE_AFTER_INTERVALS * interval,
            "failing": bool(beat and beat.failing),
        }
    return out


def readiness() -> tuple[bool, dict]:
    """(ready, report): ready when every dependency answers. Late or failing jobs are reported
    (status "degraded") but keep the node in rotation: a web node can serve while workers catch
    up, and taking every web node out because the workers stopped would make things worse."""
    deps = dependencies()
    accounts = {}
    if deps["database"]["ok"]:
        try:
            accounts = jobs()
        except DatabaseError as exc:  # reachable, but not migrated (or not ours)
            deps["database"].update(ok=False, error=type(exc).__name__)
    ready = all(d["ok"] for d in deps.values())
    behind = any(j["late"] or j["failing"] for a in accounts.values() for j in a.values())
    status = "ok" if not behind else "degraded"
    body = {
        "status": status if ready else "unavailable",
        "failed": [name for name, d in deps.items() if not d["ok"]],
        "dependencies": deps,
        "accounts": accounts,
    }
    return ready, body
