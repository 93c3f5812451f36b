"""Errors as application/problem+json (RFC 9457), and throttling per token with 429 and
Retry-After."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from images.services.tokens import create_token
from tests.api.test_tokens import bearer

pytestmark = pytest.mark.django_db
LIST = reverse("api:images")


def test_field_errors_carry_pointers_and_the_forms_messages(api_manager):
    response = api_manager.post(
        LIST,
        {"name": "x" * 256, "url": "https://e.com/a.exe", "os_type": "BeOS", "version": 7},
        format="json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "urn:contabo-images:problem:invalid"
    assert body["status"] == 400
    assert body["instance"] == LIST
    errors = {e["pointer"]: e for e in body["errors"]}
    assert set(errors) == {"#/name", "#/url", "#/os_type", "#/version"}
    assert "Contabo accepts only .iso and .qcow2" in errors["#/url"]["detail"]
    assert errors["#/url"]["code"] == "extension"
    assert errors["#/version"]["detail"] == "Not a valid string."


def test_http_problems_are_about_blank_with_the_status_phrase(api_manager):
    missing = api_manager.get(reverse("api:image", args=[10**20]))
    assert missing.status_code == 404
    assert missing.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "code": "not_found",
        "detail": "No such image.",
        "instance": reverse("api:image", args=[10**20]),
    }
    not_json = api_manager.post(LIST, "name=x", content_type="application/x-www-form-urlencoded")
    assert not_json.status_code == 415
    assert not_json["Content-Type"] == "application/problem+json"
    broken = api_manager.post(LIST, "{", content_type="application/json")
    assert broken.status_code == 400
    assert broken.json()["code"] == "parse_error"


def test_json_whatever_the_accept_header(api_manager):
    for accept in ("text/html", "application/xml", "*/*"):
        response = api_manager.get(LIST, HTTP_ACCEPT=accept)
        assert response.status_code == 200, accept
        assert response["Content-Type"] == "application/json"


def test_throttled_per_token_with_retry_after(settings, manager, viewer):
    settings.API_THROTTLE_RATE = "3/minute"
    cache.clear()
    _t, secret = create_token(user=manager, name="a")
    _t, second_secret = create_token(user=manager, name="b")
    client = bearer(secret)
    assert [client.get(LIST).status_code for _ in range(3)] == [200, 200, 200]
    throttled = client.get(LIST)
    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert throttled.json()["code"] == "throttled"
    assert bearer(second_secret).get(LIST).status_code == 200  # per token, not per user
    cache.clear()
