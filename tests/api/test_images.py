"""The image endpoints: list (filters, sorts, cursor pages), detail with the audit trail, and
writes answered 202 with the image's state, each through the pages' services."""

import pytest
from django.urls import reverse

from images.models import AuditEvent, Image, Status
from images.services import audit
from testkit.factories import make_downloading, make_image, make_snapshot
from tests.pages.test_writes import GOOD

pytestmark = pytest.mark.django_db
LIST = reverse("api:images")


def all_pages(client, query: str) -> list[dict]:
    rows, url = [], f"{LIST}?{query}"
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        rows += body["results"]
        url = body["next"]
        if url:
            assert response["Link"] == f'<{url}>; rel="next"'
    return rows


@pytest.mark.parametrize("sort", ["-date", "date", "name", "-name", "size", "-size", "status"])
def test_cursor_pages_walk_every_row_once_in_the_pages_order(api_manager, manager_client, sort):
    for i in range(7):
        make_image(name=f"img-{i % 3}", size_mb=float(i % 2), status=Status.DOWNLOADED)
    make_image(status=Status.QUEUED, name="queued")  # no remote date: NULL in the date sort
    make_image(status=Status.QUEUED, name="queued too")
    rows = all_pages(api_manager, f"sort={sort}&page_size=2")
    page = manager_client.get(reverse("images:list") + f"?sort={sort}")
    expected = [image.pk for image in page.context["page"].object_list]
    assert [row["id"] for row in rows] == expected
    assert len(expected) == 9


def test_list_filters_and_search_are_the_list_pages(api_manager):
    make_image(name="debian-12", os_type="Linux")
    make_image(name="windows-2022", os_type="Windows")
    make_image(name="debian-old", status=Status.DELETED)
    make_image(name="debian-standard", standard=True)
    names = lambda query: sorted(r["name"] for r in all_pages(api_manager, query))  # noqa: E731
    assert names("q=debian") == ["debian-12", "debian-standard"]
    assert names("q=debian&status=all") == ["debian-12", "debian-old", "debian-standard"]
    assert names("os=Windows") == ["windows-2022"]
    assert names("kind=custom&q=debian") == ["debian-12"]


def test_bad_list_parameters_are_400_with_the_field(api_manager):
    for query, field in [
        ("status=nope", "status"),
        ("sort=colour", "sort"),
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("cursor=garbage", "cursor"),
        ("account=abc", "account"),
    ]:
        response = api_manager.get(f"{LIST}?{query}")
        assert response.status_code == 400, query
        assert [e["field"] for e in response.json()["errors"]] == [field], query


def test_a_cursor_of_another_sort_is_refused(api_manager):
    make_image(), make_image()
    next_url = api_manager.get(f"{LIST}?page_size=1&sort=name").json()["next"]
    response = api_manager.get(next_url.replace("sort=name", "sort=-size"))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "cursor"


def test_list_rows_carry_progress_and_links(api_manager):
    downloading = make_downloading(size_mb=2000.0, done_mb=500.0, rate_mb_s=10.0)
    row = api_manager.get(LIST).json()["results"][0]
    assert row["id"] == downloading.pk
    assert row["progress"]["percent"] == 25.0
    assert row["progress"]["rate_mb_s"] == pytest.approx(10.0)
    assert row["api_url"].endswith(reverse("api:image", args=[downloading.pk]))
    assert row["html_url"].endswith(reverse("images:detail", args=[downloading.pk]))


def test_detail_has_the_audit_trail_and_contabos_error(api_manager):
    image = make_image(status=Status.FAILED, error_message="URL not reachable")
    audit.record("upload", AuditEvent.Outcome.REQUESTED, image=image, message="asked")
    audit.record(
        "upload", AuditEvent.Outcome.FAILED, image=image, message="nope", request_id="req-42"
    )
    response = api_manager.get(reverse("api:image", args=[image.pk]))
    body = response.json()
    assert response["ETag"].startswith('"')
    assert [e["outcome"] for e in body["events"]] == ["failed", "requested"]
    assert body["error"] == {
        "type": "urn:contabo-images:problem:contabo-error",
        "title": "Contabo could not download the image",
        "detail": "URL not reachable",
        "request_id": "req-42",
    }


def test_a_failed_rename_shows_contabos_message_and_request_id(api_manager):
    image = make_image(action_error="Contabo answered 400: name already taken")
    audit.record("rename", AuditEvent.Outcome.FAILED, image=image, request_id="req-7")
    listed = api_manager.get(LIST).json()["results"][0]["error"]
    assert listed["detail"] == "Contabo answered 400: name already taken"
    assert listed["request_id"] is None  # the list reads no audit trail
    detail = api_manager.get(reverse("api:image", args=[image.pk])).json()["error"]
    assert detail["title"] == "The last rename or delete failed at Contabo"
    assert detail["request_id"] == "req-7"


def test_stored_credentials_are_never_shown(api_manager):
    image = make_image(url="https://user:secret@example.com/a.iso")
    audit.record("upload", AuditEvent.Outcome.REQUESTED, image=image, message=image.url)
    body = api_manager.get(reverse("api:image", args=[image.pk])).json()
    assert body["url"] == "https://example.com/a.iso"
    assert body["events"][0]["message"] == "https://example.com/a.iso"
    assert "secret" not in str(api_manager.get(LIST).json())


def test_create_is_accepted_as_intent(api_manager, manager):
    response = api_manager.post(LIST, GOOD, format="json")
    assert response.status_code == 202
    image = Image.objects.get()
    assert response["Location"].endswith(reverse("api:image", args=[image.pk]))
    assert response.json()["status"] == "queued"
    assert image.name == "Ubuntu golden"  # stripped, as the page's form does
    assert image.requested_by == manager


def test_create_repeating_an_image_is_a_409_listing_it(api_manager):
    existing = make_image(url=GOOD["url"])
    response = api_manager.post(LIST, GOOD, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "duplicate"
    assert [d["id"] for d in body["duplicates"]] == [existing.pk]
    assert Image.objects.count() == 1
    confirmed = api_manager.post(LIST, {**GOOD, "upload_anyway": True}, format="json")
    assert confirmed.status_code == 202
    assert Image.objects.count() == 2


def test_rename_keeps_the_other_field(api_manager):
    image = make_image(name="old", description="kept")
    response = api_manager.patch(
        reverse("api:image", args=[image.pk]), {"name": "new"}, format="json"
    )
    assert response.status_code == 202
    assert response.json()["pending_name"] == "new"
    image.refresh_from_db()
    assert (image.pending_name, image.pending_description) == ("new", "kept")


def test_changes_the_state_refuses_are_409(api_manager):
    standard = make_image(standard=True)
    url = reverse("api:image", args=[standard.pk])
    for response in (api_manager.patch(url, {"name": "x"}, format="json"), api_manager.delete(url)):
        assert response.status_code == 409
        assert "Standard images" in response.json()["detail"]
    ready = make_image()
    retry = api_manager.post(reverse("api:retry", args=[ready.pk]), {}, format="json")
    assert retry.status_code == 409
    assert retry.json()["detail"] == "Only a failed download can be retried."


def test_retry_and_replace_answer_with_the_new_image(api_manager):
    failed = make_image(status=Status.FAILED)
    retried = api_manager.post(
        reverse("api:retry", args=[failed.pk]), {"remove_failed": True}, format="json"
    )
    assert retried.status_code == 202
    new = Image.objects.get(replaces=failed)
    assert retried.json()["id"] == new.pk
    failed.refresh_from_db()
    assert failed.status == Status.DELETING
    ready = make_image()
    same = {
        "name": ready.name,
        "url": ready.url,
        "os_type": "Linux",
        "version": ready.version,
        "upload_anyway": True,
    }
    unchanged = api_manager.post(reverse("api:replace", args=[ready.pk]), same, format="json")
    assert unchanged.status_code == 400
    assert unchanged.json()["errors"][0]["code"] == "unchanged"
    replaced = api_manager.post(
        reverse("api:replace", args=[ready.pk]),
        {**same, "version": "25.04", "delete_old": True},
        format="json",
    )
    assert replaced.status_code == 202
    assert replaced.json()["replaces"] == ready.pk
    assert replaced.json()["delete_replaced_when_done"] is True


def test_quota_refresh_and_preflight(api_manager):
    make_snapshot(used_mb=40_000.0, total_mb=100_000.0)
    make_downloading(size_mb=2000.0, done_mb=500.0)
    quota = api_manager.get(reverse("api:quota")).json()
    assert quota["current"]["free_mb"] == 60_000.0
    assert quota["in_flight"] == {"count": 1, "remaining_mb": 1500.0}
    assert quota["quota_left_mb"] == 58_500.0
    assert len(quota["history"]) == 1
    refresh = api_manager.post(reverse("api:refresh"))
    assert refresh.status_code == 202
    assert AuditEvent.objects.filter(action="refresh").count() == 1
    check = api_manager.post(
        reverse("api:preflight"), {"url": "https://example.com/f/a.iso"}, format="json"
    )
    assert check.status_code == 202
    assert check.json()["name"] == "a.iso"
    result = api_manager.get(check["Location"])
    assert result.status_code == 200
    assert result.json()["token"] == check.json()["token"]
    bad = api_manager.post(reverse("api:preflight"), {"url": "ftp://x/a.iso"}, format="json")
    assert bad.status_code == 400


def test_notification_settings_put_and_patch(api_viewer, viewer):
    url = reverse("api:notifications")
    patched = {"email_on_error": True, "email": "vera@example.com"}
    assert api_viewer.patch(url, patched, format="json").json() == {
        "email": "vera@example.com",
        "email_on_downloaded": False,
        "email_on_error": True,
        "email_on_stalled": False,
    }
    viewer.refresh_from_db()
    assert viewer.email == "vera@example.com"
    kept = api_viewer.patch(url, {"email_on_stalled": True}, format="json").json()
    assert kept["email"] == "vera@example.com" and kept["email_on_error"] is True
    put = api_viewer.put(url, {"email_on_stalled": True}, format="json").json()
    assert put == {
        "email": "",
        "email_on_downloaded": False,
        "email_on_error": False,
        "email_on_stalled": True,
    }
    assert api_viewer.patch(url, {"email_on_error": "yes"}, format="json").status_code == 400
    bad = api_viewer.patch(url, {"email": "not an address"}, format="json")
    assert bad.status_code == 400
