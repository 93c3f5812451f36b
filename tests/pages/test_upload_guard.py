"""Duplicate guard: an upload repeating an image's URL or name needs "Upload anyway" (409)."""

import pytest
from django.urls import reverse

from images.forms import ReplaceForm
from images.models import Image, Status
from images.selectors import duplicates_of
from images.services.accounts import settings_account
from testkit.factories import make_downloading, make_image

pytestmark = pytest.mark.django_db
UPLOAD = reverse("images:upload")
URL = "https://downloads.example.com/golden.qcow2"
FORM = {
    "name": "Golden",
    "url": URL,
    "os_type": "Linux",
    "version": "24.04",
    "description": "kept",
}


def refused(response, *images) -> str:
    assert response.status_code == 409
    html = response.content.decode()
    assert "Tick “Upload anyway” to start it all the same." in html
    assert 'name="upload_anyway"' in html
    for image in images:
        assert f'href="{reverse("images:detail", args=[image.pk])}"' in html
    return html


def test_same_url_downloaded(manager_client):
    existing = make_image(name="Other name", url=URL)
    html = refused(manager_client.post(UPLOAD, FORM), existing)
    assert "same URL" in html
    assert 'value="Golden"' in html  # the input is kept
    assert f'value="{URL}"' in html
    assert "kept</textarea>" in html
    assert not Image.objects.filter(name="Golden").exists()


@pytest.mark.parametrize("status", [Status.QUEUED, Status.SUBMITTING, Status.DOWNLOADING])
def test_same_url_on_its_way(manager_client, status):
    if status == Status.DOWNLOADING:
        existing = make_downloading(name="Other", url=URL)
    else:
        existing = make_image(name="Other", url=URL, status=status)
    refused(manager_client.post(UPLOAD, FORM), existing)
    assert Image.objects.count() == 1


def test_same_name(manager_client):
    existing = make_image(name="Golden", url="https://elsewhere.example.com/g.iso")
    html = refused(manager_client.post(UPLOAD, FORM), existing)
    assert "same name" in html


def test_same_url_and_name_is_one_link(manager_client):
    existing = make_image(name="Golden", url=URL)
    html = refused(manager_client.post(UPLOAD, FORM), existing)
    assert "same URL and name" in html
    assert html.count(f'href="{reverse("images:detail", args=[existing.pk])}"') == 1


def test_confirmed_upload_is_queued(manager_client):
    make_image(name="Golden", url=URL)
    response = manager_client.post(UPLOAD, {**FORM, "upload_anyway": "on"})
    assert response.status_code == 302
    new = Image.objects.get(name="Golden", status=Status.QUEUED)
    assert response["Location"] == reverse("images:detail", args=[new.pk])
    assert new.url == URL
    assert new.description == "kept"


@pytest.mark.parametrize("status", [Status.DELETED, Status.GONE])
def test_deleted_or_gone_images_do_not_count(manager_client, status):
    make_image(name="Golden", url=URL, status=status)
    assert manager_client.post(UPLOAD, FORM).status_code == 302


def test_a_failed_download_of_the_url_does_not_count(manager_client):
    make_image(name="Failed one", url=URL, status=Status.FAILED)
    assert manager_client.post(UPLOAD, FORM).status_code == 302


def test_a_standard_image_name_does_not_count(manager_client):
    make_image(name="Golden", url="https://contabo.example/std.qcow2", standard=True)
    assert manager_client.post(UPLOAD, FORM).status_code == 302


def test_invalid_input_is_reported_before_duplicates(manager_client):
    make_image(name="Golden", url=URL)
    response = manager_client.post(UPLOAD, {**FORM, "version": ""})
    assert response.status_code == 400
    assert 'name="upload_anyway"' not in response.content.decode()


def test_the_checkbox_appears_only_with_the_warning(manager_client):
    assert 'name="upload_anyway"' not in manager_client.get(UPLOAD).content.decode()


def test_the_replace_form_has_no_guard():
    assert "upload_anyway" not in ReplaceForm().fields


def test_duplicates_of_flags_each_reason():
    by_url = make_image(name="A", url=URL)
    by_name = make_image(name="Golden", url="https://x.example/y.iso", status=Status.FAILED)
    make_image(name="Golden", url=URL, status=Status.DELETED)
    make_image(name="golden", url="https://x.example/z.iso")  # names compare exactly
    found = {
        d.image.pk: (d.same_url, d.same_name)
        for d in duplicates_of(settings_account(), URL, "Golden")
    }
    assert found == {by_url.pk: (True, False), by_name.pk: (False, True)}
