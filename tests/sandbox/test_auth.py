"""Token endpoint (password and refresh grants, Keycloak errors) and bearer checks on the API."""

import base64
import json

import requests

from testkit.waiting import wait_for
from tests.sandbox.conftest import IMAGES, Api

UNAUTHORIZED = {
    "statusCode": 401,
    "message": "You did not supply valid authentication credentials",
}


def _password_form(sandbox, **overrides):
    form = {
        "grant_type": "password",
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
        "username": sandbox.username,
        "password": sandbox.password,
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def _claims(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_password_grant_returns_a_keycloak_token_response(sandbox):
    response = requests.post(sandbox.token_url, data=_password_form(sandbox), timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "access_token",
        "expires_in",
        "refresh_expires_in",
        "refresh_token",
        "token_type",
        "not-before-policy",
        "session_state",
        "scope",
    }
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    header = body["access_token"].split(".")[0]
    assert len(body["access_token"].split(".")) == 3
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {"alg": "HS256", "typ": "JWT"}
    claims = _claims(body["access_token"])
    assert {"sub", "tenantId", "customerId", "exp", "iat"} <= set(claims)
    assert claims["tenantId"] in ("DE", "INT")
    assert claims["exp"] - claims["iat"] == 300
    assert _claims(body["refresh_token"])["exp"] - claims["iat"] == body["refresh_expires_in"]


def test_client_credentials_may_come_as_http_basic(sandbox):
    form = _password_form(sandbox, client_id=None, client_secret=None)
    response = requests.post(
        sandbox.token_url, data=form, auth=(sandbox.client_id, sandbox.client_secret), timeout=10
    )
    assert response.status_code == 200, response.text


def test_refresh_grant_issues_a_new_working_token(sandbox):
    first = requests.post(sandbox.token_url, data=_password_form(sandbox), timeout=10).json()
    response = requests.post(
        sandbox.token_url,
        timeout=10,
        data={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
        },
    )
    assert response.status_code == 200, response.text
    refreshed = response.json()
    assert refreshed["session_state"] == first["session_state"]
    api = Api(sandbox)
    api.token = refreshed["access_token"]
    assert api.get(IMAGES).status_code == 200


def test_token_errors_are_keycloak_style(sandbox):
    def post(data, **kwargs):
        return requests.post(sandbox.token_url, data=data, timeout=10, **kwargs)

    cases = [
        (post(_password_form(sandbox, password="wrong")), 401, "invalid_grant"),
        (post(_password_form(sandbox, username="nobody@example.com")), 401, "invalid_grant"),
        (post(_password_form(sandbox, client_secret="wrong")), 401, "invalid_client"),
        (
            post(_password_form(sandbox, grant_type="client_credentials")),
            400,
            "unsupported_grant_type",
        ),
        (post(_password_form(sandbox, grant_type=None)), 400, "invalid_request"),
        (
            post(
                {
                    "grant_type": "refresh_token",
                    "refresh_token": "not.a.jwt",
                    "client_id": sandbox.client_id,
                    "client_secret": sandbox.client_secret,
                }
            ),
            400,
            "invalid_grant",
        ),
    ]
    for response, status, error in cases:
        assert response.status_code == status, response.text
        body = response.json()
        assert set(body) == {"error", "error_description"}
        assert body["error"] == error


def test_access_token_is_not_a_refresh_token(sandbox):
    tokens = requests.post(sandbox.token_url, data=_password_form(sandbox), timeout=10).json()
    response = requests.post(
        sandbox.token_url,
        timeout=10,
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["access_token"],
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
        },
    )
    assert response.status_code == 400
    api = Api(sandbox)
    api.token = tokens["refresh_token"]
    assert api.get(IMAGES).status_code == 401


def test_missing_malformed_or_forged_bearer_is_401(sandbox, api):
    forged = api.token[:-4] + ("AAAA" if not api.token.endswith("AAAA") else "BBBB")
    for headers in (
        {"Authorization": ""},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer garbage"},
        {"Authorization": f"Bearer {forged}"},
    ):
        response = api.get(IMAGES, headers=headers)
        assert response.status_code == 401
        assert response.json() == UNAUTHORIZED


def test_expired_token_is_401(sandbox, api):
    sandbox.set_faults(token_lifetime_s=1)
    short = Api(sandbox)
    assert short.get(IMAGES).status_code == 200
    wait_for(lambda: short.get(IMAGES).status_code == 401, timeout=5, message="token expiry")
    assert short.get(IMAGES).json() == UNAUTHORIZED
