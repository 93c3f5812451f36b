"""Names and URLs that must be refused, each with its message (rules: images/validators.py),
through the upload and rename forms, and again by the worker before it submits; credentials in
URLs stored earlier are never shown to viewers (detail page, exports)."""

import json

import pytest
from django.urls import reverse

from images.models import Image, Status
from images.services import preflight, submit
from testkit.factories import make_image, make_upload
from tests.pages.test_writes import GOOD

pytestmark = pytest.mark.django_db
UPLOAD = reverse("images:upload")
BIDI = "Remove the text-direction control characters"
INVISIBLE = "The name has no visible characters"
SEPARATOR = "Remove the Unicode line or paragraph separator"
CREDENTIALS = "Remove the user name and password from the link"
CONFUSION = "refused as misleading"
PORT = "The port must be a number from 1 to 65535."
PRIVATE = "Contabo downloads from the internet and cannot reach it."

NAMES = [
    ("\u200b", INVISIBLE),  # zero-width space
    ("\ufeff\ufeff", INVISIBLE),  # BOM
    ("\u200d\u200c\u2060", INVISIBLE),  # joiners, word joiner
    ("\u3164", INVISIBLE),  # Hangul filler
    ("\u0301\u0301", INVISIBLE),  # combining marks alone
    ("invoice\u202egpj.exe", f"{BIDI} (U+202E)"),
    ("a\u202ab", f"{BIDI} (U+202A)"),
    ("a\u202db", f"{BIDI} (U+202D)"),
    ("a\u2066b\u2069", f"{BIDI} (U+2066, U+2069)"),
    ("a\u2067b", f"{BIDI} (U+2067)"),
    ("a\u2068b", f"{BIDI} (U+2068)"),
    ("line\u2028break", SEPARATOR),
    ("para\u2029graph", SEPARATOR),
]
URLS = [
    ("https://user:secret@example.com/a.iso", CREDENTIALS),
    ("https://user@example.com/a.iso", CREDENTIALS),
    ("http://127.0.0.1:8331@evil.example/a.iso", "goes to “127.0.0.1” but really goes to"),
    ("http://example.com@evil.example/a.qcow2", CONFUSION),
    ("https://example.com:0/a.iso", PORT),
    ("https://example.com:65536/a.iso", PORT),
    ("https://example.com:99999/a.iso", PORT),
    ("https://exam\u200bple.com/a.iso", "invisible formatting characters"),
    ("https://example.com/a\u202egpj.iso", "invisible formatting characters"),
]
PRIVATE_URLS = [
    ("http://127.0.0.1/a.iso", "“127.0.0.1” is a loopback address"),
    ("http://localhost:8000/a.iso", "“localhost” is a loopback address"),
    ("http://10.1.2.3/a.iso", "“10.1.2.3” is a private network address"),
    ("http://192.168.0.10/a.qcow2", "“192.168.0.10” is a private network address"),
    ("http://169.254.169.254/a.iso", "“169.254.169.254” is a link-local address"),
    ("http://[::1]/a.iso", "“::1” is a loopback address"),
    ("http://[fe80::1]/a.iso", "“fe80::1” is a link-local address"),
]


def refused(response, field: str) -> str:
    assert response.status_code == 400
    assert not Image.objects.filter(status=Status.QUEUED).exists()
    return " ".join(response.context["form"].errors[field])


@pytest.mark.parametrize(("name", "message"), NAMES)
def test_names_refused_on_upload_and_rename(manager_client, name, message):
    assert message in refused(manager_client.post(UPLOAD, {**GOOD, "name": name}), "name")
    image = make_image(name="keep me")
    rename = manager_client.post(reverse("images:rename", args=[image.pk]), {"name": name})
    assert message in refused(rename, "name")
    image.refresh_from_db()
    assert image.pending_name is None


def test_emoji_with_joiners_and_accents_are_kept(manager_client):
    name = "👩\u200d💻 Café"
    assert manager_client.post(UPLOAD, {**GOOD, "name": name}).status_code == 302
    assert Image.objects.get().name == name


def test_description_refuses_direction_overrides(manager_client):
    response = manager_client.post(UPLOAD, {**GOOD, "description": "x\u202ey"})
    assert BIDI in refused(response, "description")


@pytest.mark.parametrize(("url", "message"), URLS)
def test_urls_refused(manager_client, url, message):
    assert message in refused(manager_client.post(UPLOAD, {**GOOD, "url": url}), "url")


@pytest.mark.parametrize(("url", "message"), PRIVATE_URLS)
def test_private_targets_refused_when_not_allowed(manager_client, settings, url, message):
    settings.PREFLIGHT_ALLOW_PRIVATE = False
    errors = refused(manager_client.post(UPLOAD, {**GOOD, "url": url}), "url")
    assert message in errors
    assert PRIVATE in errors
    settings.PREFLIGHT_ALLOW_PRIVATE = True
    assert manager_client.post(UPLOAD, {**GOOD, "url": url}).status_code == 302


def test_the_worker_refuses_a_name_resolving_to_a_private_address(
    api, contabo, settings, monkeypatch
):
    """A host name is resolved by the worker, just before the submit: no call reaches Contabo."""
    settings.PREFLIGHT_ALLOW_PRIVATE = False
    monkeypatch.setattr(preflight, "resolve", lambda host, port: ["10.0.0.7"])
    image = make_upload("https://files.corp.example/a.iso", name="inside")
    contabo.reset_calls()
    assert submit.submit(api, image.pk) is None
    image.refresh_from_db()
    assert image.status == Status.FAILED
    assert image.error_message == (
        "“files.corp.example” is a private network address (10.0.0.7): Contabo downloads from "
        "the internet and cannot reach it."
    )
    assert image.events.get().message == image.error_message
    assert not any(contabo.calls().values())


def test_the_worker_refuses_credentials_stored_before_the_rule(api, contabo):
    image = make_upload("https://u:p@example.com/a.iso", name="old")
    contabo.reset_calls()
    submit.submit(api, image.pk)
    image.refresh_from_db()
    assert (image.status, image.error_message.startswith(CREDENTIALS)) == (Status.FAILED, True)
    assert not any(contabo.calls().values())


def test_credentials_stored_earlier_are_never_shown(viewer_client):
    secret_url = "https://alice:hunter2@files.example.com/a.iso"
    image = make_image(url=secret_url)
    from images.services import audit

    audit.record("upload", "requested", image=image, message=secret_url)
    pages = [
        viewer_client.get(reverse("images:detail", args=[image.pk])),
        viewer_client.get(reverse("images:export_csv")),
        viewer_client.get(reverse("images:export_json")),
    ]
    texts = [b"".join(p.streaming_content) if p.streaming else p.content for p in pages]
    for text in texts:
        assert b"hunter2" not in text
        assert b"alice" not in text
        assert b"https://files.example.com/a.iso" in text
    exported = json.loads(texts[2])
    assert exported[0]["url"] == "https://files.example.com/a.iso"
