"""What every bench module shares: environment and database set-up, the sandbox, WSGI requests
in-process, statistics, an RSS sampler and helpers for the processes a section starts.

One bench process measures one database: `configure(db)` must run before Django is imported.
"""

import io
import math
import os
import socket
import statistics
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from testkit.processes import ChildProcess, start_celery
from testkit.waiting import wait_for

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = os.environ.get("BENCH_PG_DB", "bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
PASSWORD = "bench-password"  # noqa: S105 - a throwaway local account


# --- environment ----------------------------------------------------------------------------


def configure(db: str, sandbox_port: int) -> dict:
    """Environment for this process and every process it starts; call before Django loads."""
    var_dir = VAR / db
    var_dir.mkdir(parents=True, exist_ok=True)
    if db == "sqlite":
        database_url = f"sqlite:///{var_dir / 'bench.sqlite3'}"
    elif db == "postgres":
        database_url = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
    else:
        raise ValueError(f"unknown database {db!r}")
    env = {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DASHBOARD_VAR_DIR": str(var_dir),
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "SANDBOX_PORT": str(sandbox_port),
        "LOG_LEVEL": "WARNING",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOW_ASYNC_UNSAFE": "true",  # Playwright's sync API runs an event loop
        "BENCH_KEY_PREFIX": f"bench-{db}:",
    }
    for name in ("CONTABO_CLIENT_ID", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    os.environ.update(env)
    return env


def fresh_database(db: str) -> None:
    """An empty database (SQLite file removed, PostgreSQL database recreated)."""
    if db == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            path = VAR / db / f"bench.sqlite3{suffix}"
            path.unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_DB}"')


def flush_redis() -> None:
    """Delete this database's keys (broker and cache share the prefix configure() set)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    prefix = os.environ["BENCH_KEY_PREFIX"]
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        client.delete(key)


def setup_django() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def versions(db: str) -> dict:
    import django
    from django.db import connection

    info = {"python": sys.version.split()[0], "django": django.get_version()}
    with connection.cursor() as cursor:
        if db == "postgres":
            cursor.execute("SHOW server_version")
            info["postgresql"] = cursor.fetchone()[0]
        else:
            cursor.execute("select sqlite_version()")
            info["sqlite"] = cursor.fetchone()[0]
    return info


def analyze() -> None:
    """After a bulk load, the state autovacuum brings a live database to, now: planner
    statistics and, on PostgreSQL, the visibility map (VACUUM), without which an index-only
    scan still visits every table row it counts."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def wipe() -> None:
    """Empty every table (Django's flush: TRUNCATE on PostgreSQL), roles recreated after."""
    from django.core.management import call_command
    from django.db import connection

    call_command("flush", interactive=False, verbosity=0)
    if connection.vendor == "sqlite":
        # Give back the pages and the WAL of what was deleted, as a long-lived database would.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# --- statistics -----------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary_ms(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "median_ms": round(statistics.median(ms), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "max_ms": round(max(ms), 2),
    }


# --- in-process WSGI ------------------------------------------------------------------------


class WsgiClient:
    """Calls the project's WSGI application directly: the whole middleware stack, no socket."""

    def __init__(self, cookie: str = "") -> None:
        from django.core.wsgi import get_wsgi_application

        self.app = get_wsgi_application()
        self.cookie = cookie

    def get(self, url: str, headers: dict | None = None) -> tuple[int, bytes]:
        """GET `url`; `headers` as WSGI keys (HTTP_AUTHORIZATION=...)."""
        path, _, query = url.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_COOKIE": self.cookie,
            "HTTP_ACCEPT": "text/html",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            **(headers or {}),
        }
        status = []
        result = self.app(environ, lambda s, h, exc_info=None: status.append(s))
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        return int(status[0].split()[0]), body


def login_cookie(user) -> str:
    """A session cookie for `user`, as after a real login."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


@contextmanager
def count_queries():
    """`with count_queries() as n:` ... `n[0]` SQL statements executed by Django."""
    from django.db import connection

    counter = [0]

    def wrapper(execute, sql, params, many, context):
        counter[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield counter


# --- memory ---------------------------------------------------------------------------------


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class RssPeak:
    """Samples this process's RSS every few milliseconds; `.delta` = peak during - before."""

    def __init__(self, every: float = 0.005) -> None:
        self.every = every
        self.before = self.peak = 0
        self._stop = threading.Event()

    def __enter__(self) -> "RssPeak":
        self.before = self.peak = rss_bytes()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, rss_bytes())

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())

    @property
    def delta(self) -> int:
        return self.peak - self.before


# --- processes ------------------------------------------------------------------------------


def _log_path(name: str) -> Path:
    path = VAR / "logs" / f"{name}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def process(name: str, args: list[str], env: dict | None = None) -> ChildProcess:
    """A child process with this environment (plus `env`), its log in var/bench/logs/."""
    return ChildProcess(name, args, env={**os.environ, **(env or {})}, log_path=_log_path(name))


def celery(role: str, name: str, env: dict | None = None, *extra: str) -> ChildProcess:
    """A Celery worker or beat with this environment (plus `env`), started and ready. At INFO:
    readiness is the INFO line that says so (the bench's own LOG_LEVEL is WARNING)."""
    merged = {**os.environ, "LOG_LEVEL": "INFO", **(env or {})}
    return start_celery(role, name, env=merged, log_path=_log_path(name), extra=extra)


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def gunicorn(name: str, port: int, workers: int = 2, env: dict | None = None) -> ChildProcess:
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "dashboard.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--access-logfile",
        "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null",
    ]
    proc = process(name, args, env)
    try:
        wait_for(lambda: _accepts(port) or not proc.running(), timeout=30, message=f"{name}")
        assert proc.running(), f"gunicorn exited:\n{proc.log()}"
    except AssertionError:
        proc.stop()
        raise
    return proc


def bench_user(username: str = "bench", superuser: bool = True):
    from django.contrib.auth import get_user_model

    users = get_user_model()
    user = users.objects.filter(username=username).first()
    if user is None:
        user = users.objects.create_superuser(username, password=PASSWORD)
    return user


SANDBOX = None  # the SandboxServer of this bench process (set by bench.run)


def sandbox():
    return SANDBOX


def client():
    """The product's Contabo client, configured from settings (the sandbox)."""
    from images.contabo.django import get_client

    return get_client()


def load() -> str:
    """The 1, 5 and 15 minute load averages, recorded beside each figure on a shared machine."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


# --- CPU ------------------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat's fields after the command name (field 3 on), None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()
    except OSError:
        return None


def cpu_seconds(pids) -> float:
    """User + system CPU seconds used so far by these processes and every live descendant."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))):
            children.setdefault(int(fields[1]), []).append(int(entry))
    total, todo, seen = 0, list(pids), set()
    while todo:
        pid = todo.pop()
        if pid in seen or not (fields := _stat(pid)):
            continue
        seen.add(pid)
        total += int(fields[11]) + int(fields[12])  # utime, stime
        todo += children.get(pid, [])
    return total / _TICK


def machine_busy_seconds() -> float:
    """CPU seconds every core spent not idle since boot (all processes on the machine)."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / _TICK


def postgres_backends(database: str) -> list[int]:
    """The server processes serving connections to `database` (empty on SQLite)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database])
        return [pid for (pid,) in cursor.fetchall()]


def log(message: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
