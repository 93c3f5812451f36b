"""/metrics: Prometheus text for a bearer token or an allowed address; counters written by the
worker processes (API calls, task runs) and gauges read at scrape time (in flight, job ages,
quota, queue depth) move during a real upload against the sandbox."""

import pytest
from django.conf import settings
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from images import metrics
from images.models import Image, Status
from images.services import intents
from images.services.accounts import settings_account
from testkit.waiting import wait_for

TOKEN = "scrape-token-7f3c"
OUTSIDE = "203.0.113.9"  # not in the default allow-list (loopback)


def scrape(**headers) -> dict[tuple, float]:
    """{(metric sample name, sorted labels): value} from an allowed scrape."""
    response = Client(REMOTE_ADDR="127.0.0.1").get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.content.decode())
        for s in family.samples
    }


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def polls(samples: dict) -> float:
    """Successful calls the poll cycle makes (list pages, single GETs)."""
    return sum(
        value(samples, "contabo_api_calls_total", operation=op, status="200")
        for op in ("list_images", "get_image")
    )


@pytest.mark.django_db
def test_only_a_token_or_an_allowed_address_may_scrape(settings):
    settings.METRICS_TOKEN = TOKEN
    outside = Client(REMOTE_ADDR=OUTSIDE)
    refused = outside.get("/metrics")
    assert refused.status_code == 403 and b"METRICS_TOKEN" in refused.content
    assert outside.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert outside.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 200
    settings.METRICS_ALLOWED_NETWORKS = []
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 403


@pytest.mark.django_db
def test_a_network_may_be_allowed(settings):
    import ipaddress

    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("203.0.113.0/24")]
    assert Client(REMOTE_ADDR=OUTSIDE).get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="198.51.100.1").get("/metrics").status_code == 403


def test_files_of_ended_processes_are_removed(tmp_path, settings):
    settings.METRICS_DIR = tmp_path
    dead = 2**22 + 12345  # above any pid_max: no such process
    (tmp_path / f"counter_{dead}.db").write_bytes(b"")
    (tmp_path / f"histogram_{dead}.db").write_bytes(b"")
    mine = tmp_path / "counter_1.db"  # pid 1 is always alive
    mine.write_bytes(b"")
    assert metrics.forget_dead_processes() == 2
    assert [p.name for p in tmp_path.iterdir()] == [mine.name]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_counters_move_during_a_real_upload(stack, contabo, django_user_model):
    stack.start_worker()
    stack.start_beat()
    account = settings_account()
    acc = str(account.pk)
    wait_for(
        lambda: value(scrape(), "dashboard_quota_free_mb", account=acc) > 0,
        timeout=60,
        message="the first stats at beat start",
    )
    before = scrape()
    contabo.set_faults(bandwidth_mbps=2)
    image = intents.request_upload(
        account=account,
        user=django_user_model.objects.create_user("manu"),
        name="scraped",
        url=contabo.file_url("scraped.qcow2", 6),
        os_type="Linux",
        version="1",
    )
    during = wait_for(
        lambda: (
            (s := scrape())
            and value(s, "dashboard_downloads_in_flight", account=acc, status="downloading") == 1
            and polls(s) > polls(before)
            and s
        ),
        timeout=60,
        message="a scrape with the download in flight and polled",
    )
    created = value(during, "contabo_api_calls_total", operation="create_image", status="201")
    assert (
        created
        == value(before, "contabo_api_calls_total", operation="create_image", status="201") + 1
    )
    submitted = (
        "dashboard_task_runs_total",
        {"task": "images.tasks.submit_upload", "outcome": "succeeded"},
    )
    assert (
        value(during, submitted[0], **submitted[1])
        == value(before, submitted[0], **submitted[1]) + 1
    )
    assert value(during, "contabo_api_call_seconds_count", operation="create_image") >= 1
    assert value(during, "dashboard_seconds_since_success", account=acc, job="poll") < 30
    assert value(during, "dashboard_task_seconds_count", task="images.tasks.poll_downloads") > 0
    assert ("dashboard_queue_depth", (("queue", "celery"),)) in during

    wait_for(
        lambda: Image.objects.get(pk=image.pk).status == Status.DOWNLOADED,
        timeout=60,
        message="the download to finish",
    )
    after = wait_for(
        lambda: (
            (s := scrape())
            and value(s, "dashboard_downloads_in_flight", account=acc, status="downloading") == 0
            and value(s, "dashboard_quota_used_mb", account=acc)
            > value(before, "dashboard_quota_used_mb", account=acc)
            and s
        ),
        timeout=60,
        message="stats refreshed after the download",
    )
    assert value(after, "dashboard_quota_free_mb", account=acc) < value(
        before, "dashboard_quota_free_mb", account=acc
    )
    body = Client(REMOTE_ADDR="127.0.0.1").get("/metrics").content.decode()
    for secret in (settings.CONTABO_CLIENT_SECRET, settings.CONTABO_API_PASSWORD):
        assert secret not in body
