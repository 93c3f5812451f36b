"""Upload, rename and delete: validation before anything is queued, PRG, refusals."""

import pytest
from django.urls import reverse

from images.models import AuditEvent, Image, Status
from testkit.factories import make_downloading, make_image, make_snapshot

pytestmark = pytest.mark.django_db
UPLOAD = reverse("images:upload")
GOOD = {
    "name": "  Ubuntu golden  ",
    "description": "Base image\nwith tools",
    "url": "https://downloads.example.com/path/ubuntu-24.04.qcow2?token=abc",
    "os_type": "Linux",
    "version": "24.04",
}


def errors(response, field: str) -> list[str]:
    return response.context["form"].errors.get(field, [])


# --- upload -------------------------------------------------------------------------------------


def test_upload_queues_and_redirects_to_the_detail_page(manager_client, manager):
    response = manager_client.post(UPLOAD, GOOD)
    image = Image.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("images:detail", args=[image.pk])
    assert image.name == "Ubuntu golden"
    assert image.status == Status.QUEUED
    assert image.requested_by == manager
    assert image.url == GOOD["url"]
    assert AuditEvent.objects.filter(action="upload", image=image).exists()
    page = manager_client.get(response["Location"])
    html = page.content.decode()
    assert "is queued for download by Contabo" in html
    assert "Waiting to be sent to Contabo" in html
    assert 'id="live-status"' in html
    assert "hx-trigger" in html


def test_upload_form_has_labels_select_and_quota(manager_client):
    make_snapshot(used_mb=60_000, total_mb=100_000)
    make_downloading(size_mb=5000, done_mb=1000)
    html = manager_client.get(UPLOAD).content.decode()
    for field in ("name", "description", "url", "os_type", "version"):
        assert f'<label for="id_{field}">' in html
    assert '<select name="os_type"' in html
    assert '<option value="Linux">Linux</option>' in html
    assert '<option value="Windows">Windows</option>' in html
    # 40000 MB free minus 4000 MB still to download.
    assert "35.2 GB" in html
    assert "3.9 GB still to come from 1 download in flight" in html


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/a.iso", "“ftp:” links are refused"),
        ("file:///etc/a.iso", "“file:” links are refused"),
        ("javascript:alert(1)//a.iso", "“javascript:” links are refused"),
        ("data:text/plain;base64,AAAA.iso", "“data:” links are refused"),
        ("example.com/a.iso", "starting with http:// or https://"),
        ("https://example.com/download?file=a.qcow2", "query string"),
        ("https://example.com/a.img", "only .iso and .qcow2"),
        ("https://example.com/a.iso.zip", "only .iso and .qcow2"),
        ("https://exa mple.com/a.iso", "spaces"),
        ("https://example.com/" + "a" * 2040 + ".iso", "at most 2048 characters"),
        ("http://", "not a valid web address"),
        ("", "This field is required"),
    ],
)
def test_upload_refuses_bad_urls_with_a_reason(manager_client, url, message):
    response = manager_client.post(UPLOAD, {**GOOD, "url": url})
    assert response.status_code == 400
    assert any(message in e for e in errors(response, "url")), errors(response, "url")
    assert message.replace("“", "&ldquo;") in response.content.decode() or message in (
        response.content.decode()
    )
    assert not Image.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/a.iso",
        "HTTPS://EXAMPLE.COM/IMAGES/A.QCOW2",
        "https://127.0.0.1:8100/files/demo.qcow2?size_mb=20",
        "https://example.com/a.iso#frag",
    ],
)
def test_upload_accepts_good_urls(manager_client, url):
    response = manager_client.post(UPLOAD, {**GOOD, "url": url})
    assert response.status_code == 302, response.context["form"].errors


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "required"),
        ("name", "   ", "required"),
        ("name", "bad\x00name", "control characters"),
        ("name", "tab\tinside", "control characters"),
        ("name", "x" * 256, "at most 255 characters"),
        ("version", "", "required"),
        ("os_type", "BeOS", "Select a valid choice"),
        ("os_type", "linux", "Select a valid choice"),
        ("description", "bell\x07", "control characters"),
    ],
)
def test_upload_validates_other_fields(manager_client, field, value, message):
    response = manager_client.post(UPLOAD, {**GOOD, field: value})
    assert response.status_code == 400
    assert any(message in e for e in errors(response, field)), errors(response, field)
    assert not Image.objects.exists()


def test_upload_name_of_255_chars_after_stripping_is_fine(manager_client):
    response = manager_client.post(UPLOAD, {**GOOD, "name": "  " + "n" * 255 + "  "})
    assert response.status_code == 302
    assert Image.objects.get().name == "n" * 255


def test_invalid_upload_keeps_what_was_typed(manager_client):
    html = manager_client.post(UPLOAD, {**GOOD, "url": "ftp://x/a.iso"}).content.decode()
    assert 'value="  Ubuntu golden  "' in html
    assert 'aria-invalid="true"' in html


# --- rename -------------------------------------------------------------------------------------


def test_rename_stores_the_pending_name_and_redirects(manager_client):
    image = make_image(name="old", description="d")
    url = reverse("images:rename", args=[image.pk])
    form = manager_client.get(url).content.decode()
    assert 'value="old"' in form
    response = manager_client.post(url, {"name": " new ", "description": "better"})
    assert response.status_code == 302
    assert response["Location"] == reverse("images:detail", args=[image.pk])
    image.refresh_from_db()
    assert image.pending_name == "new"
    assert image.pending_description == "better"
    detail = manager_client.get(response["Location"]).content.decode()
    assert "Rename pending: “new”" in detail
    assert "Renaming “old” to “new”" in detail


def test_rename_validates(manager_client):
    image = make_image(name="old")
    response = manager_client.post(reverse("images:rename", args=[image.pk]), {"name": "a\x01"})
    assert response.status_code == 400
    image.refresh_from_db()
    assert image.pending_name is None


def test_standard_image_cannot_be_renamed_or_deleted(manager_client):
    image = make_image(name="Ubuntu 22.04", standard=True)
    detail = manager_client.get(reverse("images:detail", args=[image.pk])).content.decode()
    assert "cannot be renamed or deleted" in detail
    assert reverse("images:rename", args=[image.pk]) not in detail
    assert reverse("images:delete", args=[image.pk]) not in detail
    for name in ("images:rename", "images:delete"):
        page = manager_client.get(reverse(name, args=[image.pk]))
        assert page.status_code == 200
        html = page.content.decode()
        assert "Standard images belong to Contabo" in html
        assert '<button type="submit"' not in html.split("</header>")[1]
        refused = manager_client.post(reverse(name, args=[image.pk]), {"name": "mine"})
        assert refused.status_code == 409
        assert "Standard images belong to Contabo" in refused.content.decode()
    image.refresh_from_db()
    assert image.pending_name is None
    assert image.status == Status.DOWNLOADED


def test_not_allowed_from_the_service_is_shown(manager_client):
    image = make_image(name="new upload", status=Status.SUBMITTING, remote_id=None)
    response = manager_client.post(reverse("images:delete", args=[image.pk]))
    assert response.status_code == 409
    assert "still being submitted to Contabo" in response.content.decode()


def test_rename_race_lost_shows_the_service_text(manager_client, monkeypatch):
    from images.services.intents import NotAllowed
    from images.views import changes

    def refuse(*args, **kwargs):
        raise NotAllowed("This image can no longer be renamed.")

    monkeypatch.setattr(changes, "request_rename", refuse)
    image = make_image(name="old")
    response = manager_client.post(reverse("images:rename", args=[image.pk]), {"name": "n"})
    assert response.status_code == 409
    assert "This image can no longer be renamed." in response.content.decode()


# --- delete -------------------------------------------------------------------------------------


def test_delete_confirmation_names_the_image_and_posts(manager_client):
    image = make_image(name="doomed", size_mb=2048)
    url = reverse("images:delete", args=[image.pk])
    html = manager_client.get(url).content.decode()
    assert 'Delete “<span class="break">doomed</span>”?' in html
    assert '<form method="post"' in html
    assert "2.0 GB" in html
    image.refresh_from_db()
    assert image.status == Status.DOWNLOADED  # GET changes nothing
    response = manager_client.post(url)
    assert response.status_code == 302
    image.refresh_from_db()
    assert image.status == Status.DELETING
    detail = manager_client.get(response["Location"]).content.decode()
    assert "Deleting “doomed” at Contabo." in detail
    assert "hx-trigger" in detail  # watches until the delete is confirmed


def test_deleting_twice_is_refused(manager_client):
    image = make_image(name="doomed", status=Status.DELETING)
    response = manager_client.post(reverse("images:delete", args=[image.pk]))
    assert response.status_code == 409
    assert "deleted or being deleted" in response.content.decode()


def test_unknown_image_is_404(manager_client):
    for name in ("images:detail", "images:rename", "images:delete", "images:detail_live"):
        assert manager_client.get(reverse(name, args=[987654])).status_code == 404
