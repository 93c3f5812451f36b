"""The bad-input catalog: every hostile or clumsy input ends in a clear message or refusal, and
nothing half-written (row counts of images and audit events unchanged, nothing queued).

Cases already covered by the page tests are listed in CATALOG with the test that covers them;
`test_catalog_references_exist` keeps those references honest. The rest are tested here.
"""

import importlib
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from images.models import AuditEvent, Image, Status
from testkit.factories import make_image, make_user
from tests.pages.test_writes import GOOD

UPLOAD = reverse("images:upload")
WRITES = "tests.pages.test_writes"
HERE = "tests.reliability.test_bad_input"
REFUSED = "tests.reliability.test_refused_input"

# case -> the test that covers it ("module::function")
CATALOG = {
    "ftp: URL refused": f"{WRITES}::test_upload_refuses_bad_urls_with_a_reason",
    "file: URL refused": f"{WRITES}::test_upload_refuses_bad_urls_with_a_reason",
    "javascript: URL refused": f"{WRITES}::test_upload_refuses_bad_urls_with_a_reason",
    "data: URL refused": f"{WRITES}::test_upload_refuses_bad_urls_with_a_reason",
    "URL without a scheme refused": f"{WRITES}::test_upload_refuses_bad_urls_with_a_reason",
    "URL with another extension refused": f"{WRITES}::test_upload_refuses_bad_urls_with_a_reason",
    "URL with the extension only in the query string": (
        f"{WRITES}::test_upload_refuses_bad_urls_with_a_reason"
    ),
    "URL over 2,048 characters": f"{WRITES}::test_upload_refuses_bad_urls_with_a_reason",
    "URL with spaces": f"{WRITES}::test_upload_refuses_bad_urls_with_a_reason",
    "URL without an extension at all": f"{HERE}::test_url_edge_cases",
    "URL with CR/LF (header injection)": f"{HERE}::test_url_edge_cases",
    "URL with a tab or NUL": f"{HERE}::test_url_edge_cases",
    "URL of exactly 2,048 characters accepted": f"{HERE}::test_url_of_exactly_2048_is_accepted",
    "name with surrounding whitespace stripped": (
        f"{WRITES}::test_upload_queues_and_redirects_to_the_detail_page"
    ),
    "name only whitespace": f"{WRITES}::test_upload_validates_other_fields",
    "name with control characters (NUL, TAB)": f"{WRITES}::test_upload_validates_other_fields",
    "name with ESC, DEL, NEL, line breaks": f"{HERE}::test_names_with_more_control_characters",
    "name over 255 characters": f"{WRITES}::test_upload_validates_other_fields",
    "rename to a name over 255 / control characters": f"{HERE}::test_rename_refuses_bad_names",
    "unicode names kept and shown": f"{HERE}::test_unicode_names_are_kept_and_shown",
    "OS type other than Linux/Windows": f"{HERE}::test_other_os_types_are_refused",
    "missing CSRF token on every write": f"{HERE}::test_writes_without_csrf_token_are_refused",
    "unknown image ids (and ids past 64 bits)": f"{HERE}::test_unknown_image_ids",
    "same upload submitted twice quickly": f"{HERE}::test_double_submit_queues_one_image",
    "same upload submitted twice in parallel": f"{HERE}::test_parallel_double_submit",
    "rename or delete of a standard image": (
        f"{WRITES}::test_standard_image_cannot_be_renamed_or_deleted"
    ),
    "rename or delete of a deleted image": f"{HERE}::test_changes_to_deleted_images_refused",
    "tampered hidden and extra fields": f"{HERE}::test_tampered_fields_are_ignored",
    "tampered next on login and refresh": f"{HERE}::test_tampered_next_stays_on_site",
    "tampered live ids": f"{HERE}::test_tampered_live_ids",
    "HTML and script in names and descriptions": f"{HERE}::test_markup_is_shown_escaped",
    "oversized request body": f"{HERE}::test_oversized_body_is_a_clear_400",
    "names of only invisible or format characters": (
        f"{REFUSED}::test_names_refused_on_upload_and_rename"
    ),
    "bidi overrides and isolates, U+2028/U+2029 in names": (
        f"{REFUSED}::test_names_refused_on_upload_and_rename"
    ),
    "URL with user:password, host confusion, port 0 or > 65535": f"{REFUSED}::test_urls_refused",
    "loopback, private, link-local targets (not allowed)": (
        f"{REFUSED}::test_private_targets_refused_when_not_allowed"
    ),
    "a name resolving to a private address, at submit": (
        f"{REFUSED}::test_the_worker_refuses_a_name_resolving_to_a_private_address"
    ),
    "credentials in URLs stored earlier never shown": (
        f"{REFUSED}::test_credentials_stored_earlier_are_never_shown"
    ),
}


def counts() -> tuple[int, int]:
    return Image.objects.count(), AuditEvent.objects.count()


@pytest.fixture
def unchanged(db):
    """Assert at teardown that the test wrote no image or audit row (beyond its own setup)."""
    state = {}

    def snapshot():
        state["before"] = counts()

    yield snapshot
    assert counts() == state["before"], "half-written state left behind"


def test_catalog_references_exist():
    for case, ref in CATALOG.items():
        module, function = ref.split("::")
        assert hasattr(importlib.import_module(module), function), (case, ref)
    print(f"\nbad-input catalog: {len(CATALOG)} cases")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://example.com/download", "only .iso and .qcow2"),
        ("https://example.com/", "only .iso and .qcow2"),
        ("https://example.com/a.iso\r\nX-Injected: 1", "spaces or control characters"),
        ("https://example.com/a\t.iso", "spaces or control characters"),
        ("https://example.com/a\x00.iso", "spaces or control characters"),
        ("https://example.com/a.ISO.exe", "only .iso and .qcow2"),
    ],
)
def test_url_edge_cases(manager_client, unchanged, url, message):
    unchanged()
    response = manager_client.post(UPLOAD, {**GOOD, "url": url})
    assert response.status_code == 400
    assert any(message in e for e in response.context["form"].errors["url"])


def test_url_of_exactly_2048_is_accepted(manager_client):
    url = "https://example.com/" + "a" * (2048 - len("https://example.com/") - 4) + ".iso"
    assert len(url) == 2048
    response = manager_client.post(UPLOAD, {**GOOD, "url": url})
    assert response.status_code == 302
    assert Image.objects.get().url == url


@pytest.mark.parametrize("name", ["esc\x1b[31m", "del\x7f", "ne\x85l", "two\nlines", "c\rr"])
def test_names_with_more_control_characters(manager_client, unchanged, name):
    unchanged()
    response = manager_client.post(UPLOAD, {**GOOD, "name": name})
    assert response.status_code == 400
    assert "control characters" in " ".join(response.context["form"].errors["name"])


@pytest.mark.parametrize(
    ("name", "message"),
    [("x" * 256, "at most 255 characters"), ("a\x00b", "control characters"), (" ", "required")],
)
def test_rename_refuses_bad_names(manager_client, name, message):
    image = make_image(name="keep me")
    before = counts()
    response = manager_client.post(reverse("images:rename", args=[image.pk]), {"name": name})
    assert response.status_code == 400
    assert message in response.content.decode()
    image.refresh_from_db()
    assert (image.name, image.pending_name) == ("keep me", None)
    assert counts() == before


def test_unicode_names_are_kept_and_shown(manager_client):
    name = "Ubuntu 日本語 Ünïcødé 🚀 ﷽"
    response = manager_client.post(UPLOAD, {**GOOD, "name": f"  {name}  "})
    assert response.status_code == 302
    image = Image.objects.get()
    assert image.name == name
    for url in (reverse("images:list"), reverse("images:detail", args=[image.pk])):
        assert name in manager_client.get(url).content.decode()


@pytest.mark.parametrize("os_type", ["BeOS", "linux", "WINDOWS", "", "Windows Server", "<b>"])
def test_other_os_types_are_refused(manager_client, unchanged, os_type):
    unchanged()
    response = manager_client.post(UPLOAD, {**GOOD, "os_type": os_type})
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["os_type"])
    assert "Select a valid choice" in errors or "required" in errors


def test_writes_without_csrf_token_are_refused(manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    image = make_image(name="target")
    before = counts()
    writes = [
        (UPLOAD, GOOD),
        (reverse("images:rename", args=[image.pk]), {"name": "hijacked"}),
        (reverse("images:delete", args=[image.pk]), {}),
        (reverse("images:refresh"), {}),
        (reverse("logout"), {}),
    ]
    for url, data in writes:
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert "CSRF" in response.content.decode(), url
    image.refresh_from_db()
    assert (image.status, image.pending_name) == (Status.DOWNLOADED, None)
    assert counts() == before
    assert client.get(reverse("images:list")).status_code == 200  # still signed in
    # And the token, when sent, is accepted: the refusal is about the token only.
    form = client.get(UPLOAD)
    token = form.cookies["csrftoken"].value if "csrftoken" in form.cookies else None
    token = token or client.cookies["csrftoken"].value
    assert client.post(UPLOAD, {**GOOD, "csrfmiddlewaretoken": token}).status_code == 302


def test_unknown_image_ids(manager_client, unchanged):
    unchanged()
    for pk in (987654, 2**63 - 1, 10**20):
        for name in ("images:detail", "images:detail_live", "images:rename", "images:delete"):
            url = reverse(name, args=[pk])
            assert manager_client.get(url).status_code == 404, url
        assert manager_client.post(reverse("images:delete", args=[pk])).status_code == 404
        assert (
            manager_client.post(reverse("images:rename", args=[pk]), {"name": "x"}).status_code
            == 404
        )
    page = manager_client.get(reverse("images:list_live") + f"?ids=987654,{10**20},abc")
    assert page.status_code == 286  # nothing to watch: htmx stops polling


def test_double_submit_queues_one_image(manager_client):
    """A repeat is first caught by the form (409, "Upload anyway"); a repeat of a confirmed
    upload within the window by the service, which answers with the image already queued."""
    first = manager_client.post(UPLOAD, GOOD)
    assert first.status_code == 302
    repeat = manager_client.post(UPLOAD, GOOD)
    assert repeat.status_code == 409
    assert "Upload anyway" in repeat.content.decode()
    assert Image.objects.count() == 1
    confirmed = {**GOOD, "name": "second", "upload_anyway": "on"}
    one = manager_client.post(UPLOAD, confirmed)
    two = manager_client.post(UPLOAD, confirmed)  # the confirmation button pressed twice
    image = Image.objects.get(name="second")
    assert one["Location"] == two["Location"] == reverse("images:detail", args=[image.pk])
    assert AuditEvent.objects.filter(action="upload").count() == 2
    assert "was already queued a moment ago" in manager_client.get(two["Location"]).content.decode()
    # Once the window has passed, a confirmed repeat is a new image, as asked.
    Image.objects.update(created_at=image.created_at.replace(year=2000))
    assert manager_client.post(UPLOAD, confirmed).status_code == 302
    assert Image.objects.count() == 3


def test_a_failed_upload_can_be_retried_at_once(manager_client):
    manager_client.post(UPLOAD, GOOD)
    Image.objects.update(status=Status.FAILED)
    assert manager_client.post(UPLOAD, {**GOOD, "upload_anyway": "on"}).status_code == 302
    assert Image.objects.count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("confirmed", [False, True], ids=["plain", "upload-anyway"])
def test_parallel_double_submit(manager, confirmed):
    """Two identical POSTs racing in two threads (two connections) still make one image."""
    data = {**GOOD, "upload_anyway": "on"} if confirmed else GOOD
    barrier = threading.Barrier(2)
    statuses = []

    def post():
        client = Client()
        client.force_login(manager)
        barrier.wait()
        try:
            statuses.append(client.post(UPLOAD, data).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(statuses) == 2
    assert set(statuses) <= {302, 409}, statuses
    assert Image.objects.count() == 1


def test_changes_to_deleted_images_refused(manager_client):
    for status in (Status.DELETED, Status.GONE, Status.DELETING):
        image = make_image(status=status)
        before = counts()
        for name, data in (("images:rename", {"name": "n"}), ("images:delete", {})):
            response = manager_client.post(reverse(name, args=[image.pk]), data)
            assert response.status_code == 409
            assert "deleted or being deleted" in response.content.decode()
        assert counts() == before
        image.refresh_from_db()
        assert (image.status, image.pending_name) == (status, None)


def test_tampered_fields_are_ignored(manager_client, manager):
    other = make_user("someone-else")
    extra = {
        "status": "downloaded",
        "remote_id": "00000000-0000-4000-8000-000000000001",
        "standard": "on",
        "requested_by": other.pk,
        "size_mb": "1",
        "id": "1",
        "pk": "1",
    }
    response = manager_client.post(UPLOAD, {**GOOD, **extra})
    assert response.status_code == 302
    image = Image.objects.get()
    assert image.status == Status.QUEUED
    assert image.remote_id is None
    assert image.standard is False
    assert image.requested_by == manager
    # A rename cannot smuggle a delete or a status, and the list falls back on bad filters.
    target = make_image(name="t")
    manager_client.post(
        reverse("images:rename", args=[target.pk]), {"name": "t2", "status": "deleted"}
    )
    target.refresh_from_db()
    assert (target.status, target.pending_name) == (Status.DOWNLOADED, "t2")
    listing = manager_client.get(
        reverse("images:list"), {"sort": "password", "status": "x'--", "os": "<b>", "page": "-1"}
    )
    assert listing.status_code == 200


def test_tampered_next_stays_on_site(manager_client):
    make_user("ann", role="viewer")
    client = Client()
    for target in ("//evil.example/", "https://evil.example/", "javascript:alert(1)"):
        response = client.post(
            reverse("login"), {"username": "ann", "password": "pw-ann", "next": target}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("images:list"), target
        client.logout()
        refreshed = manager_client.post(reverse("images:refresh"), {"next": target})
        assert refreshed["Location"] == reverse("images:list"), target


def test_tampered_live_ids(viewer_client):
    image = make_image(status=Status.DOWNLOADING)
    for ids in ("../../etc/passwd", f"{image.pk};DROP TABLE", "-1,0", "1" * 500, "," * 1000):
        response = viewer_client.get(reverse("images:list_live"), {"ids": ids})
        # Nothing valid to watch: answered with no rows and 286, htmx's "stop polling".
        assert response.status_code == 286, ids
        assert 'id="image-' not in response.content.decode(), ids
    response = viewer_client.get(reverse("images:list_live"), {"ids": f"x,{image.pk},;"})
    assert response.status_code == 200
    assert f'id="image-{image.pk}"' in response.content.decode()
    assert Image.objects.filter(pk=image.pk).exists()


MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_markup_is_shown_escaped(manager_client):
    response = manager_client.post(
        UPLOAD, {**GOOD, "name": f"evil {MARKUP}", "description": f"desc {MARKUP}"}
    )
    assert response.status_code == 302
    image = Image.objects.get()
    image.remote_id = "00000000-0000-4000-8000-0000000000aa"
    image.status = Status.DOWNLOADED
    image.pending_name = f"pending {MARKUP}"
    image.action_error = f"Rename failed: {MARKUP}"
    image.save()
    pages = [
        response["Location"],
        reverse("images:list"),
        reverse("images:list") + "?q=evil",
        reverse("images:detail_live", args=[image.pk]),
        reverse("images:rename", args=[image.pk]),
        reverse("images:delete", args=[image.pk]),
    ]
    for url in pages:
        html = manager_client.get(url).content.decode()
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html, url
        assert "&lt;script&gt;alert(" in html, url
    # The flash message after the upload was escaped too.
    first = manager_client.get(response["Location"]).content.decode()
    assert "<script>alert" not in first


def test_oversized_body_is_a_clear_400(manager_client, unchanged, settings):
    unchanged()
    big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    for url, data in (
        (UPLOAD, {**GOOD, "description": big}),
        (reverse("images:rename", args=[make_image().pk]), {"name": "n", "description": big}),
    ):
        unchanged()
        response = manager_client.post(url, data)
        assert response.status_code == 400, url
        html = response.content.decode()
        assert "Bad request" in html
        assert "too large" in html
