"""HTTP failures become typed ContaboError subclasses carrying status and request id."""

import email.utils
import pickle
import time

import pytest
import requests
import responses

from images.contabo import (
    AuthenticationError,
    ClientError,
    ContaboClient,
    ContaboConfig,
    ContaboError,
    NotFound,
    ProtocolError,
    RateLimited,
    TransientError,
    UnsupportedMediaType,
)

API = "https://api.example.test"
AUTH = "https://auth.example.test/token"
IMAGES = f"{API}/v1/compute/images"
MSG_415 = "Unsupported Media Type: Please provide a direct link to an .iso or .qcow2 image."


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(AUTH, json={"access_token": "tok", "expires_in": 300})
        yield mock


@pytest.fixture
def client():
    config = ContaboConfig(API, AUTH, "cid", "csecret", "user", "pw", max_retries=0)
    with ContaboClient(config) as c:
        yield c


def sent_request_id(mock):
    return mock.calls[-1].request.headers["x-request-id"]


def create(client):
    return client.create_image(name="n", url="https://x/image.zip", os_type="Linux", version="1")


def test_415_from_spec_body(rsps, client):
    rsps.post(IMAGES, status=415, json={"statusCode": 415, "message": MSG_415})
    with pytest.raises(UnsupportedMediaType) as exc:
        create(client)
    err = exc.value
    rid = sent_request_id(rsps)
    assert (err.status, err.message, err.request_id) == (415, MSG_415, rid)
    assert str(err) == f"415 Unsupported Media Type: {MSG_415} (request {rid})"
    assert err.retryable is False


def test_message_equal_to_reason_is_not_repeated(rsps, client):
    rsps.post(IMAGES, status=415, json={"statusCode": "415", "message": "Unsupported Media Type"})
    with pytest.raises(UnsupportedMediaType) as exc:
        create(client)
    assert str(exc.value) == f"415 Unsupported Media Type (request {sent_request_id(rsps)})"


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, ClientError),
        (402, ClientError),
        (403, AuthenticationError),
        (404, NotFound),
        (409, ClientError),
        (413, ClientError),
        (415, UnsupportedMediaType),
        (422, ClientError),
        (429, RateLimited),
        (500, TransientError),
        (502, TransientError),
        (503, TransientError),
        (504, TransientError),
    ],
)
def test_status_maps_to_error_type(rsps, client, status, error_type):
    rsps.get(f"{IMAGES}/x", status=status, json={"statusCode": status, "message": "nope"})
    with pytest.raises(error_type) as exc:
        client.get_image("x")
    assert exc.value.status == status
    assert exc.value.message == "nope"
    assert exc.value.request_id == sent_request_id(rsps)
    assert exc.value.retryable is (error_type in (RateLimited, TransientError))
    assert isinstance(exc.value, ContaboError)


def test_second_401_is_authentication_error(rsps, client):
    rsps.delete(f"{IMAGES}/x", status=401, json={"statusCode": 401, "message": "Unauthorized"})
    with pytest.raises(AuthenticationError) as exc:
        client.delete_image("x")
    assert exc.value.status == 401
    assert exc.value.request_id == sent_request_id(rsps)


def test_non_json_error_body_uses_http_reason(rsps, client):
    rsps.get(f"{IMAGES}/stats", status=502, body="<html>bad gateway</html>")
    with pytest.raises(TransientError) as exc:
        client.get_stats()
    rid = sent_request_id(rsps)
    assert exc.value.message == "Bad Gateway"
    assert str(exc.value) == f"502 Bad Gateway (request {rid})"


def test_json_error_without_message_uses_http_reason(rsps, client):
    rsps.get(f"{IMAGES}/x", status=404, json={"statusCode": 404})
    with pytest.raises(NotFound, match="404 Not Found"):
        client.get_image("x")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({}, None),
        ({"Retry-After": "soon"}, None),
    ],
)
def test_rate_limited_carries_retry_after(rsps, client, header, expected):
    rsps.post(IMAGES, status=429, headers=header, json={"statusCode": 429, "message": "slow"})
    with pytest.raises(RateLimited) as exc:
        create(client)
    assert exc.value.retry_after == expected
    assert exc.value.retryable


def test_rate_limited_retry_after_http_date(rsps, client):
    when = email.utils.formatdate(time.time() + 60, usegmt=True)
    rsps.post(IMAGES, status=429, headers={"Retry-After": when})
    with pytest.raises(RateLimited) as exc:
        create(client)
    assert 55 <= exc.value.retry_after <= 61


@pytest.mark.parametrize(
    "failure", [requests.ConnectionError("refused"), requests.ReadTimeout("read timed out")]
)
def test_network_failures_are_transient_without_status(rsps, client, failure):
    rsps.get(f"{IMAGES}/stats", body=failure)
    with pytest.raises(TransientError) as exc:
        client.get_stats()
    rid = sent_request_id(rsps)
    assert exc.value.status is None
    assert exc.value.request_id == rid
    assert exc.value.retryable
    assert str(exc.value).startswith(type(failure).__name__)
    assert str(exc.value).endswith(f"(request {rid})")


@pytest.mark.parametrize("body", ["not json", '{"data": []}', '{"_links": {}}'])
def test_bad_success_body_is_protocol_error(rsps, client, body):
    rsps.get(f"{IMAGES}/stats", body=body, content_type="application/json")
    with pytest.raises(ProtocolError) as exc:
        client.get_stats()
    assert exc.value.status == 200
    assert exc.value.request_id == sent_request_id(rsps)
    assert not exc.value.retryable


def test_errors_survive_pickling():
    err = RateLimited(429, "slow down", "rid-1", retry_after=3.0)
    copy = pickle.loads(pickle.dumps(err))  # noqa: S301 - our own bytes
    assert type(copy) is RateLimited
    assert (copy.status, copy.message, copy.request_id, copy.retry_after) == (
        429,
        "slow down",
        "rid-1",
        3.0,
    )
    assert str(copy) == str(err)


def test_str_without_request_id_or_status():
    assert str(AuthenticationError(401, "Invalid user credentials")) == (
        "401 Unauthorized: Invalid user credentials"
    )
    assert str(TransientError(None, "boom", "r", reason="ConnectTimeout")) == (
        "ConnectTimeout: boom (request r)"
    )
