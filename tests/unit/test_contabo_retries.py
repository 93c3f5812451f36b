"""Retry policy: urllib3 ``Retry`` on the Session, idempotent methods only, Retry-After."""

import json
import re
import time
import types

import pytest
import responses
import urllib3.connection
import urllib3.util.retry
from pytest_httpserver import HTTPServer
from urllib3 import HTTPResponse
from werkzeug import Response

from images.contabo import ContaboClient, ContaboConfig, RateLimited, TransientError
from images.contabo.client import MAX_RETRY_WAIT, IdempotentRetry
from sandbox.testing import free_port
from tests.unit import examples

API = "https://api.example.test"
AUTH = "https://auth.example.test/token"
IMAGES = f"{API}/v1/compute/images"
STATS = examples.STATS_BODY
IDS = {"data": [{"tenantId": "DE", "customerId": "1", "imageId": "x"}], "_links": {"self": "x"}}


def config(api=API, auth=AUTH, **kwargs):
    return ContaboConfig(api, auth, "cid", "csecret", "user", "pw", **kwargs)


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(AUTH, json={"access_token": "tok", "expires_in": 300})
        yield mock


@pytest.fixture
def no_sleep(monkeypatch):
    """Record urllib3's retry sleeps instead of sleeping (only inside urllib3's module)."""
    slept = []
    fake_time = types.SimpleNamespace(sleep=slept.append, time=time.time)
    monkeypatch.setattr(urllib3.util.retry, "time", fake_time)
    return slept


def api_calls(mock):
    return [c for c in mock.calls if c.request.url != AUTH]


def test_get_retried_on_503_then_succeeds(rsps):
    rsps.get(f"{IMAGES}/stats", status=503)
    rsps.get(f"{IMAGES}/stats", status=503)
    rsps.get(f"{IMAGES}/stats", json=STATS)
    stats = ContaboClient(config()).get_stats()
    calls = api_calls(rsps)
    assert len(calls) == 3
    assert stats.current_images_count == 4
    # Retries happen inside urllib3: one logical call, one x-request-id.
    assert {c.request.headers["x-request-id"] for c in calls} == {stats.request_id}


def test_get_gives_up_after_max_retries(rsps):
    rsps.get(f"{IMAGES}/stats", status=503, json={"statusCode": 503, "message": "busy"})
    with pytest.raises(TransientError) as exc:
        ContaboClient(config(max_retries=2)).get_stats()
    assert len(api_calls(rsps)) == 3
    assert (exc.value.status, exc.value.message) == (503, "busy")


@pytest.mark.parametrize("status", [429, 502, 503, 504])
@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_patch_and_delete_retried(rsps, method, status):
    url = f"{IMAGES}/x"
    rsps.add(method, url, status=status)
    if method == "PATCH":
        rsps.add(method, url, json=IDS)
    else:
        rsps.add(method, url, status=204)
    client = ContaboClient(config())
    if method == "PATCH":
        client.update_image("x", name="n")
    else:
        client.delete_image("x")
    assert len(api_calls(rsps)) == 2


@pytest.mark.parametrize("status", [500, 501, 400, 404])
def test_other_statuses_not_retried(rsps, status):
    rsps.get(f"{IMAGES}/stats", status=status)
    with pytest.raises(Exception):  # noqa: B017 - only the call count matters here
        ContaboClient(config()).get_stats()
    assert len(api_calls(rsps)) == 1


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_post_never_retried(rsps, status):
    rsps.post(IMAGES, status=status, headers={"Retry-After": "0"})
    rsps.post(IMAGES, status=201, json=IDS)
    client = ContaboClient(config())
    with pytest.raises((TransientError, RateLimited)):
        client.create_image(name="n", url="https://x/a.iso", os_type="Linux", version="1")
    assert len(api_calls(rsps)) == 1


def test_429_with_retry_after_zero_is_retried(rsps):
    rsps.get(f"{IMAGES}/stats", status=429, headers={"Retry-After": "0"})
    rsps.get(f"{IMAGES}/stats", status=429, headers={"Retry-After": "0"})
    rsps.get(f"{IMAGES}/stats", json=STATS)
    ContaboClient(config()).get_stats()
    assert len(api_calls(rsps)) == 3


def test_exhausted_429_raises_rate_limited(rsps):
    rsps.get(f"{IMAGES}/stats", status=429, headers={"Retry-After": "0"})
    with pytest.raises(RateLimited) as exc:
        ContaboClient(config(max_retries=1)).get_stats()
    assert len(api_calls(rsps)) == 2
    assert exc.value.retry_after == 0


def test_session_retry_policy():
    client = ContaboClient(config(max_retries=4, backoff_factor=0.25))
    retry = client._session.get_adapter(API).max_retries
    assert isinstance(retry, IdempotentRetry)
    assert retry.total == retry.connect == retry.read == retry.status == 4
    assert set(retry.allowed_methods) == {"GET", "PATCH", "DELETE"}
    assert set(retry.status_forcelist) == {429, 502, 503, 504}
    assert retry.respect_retry_after_header
    assert retry.backoff_factor == 0.25
    assert retry.backoff_max == retry.retry_after_max == MAX_RETRY_WAIT
    assert not retry.raise_on_status


@pytest.mark.parametrize(("header", "expected"), [("7", 7), ("86400", MAX_RETRY_WAIT)])
def test_retry_after_is_honoured_and_capped(no_sleep, header, expected):
    retry = ContaboClient(config())._session.get_adapter(API).max_retries
    response = HTTPResponse(status=429, headers={"Retry-After": header})
    retry = retry.increment("GET", "/x", response=response)
    retry.sleep(response)
    assert no_sleep == [expected]


# -- against a real local HTTP server, so urllib3 itself sleeps and reconnects --------


class Script:
    """Per-path queue of (status, headers, body, delay) answers; last one repeats."""

    def __init__(self):
        self.answers = {}
        self.hits = {}

    def next(self, path):
        self.hits[path] = self.hits.get(path, 0) + 1
        queue = self.answers[path]
        return queue.pop(0) if len(queue) > 1 else queue[0]


@pytest.fixture
def server():
    """pytest-httpserver (threaded: a slow answer must not hold up the retry behind it)."""
    script = Script()
    script.answers["/token"] = [(200, {}, {"access_token": "tok", "expires_in": 300}, 0)]

    def answer(request) -> Response:
        status, headers, body, delay = script.next(request.path)
        time.sleep(delay)
        return Response(json.dumps(body), status, headers, content_type="application/json")

    httpd = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    httpd.expect_request(re.compile(".*")).respond_with_handler(answer)
    httpd.start()
    yield f"http://127.0.0.1:{httpd.port}", script
    httpd.stop()


def test_real_retry_after_sleep_then_success(server, no_sleep):
    base, script = server
    script.answers["/v1/compute/images/stats"] = [
        (429, {"Retry-After": "2"}, {"statusCode": 429, "message": "slow"}, 0),
        (200, {}, STATS, 0),
    ]
    ContaboClient(config(base, f"{base}/token")).get_stats()
    assert script.hits["/v1/compute/images/stats"] == 2
    assert no_sleep == [2]


def test_real_backoff_between_503_retries(server, no_sleep):
    base, script = server
    script.answers["/v1/compute/images/stats"] = [(503, {}, {}, 0)] * 3 + [(200, {}, STATS, 0)]
    ContaboClient(config(base, f"{base}/token", backoff_factor=0.5)).get_stats()
    assert script.hits["/v1/compute/images/stats"] == 4
    assert no_sleep == [1.0, 2.0]  # urllib3 skips the wait before the first retry


def test_read_timeout_retried_for_get_not_for_post(server, no_sleep):
    base, script = server
    slow = [(200, {}, STATS, 0.5)]
    script.answers["/v1/compute/images/stats"] = list(slow)
    script.answers["/v1/compute/images"] = list(slow)
    client = ContaboClient(config(base, f"{base}/token", read_timeout=0.1, max_retries=2))
    with pytest.raises(TransientError) as exc:
        client.get_stats()
    assert exc.value.status is None
    with pytest.raises(TransientError):
        client.create_image(name="n", url="https://x/a.iso", os_type="Linux", version="1")
    time.sleep(0.6)  # let the handler threads finish counting
    assert script.hits["/v1/compute/images/stats"] == 3
    assert script.hits["/v1/compute/images"] == 1


def test_connection_errors_retried_for_get_never_for_post(server, no_sleep, monkeypatch):
    base, _ = server
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens: refused
    attempts = []
    original = urllib3.connection.HTTPConnection._new_conn

    def counting(conn):
        if conn.port != int(base.rsplit(":", 1)[1]):
            attempts.append(conn.port)
        return original(conn)

    monkeypatch.setattr(urllib3.connection.HTTPConnection, "_new_conn", counting)
    client = ContaboClient(config(dead, f"{base}/token", max_retries=3))
    with pytest.raises(TransientError) as exc:
        client.get_stats()
    assert exc.value.status is None
    assert len(attempts) == 4
    attempts.clear()
    with pytest.raises(TransientError):
        client.create_image(name="n", url="https://x/a.iso", os_type="Linux", version="1")
    assert len(attempts) == 1
