"""Secrets (client secret, API password, access/refresh tokens) never leak into text."""

import logging
import pickle

import pytest
import requests
import responses

from images.contabo import (
    AuthenticationError,
    ContaboClient,
    ContaboConfig,
    ContaboError,
    NotFound,
    TransientError,
)
from images.contabo.auth import InMemoryTokenStore, Token, TokenProvider
from tests.unit import examples

API = "https://api.example.test"
AUTH = "https://auth.example.test/token"
STATS_URL = f"{API}/v1/compute/images/stats"
CLIENT_SECRET = "cs-Zq81-very-secret"
PASSWORD = "pw-Hk22-very-secret"
ACCESS = "at-eyJhbGciOi-access"
REFRESH = "rt-eyJhbGciOi-refresh"
SECRETS = (CLIENT_SECRET, PASSWORD, ACCESS, REFRESH)
CONFIG = ContaboConfig(API, AUTH, "client-id", CLIENT_SECRET, "me@example.com", PASSWORD)
STATS = examples.STATS_BODY
TOKEN = {
    "access_token": ACCESS,
    "expires_in": 300,
    "refresh_token": REFRESH,
    "refresh_expires_in": 1800,
}


def assert_clean(text):
    for secret in SECRETS:
        assert secret not in text


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def test_reprs_hide_secrets():
    client = ContaboClient(CONFIG)
    provider = TokenProvider(CONFIG, requests.Session(), InMemoryTokenStore())
    token = Token(ACCESS, 0.0, 300.0, REFRESH, 1800.0)
    for obj in (CONFIG, client, provider, token):
        assert_clean(repr(obj))
        assert_clean(str(obj))
    assert "client-id" in repr(CONFIG)


def test_error_texts_hide_secrets_echoed_by_servers(rsps):
    rsps.post(
        AUTH,
        status=401,
        json={
            "error": "invalid_grant",
            "error_description": f"bad password {PASSWORD} for secret {CLIENT_SECRET}",
        },
    )
    with pytest.raises(AuthenticationError) as auth_exc:
        ContaboClient(CONFIG).get_stats()
    rsps.replace(responses.POST, AUTH, json=TOKEN)
    rsps.get(STATS_URL, status=404, json={"statusCode": 404, "message": f"token {ACCESS} ??"})
    with pytest.raises(NotFound) as api_exc:
        ContaboClient(CONFIG).get_stats()
    rsps.replace(responses.GET, STATS_URL, body=requests.ConnectionError(f"reset {ACCESS}"))
    with pytest.raises(TransientError) as net_exc:
        ContaboClient(CONFIG).get_stats()
    for exc in (auth_exc.value, api_exc.value, net_exc.value):
        assert isinstance(exc, ContaboError)
        for text in (str(exc), repr(exc), exc.message, repr(exc.args)):
            assert_clean(text)
        assert_clean(repr(pickle.loads(pickle.dumps(exc))))  # noqa: S301 - our own bytes


def test_logs_hide_secrets_and_carry_request_ids(rsps, caplog):
    caplog.set_level(logging.DEBUG)
    rsps.post(AUTH, json=TOKEN)
    rsps.post(AUTH, json={**TOKEN, "access_token": ACCESS + "2"})
    rsps.get(STATS_URL, status=401)
    rsps.get(STATS_URL, json=STATS)
    rsps.get(f"{API}/v1/compute/images/nope", status=404)
    client = ContaboClient(CONFIG)
    stats = client.get_stats(trace_id="trace-1")
    with pytest.raises(NotFound) as exc:
        client.get_image("nope")
    assert_clean(caplog.text)
    records = [r for r in caplog.records if r.name == "images.contabo"]
    messages = [r.getMessage() for r in records]
    assert any("grant=password" in m for m in messages)
    assert any(
        "GET /v1/compute/images/stats -> 200" in m and stats.request_id in m for m in messages
    )
    assert any("-> 404" in m and exc.value.request_id in m for m in messages)
    assert any("trace_id=trace-1" in m for m in messages)
