"""Upload preflight pages: a pending fragment that polls, then the answer without a trigger.

The task is replaced by a recorder and its service run inline, against the sandbox's synthetic
files (served on 127.0.0.1, so PREFLIGHT_ALLOW_PRIVATE is on).
"""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from images.models import Image
from images.services import preflight
from testkit.factories import make_downloading, make_snapshot

pytestmark = pytest.mark.django_db
UPLOAD = reverse("images:upload")
PREFLIGHT = reverse("images:upload_preflight")
HTMX = {"HTTP_HX_REQUEST": "true"}
FORM = {"name": "Golden", "os_type": "Linux", "version": "24.04", "description": ""}


@pytest.fixture
def queued(sent_tasks, settings):
    settings.PREFLIGHT_ALLOW_PRIVATE = True
    return sent_tasks


def token_of(html: str) -> str:
    return re.search(r'name="preflight_token" value="([\w-]+)"', html).group(1)


def work(queued) -> None:
    """The worker's part: run every queued check inline."""
    while queued:
        _name, args = queued.pop(0)
        preflight.run(*args)


def checked(client, queued, url: str) -> tuple[str, str]:
    """Ask for a check of `url`, let the worker run it: its token and the answered fragment."""
    token = token_of(client.post(PREFLIGHT, {"url": url}, **HTMX).content.decode())
    work(queued)
    return token, result(client, token).content.decode()


def result(client, token: str, **extra):
    return client.get(reverse("images:upload_preflight_result", args=[token]), **HTMX, **extra)


def test_pending_fragment_polls_until_the_worker_answers(
    manager_client, queued, sandbox, monkeypatch
):
    url = sandbox.file_url("golden.qcow2", 300)
    make_snapshot(used_mb=8_000, total_mb=10_000)  # 2000 MB free
    make_downloading(size_mb=2000, done_mb=500)  # 1500 MB still to come: 500 MB left
    with monkeypatch.context() as web:
        web.setattr(preflight, "inspect", None)  # the web process never asks the URL
        response = manager_client.post(PREFLIGHT, {**FORM, "url": url}, **HTMX)
        still = result(manager_client, response.context["preflight"]["token"])
    assert response.status_code == 200
    html = response.content.decode()
    token = token_of(html)
    assert queued == [("preflight_url", (token, url))]
    poll = reverse("images:upload_preflight_result", args=[token])
    assert f'hx-get="{poll}"' in html
    assert 'hx-trigger="every 500ms"' in html
    assert "golden.qcow2" in html
    assert ".qcow2" in html
    assert "checking…" in html
    assert "hx-trigger" in still.content.decode()  # the worker has not answered yet

    work(queued)
    answer = result(manager_client, token)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "hx-trigger" not in html
    assert "hx-get" not in html
    assert "300 MB" in html
    assert "It fits: 500 MB left after the downloads in flight." in html


def test_too_big_for_the_quota_left_is_a_clear_warning(manager_client, queued, sandbox):
    make_snapshot(used_mb=8_000, total_mb=10_000)
    make_downloading(size_mb=2000, done_mb=500)
    url = sandbox.file_url("big.iso", 600)
    _token, html = checked(manager_client, queued, url)
    assert "It will not fit: 600 MB needed, 500 MB left after the downloads in flight." in html
    assert 'role="alert"' in html


def test_no_quota_figures_yet(manager_client, queued, sandbox):
    url = sandbox.file_url("a.qcow2", 10)
    _token, html = checked(manager_client, queued, url)
    assert "10 MB" in html
    assert "No quota figures yet" in html


def test_failed_head_says_why_and_the_upload_stays_possible(manager_client, queued, sandbox):
    url = f"{sandbox.url}/nothing/here.qcow2"
    token, html = checked(manager_client, queued, url)
    assert "The server answered 404" in html
    assert "You can still start the download." in html
    assert "unknown" in html
    upload = manager_client.post(UPLOAD, {**FORM, "url": url, "preflight_token": token})
    assert upload.status_code == 302
    assert Image.objects.filter(url=url).exists()


def test_private_addresses_are_refused_unless_allowed(manager_client, queued, sandbox, settings):
    settings.PREFLIGHT_ALLOW_PRIVATE = False
    url = sandbox.file_url("a.qcow2", 10)
    html = manager_client.post(PREFLIGHT, {"url": url}, **HTMX).content.decode()
    assert "Not checked: “127.0.0.1” is a loopback address" in html
    assert queued == []  # refused by the URL's rules before any worker is asked


def test_an_invalid_url_is_not_checked(manager_client, queued):
    response = manager_client.post(PREFLIGHT, {"url": "ftp://example.com/a.iso"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Not checked: Only http:// and https:// links" in html
    assert "hx-trigger" not in html
    assert queued == []
    empty = manager_client.post(PREFLIGHT, {"url": "  "}, **HTMX).content.decode()
    assert "preflight" not in empty
    assert queued == []


def test_the_same_url_reuses_its_check(manager_client, queued, sandbox):
    url = sandbox.file_url("a.qcow2", 10)
    token = token_of(manager_client.post(PREFLIGHT, {"url": url}, **HTMX).content.decode())
    again = manager_client.post(PREFLIGHT, {"url": url, "preflight_token": token}, **HTMX)
    assert token_of(again.content.decode()) == token
    other = manager_client.post(
        PREFLIGHT, {"url": sandbox.file_url("b.qcow2", 1), "preflight_token": token}, **HTMX
    )
    assert token_of(other.content.decode()) != token
    assert len(queued) == 2


def test_without_javascript_the_page_comes_back_with_the_input(manager_client, queued, sandbox):
    url = sandbox.file_url("golden.qcow2", 300)
    response = manager_client.post(PREFLIGHT, {**FORM, "url": url})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Upload an image</h1>" in html
    assert 'value="Golden"' in html
    assert f'value="{url}"' in html
    assert "checking…" in html
    assert "Check again" in html  # inside <noscript>: re-posts the form with the token
    assert 'class="field__error"' not in html  # the name etc. are not judged yet
    token = token_of(html)

    work(queued)
    again = manager_client.post(PREFLIGHT, {**FORM, "url": url, "preflight_token": token})
    html = again.content.decode()
    assert "300 MB" in html
    assert queued == []  # the same check, not a new one


def test_a_refused_upload_keeps_the_check_of_its_url(manager_client, queued, sandbox):
    url = sandbox.file_url("golden.qcow2", 300)
    token = token_of(manager_client.post(PREFLIGHT, {"url": url}, **HTMX).content.decode())
    work(queued)
    response = manager_client.post(
        UPLOAD, {**FORM, "version": "", "url": url, "preflight_token": token}
    )
    assert response.status_code == 400
    assert "300 MB" in response.content.decode()
    changed = manager_client.post(
        UPLOAD, {**FORM, "version": "", "url": url + "0", "preflight_token": token}
    )
    assert "300 MB" not in changed.content.decode()


def test_expired_unknown_or_another_users_check(manager_client, queued, sandbox, client):
    html = result(manager_client, "no-such-token").content.decode()
    assert "This check has expired" in html
    assert "hx-trigger" not in html

    url = sandbox.file_url("a.qcow2", 1)
    token = token_of(manager_client.post(PREFLIGHT, {"url": url}, **HTMX).content.decode())
    from testkit.factories import make_user

    client.force_login(make_user("mona", role="manager"))
    assert "This check has expired" in result(client, token).content.decode()


def test_a_check_no_worker_picks_up_stops_polling(manager_client, queued, sandbox, settings):
    url = sandbox.file_url("a.qcow2", 1)
    token = token_of(manager_client.post(PREFLIGHT, {"url": url}, **HTMX).content.decode())
    key = preflight._key(token)
    entry = cache.get(key)
    stale = settings.PREFLIGHT_TIMEOUT_SECONDS + preflight.QUEUE_GRACE + 1
    cache.set(key, {**entry, "created": entry["created"] - stale})
    html = result(manager_client, token).content.decode()
    assert "No worker answered within" in html
    assert "hx-trigger" not in html


def test_managers_only(viewer_client, queued, sandbox):
    url = sandbox.file_url("a.qcow2", 1)
    assert viewer_client.post(PREFLIGHT, {"url": url}, **HTMX).status_code == 403
    assert result(viewer_client, "abc").status_code == 403
    assert queued == []


def test_expired_session_reloads_the_page(client):
    response = result(client, "abc")
    assert response.status_code == 204
    assert response["HX-Refresh"] == "true"


def test_upload_page_asks_for_a_check_when_the_url_changes(manager_client):
    html = manager_client.get(UPLOAD).content.decode()
    assert f'hx-post="{PREFLIGHT}" hx-trigger="change delay:300ms" hx-target="#preflight"' in html
    assert f'formaction="{PREFLIGHT}"' in html  # "Check URL" works without JavaScript too
    assert '<div id="preflight" aria-live="polite">' in html


def test_the_content_verdict_is_shown_and_a_blocked_file_is_refused(
    manager_client, queued, sandbox
):
    url = sandbox.file_url("login.qcow2", 1, content="html")
    token, html = checked(manager_client, queued, url)
    assert "The file is a web page." in html
    assert "<strong>Blocked:</strong> The link gives a web page (“Sign in”)" in html
    upload = manager_client.post(UPLOAD, {**FORM, "url": url, "preflight_token": token})
    assert upload.status_code == 400
    assert "Contabo cannot use this file: The link gives a web page" in upload.content.decode()
    assert not Image.objects.filter(url=url).exists()


def test_a_good_qcow2_shows_its_header(manager_client, queued, sandbox):
    url = sandbox.file_url("golden.qcow2", 2, virtual_gb="20")
    token, html = checked(manager_client, queued, url)
    assert "The file is a qcow2 disk image (version 3)." in html
    assert '<dt>Virtual disk</dt><dd class="break">20 GB</dd>' in html
    assert "Blocked" not in html
    upload = manager_client.post(UPLOAD, {**FORM, "url": url, "preflight_token": token})
    assert upload.status_code == 302
