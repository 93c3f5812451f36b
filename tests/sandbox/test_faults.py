"""Fault knobs (CLI defaults and run-time control API) and the other /_sandbox/ endpoints."""

import time

import pytest
import requests

from tests.sandbox.conftest import IMAGES, Api


def test_faults_start_from_the_command_line_defaults(sandbox):
    assert sandbox.faults() == {
        "latency_ms": 0,
        "error_rate": 0,
        "rate_limit_rate": 0,
        "retry_after_s": 1,
        "token_lifetime_s": 300,
        "download_mode": "normal",
        "bandwidth_mbps": 1000,
        "stall_timeout_s": 30,
        "quota_mb": 102400,
        "null_fields": "",
        "missing_fields": "",
        "extra_fields": False,
        "numbers_as_text": False,
        "inflight_status": "",
        "refuse_order_by": "",
        "page_size_cap": 0,
        "token_flap_rate": 0,
        "token_flaps": 0,
        "progress_at_end": False,
        "malformed_ids": "",
        "unstable_order": False,
    }


def test_latency_delays_api_answers(sandbox, api):
    sandbox.set_faults(latency_ms=300)
    started = time.perf_counter()
    assert api.get(IMAGES).status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_error_rate_answers_500_or_503(sandbox, api):
    sandbox.set_faults(error_rate=1)
    statuses = {api.get(IMAGES).status_code for _ in range(20)}
    assert statuses <= {500, 503} and statuses
    response = api.get(IMAGES)
    assert response.json() == {
        "statusCode": response.status_code,
        "message": response.json()["message"],
    }


def test_rate_limit_rate_answers_429_with_retry_after(sandbox, api):
    sandbox.set_faults(rate_limit_rate=1, retry_after_s=7)
    response = api.get(IMAGES)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()["statusCode"] == 429


def test_partial_error_rate_lets_some_answers_through(sandbox, api):
    sandbox.set_faults(error_rate=0.5)
    statuses = [api.get(IMAGES).status_code for _ in range(60)]
    assert 200 in statuses and {500, 503} & set(statuses)


def test_token_lifetime_applies_to_new_tokens(sandbox):
    sandbox.set_faults(token_lifetime_s=42)
    form = {
        "grant_type": "password",
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
        "username": sandbox.username,
        "password": sandbox.password,
    }
    assert requests.post(sandbox.token_url, data=form, timeout=10).json()["expires_in"] == 42


def test_bandwidth_knob_throttles_downloads(sandbox, api):
    sandbox.set_faults(bandwidth_mbps=2)
    started = time.perf_counter()
    image_id = api.create(sandbox.file_url("bw.qcow2", 1))
    while api.image(image_id)["status"] == "downloading":
        assert time.perf_counter() - started < 5
        time.sleep(0.05)
    assert time.perf_counter() - started >= 0.4  # 1 MB at 2 MB/s


@pytest.mark.parametrize(
    "changes",
    [
        {"error_rate": 2},
        {"latency_ms": -1},
        {"download_mode": "sideways"},
        {"token_lifetime_s": 0},
        {"nonsense": 1},
        {"error_rate": "0.5"},
    ],
)
def test_invalid_knobs_are_refused(sandbox, changes):
    with pytest.raises(RuntimeError, match="400"):
        sandbox.set_faults(**changes)


def test_calls_are_counted_per_operation_and_reset(sandbox, api):
    image_id = sandbox.seed(1)[0]
    api.get(IMAGES)
    api.get(IMAGES)
    api.get(f"{IMAGES}/stats")
    api.get(f"{IMAGES}/{image_id}")
    api.request("PATCH", f"{IMAGES}/{image_id}", json={"name": "x"})
    api.request("DELETE", f"{IMAGES}/{image_id}")
    api.request("POST", IMAGES, json={})
    assert sandbox.calls() == {
        "retrieveImageList": 2,
        "retrieveImage": 1,
        "createCustomImage": 1,
        "updateImage": 1,
        "deleteImage": 1,
        "retrieveCustomImagesStats": 1,
        "token": 1,
    }
    assert set(sandbox.reset_calls().values()) == {0}


def test_reset_wipes_custom_images_and_restores_knobs(sandbox, api):
    sandbox.seed(5)
    sandbox.set_faults(latency_ms=5, quota_mb=1)
    sandbox.reset()
    assert api.listing(standardImage="false")["_pagination"]["totalElements"] == 0
    assert api.listing()["_pagination"]["totalElements"] == 7
    assert sandbox.faults()["latency_ms"] == 0
    assert sandbox.faults()["quota_mb"] == 102400


def test_seed_takes_fields_and_grows_the_quota_when_needed(sandbox, api):
    ids = sandbox.seed(4, status="downloading", sizeMb=50000, uploadedSizeMb=10, name="bulk")
    image = api.image(ids[0])
    assert (image["status"], image["sizeMb"], image["uploadedSizeMb"]) == ("downloading", 50000, 10)
    assert image["name"] == "bulk-000001"
    stats = api.get(f"{IMAGES}/stats").json()["data"][0]
    assert stats["usedSizeMb"] == 200000 and stats["totalSizeMb"] == 200000
    assert stats["freeSizeMb"] == 0


def test_force_overwrites_fields(sandbox, api):
    image_id = sandbox.seed(1)[0]
    forced = sandbox.force(image_id, status="error", errorMessage="disk on fire", uploadedSizeMb=3)
    assert forced["status"] == "error"
    image = api.image(image_id)
    assert (image["status"], image["errorMessage"], image["uploadedSizeMb"]) == (
        "error",
        "disk on fire",
        3,
    )
    with pytest.raises(RuntimeError, match="404"):
        sandbox.force("nope", status="error")
    with pytest.raises(RuntimeError, match="400"):
        sandbox.force(image_id, imageId="other")


def test_control_api_needs_no_token_but_the_images_api_does(sandbox):
    assert requests.get(f"{sandbox.url}/_sandbox/calls", timeout=10).status_code == 200
    assert requests.get(f"{sandbox.url}{IMAGES}", timeout=10).status_code == 401


def test_api_keeps_connections_alive(sandbox):
    api = Api(sandbox)
    first = api.get(IMAGES)
    assert first.headers.get("Connection", "").lower() != "close"
    for _ in range(5):
        assert api.get(IMAGES).status_code == 200
    assert first.raw.version == 11
