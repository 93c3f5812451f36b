"""The API's access matrix: every endpoint x anonymous / viewer / manager / another account's
manager, by token. The subject image is in an account the first three are members of and the
outsider is not; every request names that account (X-Account).

A route added under /api/ without a row in ENDPOINTS fails `test_every_endpoint_is_in_the_matrix`.
"""

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from images.models import AuditEvent, Image, NotificationPreference
from testkit.factories import make_account, make_image, make_user, member
from tests.api.conftest import token_client
from tests.pages.test_writes import GOOD

pytestmark = pytest.mark.django_db
ROLES = ("anonymous", "viewer", "outsider", "manager")  # managers last: their writes change state
NEW = {**GOOD, "upload_anyway": True}
REPLACE = {**NEW, "version": "24.10", "delete_old": False}

# (method, route name, needs the image id, body, kind)
ENDPOINTS = [
    ("GET", "api:schema", False, None, "public"),
    ("GET", "api:docs", False, None, "public"),
    ("GET", "api:accounts", False, None, "self"),
    ("GET", "api:notifications", False, None, "self"),
    ("PUT", "api:notifications", False, {"email_on_error": True}, "self"),
    ("PATCH", "api:notifications", False, {"email_on_stalled": True}, "self"),
    ("GET", "api:images", False, None, "read"),
    ("GET", "api:image", True, None, "read"),
    ("GET", "api:quota", False, None, "read"),
    ("GET", "api:preflight_result", False, None, "manager_read"),
    ("POST", "api:images", False, NEW, "write"),
    ("PATCH", "api:image", True, {"name": "renamed by API"}, "write"),
    ("POST", "api:retry", True, {"remove_failed": False}, "refused"),  # it is not failed
    ("POST", "api:replace", True, REPLACE, "write"),
    ("POST", "api:preflight", False, {"url": "https://example.com/a.iso"}, "write"),
    ("POST", "api:refresh", False, None, "write"),
    ("DELETE", "api:image", True, None, "write"),  # last: the image is deleting afterwards
    ("GET", "api:not_found", False, None, "missing"),
]


def expected(kind: str, role: str, route: str) -> int:
    if kind == "public":
        return 200
    if kind == "missing":
        return 404
    if role == "anonymous":
        return 401
    if kind == "self":
        return 200
    if role == "outsider":
        return 404  # the account is invisible to them, like its images
    if kind == "read":
        return 200
    if role == "viewer":
        return 403
    if kind == "manager_read":
        return 404  # a check that does not exist
    if kind == "refused":
        return 409
    return 202


def _state():
    return (
        list(Image.objects.order_by("pk").values_list("pk", "name", "status", "pending_name")),
        AuditEvent.objects.count(),
        list(NotificationPreference.objects.values_list("user", "email_on_error")),
        get_user_model().objects.count(),
    )


def test_every_endpoint_is_in_the_matrix():
    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            elif namespace == "api":
                yield f"api:{pattern.name}"

    covered = {route for _method, route, *_ in ENDPOINTS}
    assert set(walk(get_resolver().url_patterns)) == covered


def test_access_matrix(viewer, manager):
    alpha = make_account("Alpha")
    member(viewer, alpha, "viewer")
    member(manager, alpha, "manager")
    outsider = member(make_user("otto"), make_account("Other"), "manager")
    image = make_image(account=alpha, name="subject")
    clients = {
        "anonymous": APIClient(),
        "viewer": token_client(viewer),
        "outsider": token_client(outsider),
        "manager": token_client(manager),
    }
    matrix, failures = [], []
    for method, route, with_id, body, kind in ENDPOINTS:
        args = [image.pk] if with_id else ["no-such-check"] if route.endswith("result") else []
        path = "/api/v1/images/abc/" if kind == "missing" else reverse(route, args=args)
        row = [method, path.replace(f"/{image.pk}/", "/{id}/"), kind]
        for role in ROLES:
            before = _state()
            call = getattr(clients[role], method.lower())
            response = call(path, body, format="json", HTTP_X_ACCOUNT=str(alpha.pk))
            want = expected(kind, role, route)
            row.append(response.status_code)
            if response.status_code != want:
                failures.append((method, path, role, response.status_code, want))
            if response.status_code >= 400:
                assert response["Content-Type"] == "application/problem+json", (method, path)
            if role != "manager" and kind != "self":
                assert _state() == before, f"{role} changed something via {method} {path}"
        matrix.append(row)
    assert not failures, failures
    image.refresh_from_db()
    assert image.pending_name == "renamed by API"
    assert image.status == "deleting"
    print(f"\nAPI access matrix: {len(ENDPOINTS)} endpoints x {len(ROLES)} callers")
    print("| method | path | kind | " + " | ".join(ROLES) + " |")
    for row in matrix:
        print("| " + " | ".join(str(cell) for cell in row) + " |")


def test_session_auth_keeps_csrf(manager):
    """The browser's session works for the API; its writes need the CSRF token."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(manager)
    assert client.get(reverse("api:images")).status_code == 200
    refused = client.post(reverse("api:images"), NEW, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert Image.objects.count() == 0
    client.get(reverse("login"))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post(reverse("api:images"), NEW, format="json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 202
    assert Image.objects.count() == 1
