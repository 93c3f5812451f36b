"""OAuth2 token handling: password grant, caching, renewal, refresh grant, 401 retry."""

from urllib.parse import parse_qs

import pytest
import requests
import responses

from images.contabo import (
    AuthenticationError,
    ContaboClient,
    ContaboConfig,
    InMemoryTokenStore,
    ProtocolError,
    RateLimited,
    TokenRefused,
    TransientError,
    signin_failing,
)
from images.contabo.auth import Token, TokenProvider, token_key
from tests.unit import examples

API = "https://api.example.test"
AUTH = "https://auth.example.test/auth/realms/contabo/protocol/openid-connect/token"
STATS_URL = f"{API}/v1/compute/images/stats"
STATS = examples.STATS_BODY
CONFIG = ContaboConfig(API, AUTH, "my-client", "client-secret", "me@example.com", "api-password")


def token_body(access="tok-1", expires_in=300, refresh="ref-1", refresh_expires_in=1800):
    body = {"access_token": access, "expires_in": expires_in, "token_type": "Bearer"}
    if refresh:
        body |= {"refresh_token": refresh, "refresh_expires_in": refresh_expires_in}
    return body


def form(call):
    return {k: v[0] for k, v in parse_qs(call.request.body).items()}


def token_calls(mock):
    return [c for c in mock.calls if c.request.url == AUTH]


class Clock:
    def __init__(self, now=1_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store():
    return InMemoryTokenStore()


@pytest.fixture
def waits():
    return []


@pytest.fixture
def provider(clock, store, waits):
    return TokenProvider(CONFIG, requests.Session(), store, clock=clock, sleep=waits.append)


def test_password_grant_form_and_caching(rsps):
    rsps.post(AUTH, json=token_body())
    rsps.get(STATS_URL, json=STATS)
    client = ContaboClient(CONFIG)
    for _ in range(3):
        client.get_stats()
    [call] = token_calls(rsps)
    assert call.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form(call) == {
        "grant_type": "password",
        "client_id": "my-client",
        "client_secret": "client-secret",
        "username": "me@example.com",
        "password": "api-password",
    }
    assert "Authorization" not in call.request.headers
    api = [c for c in rsps.calls if c.request.url == STATS_URL]
    assert {c.request.headers["Authorization"] for c in api} == {"Bearer tok-1"}


def test_token_renewed_30s_before_expiry_with_refresh_grant(rsps, provider, clock):
    rsps.post(AUTH, json=token_body("tok-1", refresh="ref-1"))
    assert provider.access_token() == "tok-1"
    clock.now += 269
    assert provider.access_token() == "tok-1"
    assert len(token_calls(rsps)) == 1

    rsps.replace(responses.POST, AUTH, json=token_body("tok-2", refresh="ref-2"))
    clock.now += 2  # 29 s before expiry
    assert provider.access_token() == "tok-2"
    calls = token_calls(rsps)
    assert len(calls) == 2
    assert form(calls[1]) == {
        "grant_type": "refresh_token",
        "refresh_token": "ref-1",
        "client_id": "my-client",
        "client_secret": "client-secret",
    }


def test_password_grant_when_refresh_token_expired(rsps, provider, clock):
    rsps.post(AUTH, json=token_body("tok-1", refresh_expires_in=400))
    provider.access_token()
    clock.now += 380  # access expired; refresh token within its 30 s margin
    rsps.replace(responses.POST, AUTH, json=token_body("tok-2"))
    assert provider.access_token() == "tok-2"
    assert form(token_calls(rsps)[1])["grant_type"] == "password"


def test_password_grant_when_no_refresh_token_issued(rsps, provider, clock):
    rsps.post(AUTH, json=token_body("tok-1", refresh=None))
    provider.access_token()
    clock.now += 290
    provider.access_token()
    assert [form(c)["grant_type"] for c in token_calls(rsps)] == ["password", "password"]


def test_rejected_refresh_falls_back_to_password_grant(rsps, provider, clock):
    rsps.post(AUTH, json=token_body("tok-1"))
    provider.access_token()
    clock.now += 290
    rsps.replace(
        responses.POST,
        AUTH,
        status=400,
        json={"error": "invalid_grant", "error_description": "Token is not active"},
    )
    rsps.add(responses.POST, AUTH, json=token_body("tok-2"))
    assert provider.access_token() == "tok-2"
    assert [form(c)["grant_type"] for c in token_calls(rsps)] == [
        "password",
        "refresh_token",
        "password",
    ]


def test_short_lived_token_is_reused_for_half_its_lifetime(rsps, provider, clock):
    rsps.post(AUTH, json=token_body("tok-1", expires_in=4, refresh=None))
    provider.access_token()
    clock.now += 1.9
    provider.access_token()
    assert len(token_calls(rsps)) == 1
    clock.now += 0.2
    provider.access_token()
    assert len(token_calls(rsps)) == 2


def test_expiry_comes_from_expires_in(rsps, provider, clock, store):
    rsps.post(AUTH, json=token_body("tok-1", expires_in=3600, refresh_expires_in=7200))
    provider.access_token()
    token = store.get(token_key(CONFIG))
    assert token.expires_at == clock.now + 3600
    assert token.refresh_expires_at == clock.now + 7200


def test_401_drops_token_renews_once_and_retries(rsps):
    rsps.post(AUTH, json=token_body("tok-1"))
    rsps.post(AUTH, json=token_body("tok-2"))
    rsps.get(STATS_URL, status=401, json={"statusCode": 401, "message": "Unauthorized"})
    rsps.get(STATS_URL, json=STATS)
    stats = ContaboClient(CONFIG).get_stats()
    api = [c for c in rsps.calls if c.request.url == STATS_URL]
    assert [c.request.headers["Authorization"] for c in api] == ["Bearer tok-1", "Bearer tok-2"]
    assert [form(c)["grant_type"] for c in token_calls(rsps)] == ["password", "password"]
    assert api[0].request.headers["x-request-id"] != api[1].request.headers["x-request-id"]
    assert stats.request_id == api[1].request.headers["x-request-id"]


def test_second_401_raises_authentication_error(rsps):
    rsps.post(AUTH, json=token_body("tok-1"))
    rsps.post(AUTH, json=token_body("tok-2"))
    rsps.get(STATS_URL, status=401, json={"statusCode": 401, "message": "Unauthorized"})
    with pytest.raises(AuthenticationError) as exc:
        ContaboClient(CONFIG).get_stats()
    api = [c for c in rsps.calls if c.request.url == STATS_URL]
    assert len(api) == 2
    assert len(token_calls(rsps)) == 2
    assert exc.value.request_id == api[1].request.headers["x-request-id"]


def test_post_is_repeated_once_after_401(rsps):
    rsps.post(AUTH, json=token_body("tok-1"))
    rsps.post(AUTH, json=token_body("tok-2"))
    images = f"{API}/v1/compute/images"
    rsps.post(images, status=401)
    ids = {"tenantId": "DE", "customerId": "1", "imageId": "i"}
    rsps.post(images, status=201, json={"data": [ids], "_links": {"self": "x"}})
    created = ContaboClient(CONFIG).create_image(
        name="n", url="https://x/a.qcow2", os_type="Linux", version="1"
    )
    assert created.image_id == "i"


def test_invalidate_keeps_a_token_that_was_already_replaced(provider, store):
    store.set(token_key(CONFIG), Token("new", 0.0, 2e9))
    provider.invalidate("old")
    assert store.get(token_key(CONFIG)).access_token == "new"
    provider.invalidate("new")
    assert store.get(token_key(CONFIG)) is None


def test_store_is_shared_between_clients(rsps):
    rsps.post(AUTH, json=token_body())
    rsps.get(STATS_URL, json=STATS)
    store = InMemoryTokenStore()
    ContaboClient(CONFIG, token_store=store).get_stats()
    ContaboClient(CONFIG, token_store=store).get_stats()
    assert len(token_calls(rsps)) == 1


def test_token_key_has_no_secret_and_separates_identities():
    key = token_key(CONFIG)
    for secret in (CONFIG.client_secret, CONFIG.api_password):
        assert secret not in key
    assert key == token_key(ContaboConfig(API, AUTH, "my-client", "other", "me@example.com", "x"))
    others = [
        ContaboConfig(API, AUTH, "other-client", "s", "me@example.com", "p"),
        ContaboConfig(API, AUTH, "my-client", "s", "you@example.com", "p"),
        ContaboConfig(API, AUTH + "2", "my-client", "s", "me@example.com", "p"),
    ]
    assert len({key, *(token_key(c) for c in others)}) == 4


def test_bad_credentials_give_authentication_error_from_description(rsps, provider):
    rsps.post(
        AUTH,
        status=401,
        json={"error": "invalid_grant", "error_description": "Invalid user credentials"},
    )
    with pytest.raises(AuthenticationError) as exc:
        provider.access_token()
    assert exc.value.status == 401
    assert exc.value.message == "Invalid user credentials"


FLAP = {"error": "invalid_grant", "error_description": "Invalid user credentials"}


def test_an_invalid_grant_flap_is_tried_again_with_backoff(rsps, provider, waits):
    rsps.post(AUTH, status=401, json=FLAP)
    rsps.post(AUTH, status=401, json=FLAP)
    rsps.post(AUTH, json=token_body("tok-after-flaps"))
    assert provider.access_token() == "tok-after-flaps"
    assert waits == [0.5, 1.0]
    assert len(token_calls(rsps)) == 3


def test_flaps_that_outlast_the_retries_refuse_sign_in(rsps, provider, waits):
    rsps.post(AUTH, status=401, json=FLAP)
    with pytest.raises(TokenRefused) as exc:
        provider.access_token()
    assert (exc.value.status, exc.value.error) == (401, "invalid_grant")
    assert waits == [0.5, 1.0, 2.0]
    assert len(token_calls(rsps)) == 4
    assert signin_failing(exc.value)


def test_other_refusals_are_not_retried(rsps, provider, waits):
    rsps.post(AUTH, status=401, json={"error": "invalid_client"})
    with pytest.raises(TokenRefused):
        provider.access_token()
    assert waits == [] and len(token_calls(rsps)) == 1


def test_token_endpoint_non_json_error_uses_reason(rsps, provider):
    rsps.post(AUTH, status=400, body="<html>oops</html>")
    with pytest.raises(AuthenticationError, match="400 Bad Request"):
        provider.access_token()


@pytest.mark.parametrize(
    ("kwargs", "error_type"),
    [
        ({"status": 503, "body": "down"}, TransientError),
        ({"status": 429, "body": "slow"}, RateLimited),
        ({"body": requests.ConnectionError("refused")}, TransientError),
        ({"json": {"token_type": "Bearer"}}, ProtocolError),
        ({"json": {"access_token": "t", "expires_in": "soon"}}, ProtocolError),
        ({"body": "not json"}, ProtocolError),
    ],
)
def test_token_endpoint_failures(rsps, provider, kwargs, error_type):
    rsps.post(AUTH, **kwargs)
    with pytest.raises(error_type):
        provider.access_token()


def test_token_failure_surfaces_from_api_call(rsps):
    rsps.post(AUTH, status=401, json={"error": "unauthorized_client"})
    with pytest.raises(AuthenticationError, match="unauthorized_client"):
        ContaboClient(CONFIG).get_stats()
    assert len(rsps.calls) == 1
