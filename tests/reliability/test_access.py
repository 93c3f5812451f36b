"""Access: every URL of the URLconf (images app, auth, admin) as anonymous, viewer and manager;
login throttling; production security settings and `check --deploy`.

A URL added to the URLconf without a rule in RULES fails `test_every_url_has_a_rule`: nobody
gets a new page without saying who may use it.
"""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from images.models import AuditEvent, Image, Status
from testkit.factories import make_image, make_user
from tests.pages.test_writes import GOOD

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
ROLES = ("anonymous", "viewer", "manager")

# kind of each named URL (namespace:name); admin URLs are all "admin" but its login page.
RULES = {
    "": "root",
    "login": "public",
    "logout": "logout",
    "password_change": "self",
    "password_change_done": "self",
    "api_tokens": "self",
    "api_token_revoke": "self_post",
    "images:list": "read",
    "images:list_live": "live",
    "images:stats": "read",
    "images:detail": "read",
    "images:detail_live": "read",
    "images:upload": "write",
    "images:rename": "write",
    "images:delete": "write",
    "images:refresh": "post_only_write",
    "images:export_csv": "read",
    "images:export_json": "read",
    "images:notifications": "self",
    "images:retry": "post_only_write",
    "images:bulk": "post_only_member",  # a viewer's images all come back refused
    "images:protect": "post_only_write",
    "images:replace": "write",
    "images:upload_preflight": "post_only_manager",
    "images:upload_preflight_result": "manager_read",
    "images:switch_account": "switch",
    "admin:login": "admin_login",
}


def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        else:
            name = f"{namespace}:{pattern.name or ''}" if namespace else (pattern.name or "")
            yield prefix + str(pattern.pattern), name


def all_urls() -> list[tuple[str, str]]:
    return list(_walk(get_resolver().url_patterns))


def kind_of(name: str) -> str | None:
    if name in RULES:
        return RULES[name]
    if name.startswith("api:"):
        return "api"  # its own matrix, with tokens: tests/api/test_access.py
    return "admin" if name.startswith("admin:") else None


def concrete(pattern: str, image: Image, user) -> str:
    """A real path for a route pattern: placeholders filled with existing objects."""
    path = pattern.replace("^", "").replace("$", "")
    path = re.sub(r"\(\?P<app_label>[^)]*\)", "images", path)
    path = re.sub(r"\(\?P<url>[^)]*\)", "no-such-page/", path)
    path = path.replace("<int:pk>", str(image.pk)).replace("<id>", str(user.pk))
    path = path.replace("<slug:token>", "no-such-token")
    path = path.replace("<path:content_type_id>", "1").replace("<path:object_id>", "1")
    assert "<" not in path and "(" not in path, pattern
    return "/" + path


def test_every_url_has_a_rule():
    unknown = [(p, n) for p, n in all_urls() if kind_of(n) is None]
    assert not unknown, f"URLs without an access rule in RULES: {unknown}"


def _expect(kind: str, role: str, method: str) -> set[int]:
    """Allowed status codes; 302 for the unauthenticated means 'to the login page'."""
    anonymous = role == "anonymous"
    if kind == "root":
        return {302}
    if kind in ("public", "admin_login"):
        return {200} if method == "GET" else {200, 302, 403}
    if kind == "logout":
        return {405} if method == "GET" else {302}
    if kind == "self":
        return {302} if anonymous else ({200} if method == "GET" else {200, 302, 405})
    if kind == "post_only_member":  # POST only, open to members; no selection: back to the list
        if method == "GET":
            return {405}
        return {302}
    if kind == "self_post":  # the user's own objects, POST only; none here: a 404
        if method == "GET":
            return {405}
        return {302} if anonymous else {404}
    if kind == "read":
        if method == "POST":
            return {405}
        return {302} if anonymous else {200}
    if kind == "write":
        if anonymous:
            return {302}
        if role == "viewer":
            return {403}
        return {200} if method == "GET" else {302, 400, 409}
    if kind == "post_only_write":
        if method == "GET":
            return {405}
        return {302} if anonymous else ({403} if role == "viewer" else {302})
    if kind == "post_only_manager":
        if method == "GET":
            return {405}
        return {302} if anonymous else ({403} if role == "viewer" else {200, 400})
    if kind == "live":  # 286: nothing (here: no ids) to watch, htmx stops polling
        if method == "POST":
            return {405}
        return {302} if anonymous else {286}
    if kind == "manager_read":
        if method == "POST":
            return {405}
        return {302} if anonymous else ({403} if role == "viewer" else {200})
    if kind == "switch":  # the account switcher: POST only; no account chosen is a 404
        if method == "GET":
            return {405}
        return {302} if anonymous else {404}
    if kind == "admin":
        return {302}  # nobody here is staff: the admin sends everyone to its login
    raise AssertionError(kind)


def _state():
    return (
        list(Image.objects.order_by("pk").values_list("pk", "name", "status", "pending_name")),
        AuditEvent.objects.count(),
        get_user_model().objects.count(),
        Group.objects.count(),
    )


def test_access_matrix(viewer, manager):
    image = make_image(name="subject")
    clients = {"anonymous": Client(), "viewer": Client(), "manager": Client()}
    clients["viewer"].force_login(viewer)
    clients["manager"].force_login(manager)
    bodies = {
        "images:upload": GOOD,
        "images:rename": {"name": "renamed by someone"},
        "password_change": {},
    }
    matrix, failures = [], []
    order = ("viewer", "anonymous", "manager")  # managers last: their writes change state
    for pattern, name in all_urls():
        kind = kind_of(name)
        if kind == "api":
            continue
        path = concrete(pattern, image, manager)
        row = {"url": "/" + pattern.replace("^", "").replace("$", ""), "kind": kind}
        for role in order:
            client = clients[role]
            before = _state()
            for method in ("GET", "POST"):
                if name in ("logout", "admin:logout") and method == "POST" and role != "anonymous":
                    continue  # would end the session the rest of the matrix uses
                response = getattr(client, method.lower())(path, bodies.get(name, {}))
                code = response.status_code
                row[f"{role} {method}"] = code
                if code not in _expect(kind, role, method):
                    failures.append((path, role, method, code))
                if code == 302 and role == "anonymous" and kind not in ("root", "logout"):
                    # The admin's own logout sends a stranger to the admin index, then to login.
                    login = "/admin/" if kind == "admin" else reverse("login")
                    if not response["Location"].startswith(login):
                        failures.append((path, role, method, response["Location"]))
            if role != "manager":
                assert _state() == before, f"{role} changed something via {path}"
        matrix.append(row)
    assert not failures, failures
    image.refresh_from_db()
    assert image.pending_name == "renamed by someone" or image.status == Status.DELETING
    print_matrix(matrix)


def print_matrix(matrix: list[dict]) -> None:
    columns = [f"{r} {m}" for r in ROLES for m in ("GET", "POST")]
    lines = ["| url | kind | " + " | ".join(columns) + " |", "|---" * (len(columns) + 2) + "|"]
    seen = set()
    for row in matrix:
        key = (row["kind"], tuple(row.get(c, "-") for c in columns))
        if row["kind"] == "admin" and key in seen:
            continue  # one line per distinct admin behaviour
        seen.add(key)
        cells = " | ".join(str(row.get(c, "-")) for c in columns)
        lines.append(f"| {row['url']} | {row['kind']} | {cells} |")
    print("\naccess matrix (status codes):\n" + "\n".join(lines))


# --- login throttling (django-axes) -----------------------------------------------------------


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_password_guessing_is_throttled(settings):
    make_user("ann", role="manager")
    make_user("bob", role="viewer")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "ann", "guess").status_code == 200  # the form again, with an error
    locked = _login(client, "ann", "guess")
    assert locked.status_code == 429
    assert "Too many sign-in attempts" in locked.content.decode()
    # Locked out: even the right password is refused now, and no session is opened.
    assert _login(client, "ann", "pw-ann").status_code == 429
    assert client.get(reverse("images:list")).status_code == 302
    # Another user from the same address is not locked out.
    assert _login(Client(), "bob", "pw-bob").status_code == 302


def test_a_success_resets_the_failure_count(settings):
    make_user("ann", role="manager")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "ann", "guess")
    assert _login(client, "ann", "pw-ann").status_code == 302
    client.post(reverse("logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "ann", "guess").status_code == 200


# --- production settings ------------------------------------------------------------------------


def _production_env(tmp_path) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST", "DASHBOARD_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="dashboard.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        ACCOUNTS_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DJANGO_DEBUG="false",
        DJANGO_SECURE_SSL="true",
        DJANGO_ALLOWED_HOSTS="example.com",
        DASHBOARD_VAR_DIR=str(tmp_path),
    )
    return env


def test_check_deploy_is_clean_in_production(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_cookies_and_hsts(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS >= 31536000, "
        "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_PROXY_SSL_HEADER, s.X_FRAME_OPTIONS, "
        "s.SECURE_CONTENT_TYPE_NOSNIFF)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "True",
        "True",
        "True",
        "True",
        "True",
        "True",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "DENY",
        "True",
    ]


def test_https_responses_carry_hsts_and_secure_cookies(settings, manager):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    client = Client()
    plain = client.get(reverse("login"))
    assert plain.status_code == 301
    assert plain["Location"].startswith("https://")
    secure = client.get(reverse("login"), HTTP_X_FORWARDED_PROTO="https")
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")
    assert secure.cookies["csrftoken"]["secure"]
    signed_in = client.post(
        reverse("login"),
        {"username": manager.username, "password": "pw-manu"},
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert signed_in.status_code == 302
    session = signed_in.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"]
    assert session["httponly"]
