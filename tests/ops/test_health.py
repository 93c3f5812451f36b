"""/healthz and /readyz: open to probes (any Host, plain HTTP, no session), JSON, no secrets;
a failed dependency is a 503 naming it; each account's poll and sync age against its interval."""

import io
import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from images.health import LATE_AFTER_INTERVALS
from images.models import Heartbeat
from images.services import heartbeat
from images.services.accounts import settings_account
from testkit.factories import make_account
from tests.fixtures.broker import broker_at

pytestmark = pytest.mark.django_db
# A probe from a load balancer: by IP, which is not an allowed host.
PROBE = Client(HTTP_HOST="10.1.2.3:8000")
CLOSED = "redis://:hunter2-broker@127.0.0.1:1/0"  # nothing listens on port 1


def _get(path: str, status: int) -> dict:
    response = PROBE.get(path)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    assert not response.cookies
    return json.loads(response.content)


def test_healthz_answers_without_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert _get("/healthz", 200) == {"status": "ok"}


def test_probes_are_not_redirected_to_https(settings):
    settings.SECURE_SSL_REDIRECT = True
    assert _get("/healthz", 200)["status"] == "ok"
    assert _get("/readyz", 200)["status"] in ("ok", "degraded")


def test_probes_are_read_only():
    assert PROBE.post("/readyz").status_code == 405
    assert PROBE.head("/healthz").status_code == 200


def test_readyz_reports_each_dependency_and_each_accounts_jobs():
    default = settings_account()
    other = make_account("other")
    heartbeat.ok(default.job_key("poll"))
    Heartbeat.objects.create(
        name=default.job_key("sync"),
        ok_at=timezone.now() - timedelta(seconds=settings.SYNC_INTERVAL_SECONDS / 2),
    )
    body = _get("/readyz", 200)
    assert body["failed"] == []
    assert {k: v["ok"] for k, v in body["dependencies"].items()} == {
        "database": True,
        "broker": True,
        "cache": True,
    }
    poll, sync = (
        body["accounts"][str(default.pk)]["poll"],
        body["accounts"][str(default.pk)]["sync"],
    )
    assert poll["age_seconds"] < 5 and not poll["late"]
    assert poll["interval_seconds"] == settings.POLL_INTERVAL_SECONDS
    assert sync["age_seconds"] == pytest.approx(settings.SYNC_INTERVAL_SECONDS / 2, abs=5)
    assert not sync["late"]
    # The other account never polled: late, but the node stays ready (degraded).
    assert body["accounts"][str(other.pk)]["poll"] == {
        "age_seconds": None,
        "interval_seconds": settings.POLL_INTERVAL_SECONDS,
        "late": True,
        "failing": False,
    }
    assert body["status"] == "degraded"


def test_a_late_or_failing_job_degrades_but_keeps_the_node_ready():
    account = settings_account()
    long_ago = timezone.now() - timedelta(
        seconds=LATE_AFTER_INTERVALS * settings.POLL_INTERVAL_SECONDS + 5
    )
    Heartbeat.objects.create(name=account.job_key("poll"), ok_at=long_ago)
    heartbeat.ok(account.job_key("sync"))
    heartbeat.failed(account.job_key("sync"), RuntimeError("HTTP 503 from Contabo"))
    body = _get("/readyz", 200)
    jobs = body["accounts"][str(account.pk)]
    assert jobs["poll"]["late"] and not jobs["poll"]["failing"]
    assert jobs["sync"]["failing"] and not jobs["sync"]["late"]
    assert body["status"] == "degraded"
    assert "503 from Contabo" not in json.dumps(body)  # error texts stay on the pages


def test_fresh_jobs_are_ok():
    account = settings_account()
    heartbeat.ok(account.job_key("poll"))
    heartbeat.ok(account.job_key("sync"))
    assert _get("/readyz", 200)["status"] == "ok"


def test_broker_down_is_a_503_naming_it_without_its_url():
    with broker_at(CLOSED):
        body = _get("/readyz", 503)
    assert body["status"] == "unavailable"
    assert body["failed"] == ["broker"]
    assert body["dependencies"]["broker"]["ok"] is False
    assert body["dependencies"]["broker"]["error"]
    assert "hunter2" not in json.dumps(body)


def test_cache_down_is_a_503_naming_it(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://:hunter2-cache@127.0.0.1:1/0",
        }
    }
    body = _get("/readyz", 503)
    assert body["failed"] == ["cache"]
    assert "hunter2" not in json.dumps(body)


def test_readyz_holds_no_secret(sandbox):
    body = PROBE.get("/readyz").content.decode()
    for secret in (
        settings.CONTABO_CLIENT_SECRET,
        settings.CONTABO_API_PASSWORD,
        settings.SECRET_KEY,
    ):
        assert secret not in body


@pytest.mark.django_db(transaction=True)
def test_wait_ready_returns_once_the_web_is_ready(live_server):
    out = io.StringIO()
    call_command("wait_ready", live_server.url, timeout=30, stdout=out)
    assert f"Dashboard: {live_server.url}" in out.getvalue()


def test_wait_ready_gives_up_naming_what_is_missing():
    with pytest.raises(CommandError, match=r"127.0.0.1:1/readyz not ready after 1 s: no answer"):
        call_command("wait_ready", "http://127.0.0.1:1/", timeout=1)


def test_a_database_without_the_tables_is_not_ready():
    """Reachable but not migrated (a new node before `migrate`): a 503 naming the database."""
    from django.db import connection

    with connection.cursor() as cursor:  # rolled back with the test's transaction
        cursor.execute(f"ALTER TABLE {Heartbeat._meta.db_table} RENAME TO not_migrated")
    body = _get("/readyz", 503)
    assert body["failed"] == ["database"]
    assert body["dependencies"]["database"]["error"] in ("OperationalError", "ProgrammingError")
