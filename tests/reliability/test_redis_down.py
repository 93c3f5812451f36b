"""Redis (cache and broker) killed under a running web process: every page and form still
answers, the preflight says the check is unavailable, and an upload is stored as intent that the
sweeper enqueues once Redis is back.

A real redis-server of the test's own (tests/fixtures/redis.py) is started and SIGKILLed; the
machine's shared Redis is never touched.
"""

import pytest
import redis
from django.core.cache import cache
from django.urls import reverse

from images import tasks
from images.models import Image, Status
from testkit.factories import make_image, make_snapshot
from tests.fixtures.broker import broker_at

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
FORM = {"name": "Golden", "os_type": "Linux", "version": "24.04", "description": ""}
URL = "https://example.com/golden.qcow2"


@pytest.fixture
def redis_only(own_redis, settings):
    """Cache and broker of this process on the test's own Redis, reachable at first."""
    settings.CACHES = {
        **settings.CACHES,  # per-process caches (rendered rows) stay as they are
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": own_redis.url,
        },
    }
    settings.SWEEP_GRACE_SECONDS = 0
    cache.set("probe", 1)
    assert cache.get("probe") == 1
    with broker_at(own_redis.url):
        yield own_redis


def test_pages_and_forms_answer_while_redis_is_down(redis_only, manager_client):
    make_snapshot()
    image = make_image(name="Existing", url="https://example.com/existing.qcow2")
    redis_only.kill()

    for name, args in (
        ("images:list", ()),
        ("images:stats", ()),
        ("images:upload", ()),
        ("images:notifications", ()),
        ("images:export_csv", ()),
        ("images:detail", (image.pk,)),
        ("images:rename", (image.pk,)),
    ):
        assert manager_client.get(reverse(name, args=args)).status_code == 200, name

    check = manager_client.post(reverse("images:upload_preflight"), {"url": URL}, **HTMX)
    assert check.status_code == 200
    assert "The check is unavailable" in check.content.decode()
    assert "You can still start the download." in check.content.decode()
    page = manager_client.post(reverse("images:upload_preflight"), {**FORM, "url": URL})
    assert page.status_code == 200
    assert "The check is unavailable" in page.content.decode()

    invalid = {**FORM, "version": "", "url": URL, "preflight_token": "abc"}
    assert manager_client.post(reverse("images:upload"), invalid).status_code == 400
    repeat = {**FORM, "name": "Existing", "url": image.url, "preflight_token": "abc"}
    assert manager_client.post(reverse("images:upload"), repeat).status_code == 409

    accepted = manager_client.post(reverse("images:upload"), {**FORM, "url": URL})
    assert accepted.status_code == 302
    queued = Image.objects.get(url=URL)
    assert queued.status == Status.QUEUED
    renamed = manager_client.post(reverse("images:rename", args=[image.pk]), {"name": "New"})
    assert renamed.status_code == 302


def test_the_sweeper_sends_the_stored_upload_once_redis_is_back(redis_only, manager_client):
    redis_only.kill()
    assert manager_client.post(reverse("images:upload"), {**FORM, "url": URL}).status_code == 302
    queued = Image.objects.get(url=URL)

    redis_only.start()  # the same port, empty: the message sent while it was down is lost
    found = tasks.sweep_intents()
    assert found["uploads"] == 1
    waiting = redis.Redis.from_url(redis_only.url).lrange("user", 0, -1)
    assert len(waiting) == 1
    assert f"[{queued.pk}]".encode() in waiting[0] or str(queued.pk).encode() in waiting[0]
