"""The bad-input catalog through the API: every refused name and URL of the pages' catalog
(tests/reliability/test_refused_input.py) gets the same message as a problem's field error, plus
what only an API client can send (wrong JSON types, broken JSON, huge bodies and ids); nothing is
stored or queued for any of them."""

import pytest
from django.urls import reverse

from images.models import AuditEvent, IdempotencyKey, Image, Status
from testkit.factories import make_image
from tests.pages.test_writes import GOOD
from tests.reliability.test_refused_input import NAMES, PRIVATE, PRIVATE_URLS, URLS

pytestmark = pytest.mark.django_db
LIST = reverse("api:images")
EDGE_URLS = [
    ("https://example.com/download", "only .iso and .qcow2"),
    ("https://example.com/a.iso\r\nX-Injected: 1", "spaces or control characters"),
    ("https://example.com/a\x00.iso", "spaces or control characters"),
    ("https://example.com/a.ISO.exe", "only .iso and .qcow2"),
    ("ftp://example.com/a.iso", "“ftp:” links are refused"),
    ("javascript:alert(1)//a.iso", "“javascript:” links are refused"),
    ("example.com/a.iso", "starting with http:// or https://"),
    ("https://example.com/a.bin?x=.iso", "query string"),
    ("https://example.com/" + "a" * 2048 + ".iso", "The URL is too long"),
]
CONTROL_NAMES = [
    ("esc\x1b[31m", "control characters"),
    ("two\nlines", "control characters"),
    ("x" * 256, "at most 255 characters"),
    (" ", "required"),
]


def field_errors(response, field: str) -> str:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    return " ".join(e["detail"] for e in response.json()["errors"] if e["field"] == field)


@pytest.fixture
def nothing_stored(db):
    yield
    assert not Image.objects.filter(status=Status.QUEUED).exists()
    assert not AuditEvent.objects.filter(outcome="requested").exists()
    assert not IdempotencyKey.objects.exists()


@pytest.mark.parametrize(("name", "message"), NAMES + CONTROL_NAMES)
def test_names_refused_on_create_and_rename(api_manager, nothing_stored, name, message):
    create = api_manager.post(LIST, {**GOOD, "name": name}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert message in field_errors(create, "name")
    image = make_image(name="keep me")
    url = reverse("api:image", args=[image.pk])
    assert message in field_errors(api_manager.patch(url, {"name": name}, format="json"), "name")
    image.refresh_from_db()
    assert image.pending_name is None


@pytest.mark.parametrize(("url", "message"), URLS + EDGE_URLS)
def test_urls_refused_on_create_and_preflight(api_manager, nothing_stored, url, message):
    assert message in field_errors(
        api_manager.post(LIST, {**GOOD, "url": url}, format="json"), "url"
    )
    check = api_manager.post(reverse("api:preflight"), {"url": url}, format="json")
    assert message in field_errors(check, "url")


@pytest.mark.parametrize(("url", "message"), PRIVATE_URLS)
def test_private_targets_refused_when_not_allowed(
    api_manager, nothing_stored, settings, url, message
):
    settings.PREFLIGHT_ALLOW_PRIVATE = False
    errors = field_errors(api_manager.post(LIST, {**GOOD, "url": url}, format="json"), "url")
    assert message in errors and PRIVATE in errors


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({**GOOD, "name": 7}, "name", "Not a valid string."),
        ({**GOOD, "name": None}, "name", "This field may not be null."),
        ({**GOOD, "url": ["https://e.com/a.iso"]}, "url", "Not a valid string."),
        ({**GOOD, "os_type": "BeOS"}, "os_type", "Select a valid choice."),
        ({**GOOD, "os_type": "linux"}, "os_type", "Select a valid choice."),
        ({**GOOD, "upload_anyway": "yes"}, "upload_anyway", "Must be a valid boolean."),
        ({k: v for k, v in GOOD.items() if k != "version"}, "version", "required"),
        ({**GOOD, "description": "x\u202ey"}, "description", "text-direction control"),
    ],
)
def test_wrong_types_and_values(api_manager, nothing_stored, body, field, message):
    assert message in field_errors(api_manager.post(LIST, body, format="json"), field)


def test_bodies_that_are_not_a_json_object(api_manager, nothing_stored):
    for raw in ("[1, 2]", '"text"', "null", "{"):
        response = api_manager.post(LIST, raw, content_type="application/json")
        assert response.status_code == 400, raw
        assert response["Content-Type"] == "application/problem+json"
    image = make_image(name="keep me")
    url = reverse("api:image", args=[image.pk])
    assert api_manager.patch(url, "[1]", content_type="application/json").status_code == 400


def test_oversized_body_is_a_clear_413(api_manager, nothing_stored, settings):
    big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = api_manager.post(LIST, {**GOOD, "description": big}, format="json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert "at most 65536 bytes" in response.json()["detail"]


def test_unknown_and_huge_ids_are_404_problems(api_manager, nothing_stored):
    for pk in (987654, 2**63 - 1, 10**20):
        for method, path in (
            ("get", reverse("api:image", args=[pk])),
            ("patch", reverse("api:image", args=[pk])),
            ("delete", reverse("api:image", args=[pk])),
            ("post", reverse("api:retry", args=[pk])),
            ("post", reverse("api:replace", args=[pk])),
        ):
            response = getattr(api_manager, method)(path, {"name": "x"}, format="json")
            assert response.status_code == 404, (method, path)
            assert response.json()["type"] == "about:blank"
    assert api_manager.get("/api/v1/images/-1/").status_code == 404
    assert api_manager.get("/api/v1/nowhere/").json()["status"] == 404


def test_changes_to_deleted_images_refused(api_manager):
    for status in (Status.DELETED, Status.GONE, Status.DELETING):
        image = make_image(status=status)
        url = reverse("api:image", args=[image.pk])
        for response in (
            api_manager.patch(url, {"name": "n"}, format="json"),
            api_manager.delete(url),
        ):
            assert response.status_code == 409
            assert response.json()["code"] == "refused"
        image.refresh_from_db()
        assert (image.status, image.pending_name) == (status, None)


def test_markup_comes_back_as_data(api_manager):
    markup = '<script>alert("x")</script>'
    response = api_manager.post(LIST, {**GOOD, "name": markup}, format="json")
    assert response.status_code == 202
    assert response["Content-Type"] == "application/json"
    assert response.json()["name"] == markup  # JSON, never rendered as HTML
