"""Idempotency-Key on create (a retried create is the same image) and ETag / If-Match on
PATCH and DELETE (two admins changing one image at once: the second gets a 412)."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from images.models import AuditEvent, IdempotencyKey, Image, Status
from testkit.factories import make_image, make_user
from tests.api.conftest import token_client
from tests.pages.test_writes import GOOD

pytestmark = pytest.mark.django_db
LIST = reverse("api:images")


def test_a_create_retried_with_its_key_is_the_same_image(api_manager):
    first = api_manager.post(LIST, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 202
    assert "Idempotent-Replayed" not in first
    # Without the key the same request is a repeat of the queued image: a 409.
    assert api_manager.post(LIST, GOOD, format="json").status_code == 409
    retry = api_manager.post(LIST, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert retry.status_code == 202
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json()["id"] == first.json()["id"]
    assert retry["Location"] == first["Location"]
    assert Image.objects.count() == 1
    assert AuditEvent.objects.filter(action="upload").count() == 1


def test_the_same_key_with_other_fields_is_a_422(api_manager):
    api_manager.post(LIST, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    other = {**GOOD, "name": "something else", "upload_anyway": True}
    response = api_manager.post(LIST, other, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Image.objects.count() == 1


def test_keys_belong_to_their_user(api_manager):
    colleague = token_client(make_user("colleague", role="manager"))
    mine = api_manager.post(LIST, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    theirs = colleague.post(
        LIST, {**GOOD, "upload_anyway": True}, format="json", HTTP_IDEMPOTENCY_KEY="shared"
    )
    assert theirs.status_code == 202
    assert theirs.json()["id"] != mine.json()["id"]
    assert IdempotencyKey.objects.count() == 2


def test_an_invalid_create_stores_no_key(api_manager):
    bad = api_manager.post(
        LIST, {**GOOD, "url": "ftp://x/a.iso"}, format="json", HTTP_IDEMPOTENCY_KEY="k-3"
    )
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.exists()
    good = api_manager.post(LIST, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert good.status_code == 202
    too_long = api_manager.post(LIST, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert too_long.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_parallel_retries_with_one_key_make_one_image(manager):
    """Two creates with the same key racing on two connections: one image, both answered
    with it."""
    clients = [token_client(manager) for _ in range(2)]
    barrier = threading.Barrier(2)
    answers = []

    def post(client):
        barrier.wait()
        try:
            answers.append(client.post(LIST, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="race"))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert Image.objects.count() == 1


# --- ETag / If-Match ----------------------------------------------------------------------------


def test_two_admins_renaming_at_once_the_second_gets_412(api_manager):
    colleague = token_client(make_user("colleague", role="manager"))
    image = make_image(name="shared")
    url = reverse("api:image", args=[image.pk])
    etag_a = api_manager.get(url)["ETag"]
    etag_b = colleague.get(url)["ETag"]
    assert etag_a == etag_b
    first = api_manager.patch(url, {"name": "by A"}, format="json", HTTP_IF_MATCH=etag_a)
    assert first.status_code == 202
    assert first["ETag"] != etag_a
    second = colleague.patch(url, {"name": "by B"}, format="json", HTTP_IF_MATCH=etag_b)
    assert second.status_code == 412
    assert second["Content-Type"] == "application/problem+json"
    assert second.json()["code"] == "precondition_failed"
    image.refresh_from_db()
    assert image.pending_name == "by A"  # not lost, not overwritten
    again = colleague.patch(url, {"name": "by B"}, format="json", HTTP_IF_MATCH=first["ETag"])
    assert again.status_code == 202


def test_delete_with_a_stale_etag_is_412_and_deletes_nothing(api_manager):
    image = make_image()
    url = reverse("api:image", args=[image.pk])
    stale = api_manager.get(url)["ETag"]
    api_manager.patch(url, {"name": "renamed meanwhile"}, format="json")
    assert api_manager.delete(url, HTTP_IF_MATCH=stale).status_code == 412
    image.refresh_from_db()
    assert image.status == Status.DOWNLOADED
    for header in ('"nonsense", *', f"W/{stale}"):
        response = api_manager.delete(url, HTTP_IF_MATCH=header)
        assert response.status_code == (202 if "*" in header else 412), header


def test_the_etag_changes_with_what_a_worker_writes(api_manager):
    image = make_image(status=Status.DOWNLOADING, uploaded_size_mb=10.0)
    url = reverse("api:image", args=[image.pk])
    before = api_manager.get(url)["ETag"]
    assert api_manager.get(url)["ETag"] == before  # stable while nothing changes
    Image.objects.filter(pk=image.pk).update(uploaded_size_mb=20.0)
    assert api_manager.get(url)["ETag"] != before
