"""Bulk actions on the list and delete protection, through the pages (tasks recorded)."""

import pytest
from django.urls import reverse

from images.models import AuditEvent, Image, Status
from testkit.factories import make_image

pytestmark = pytest.mark.django_db
LIST = reverse("images:list")
BULK = reverse("images:bulk")


def status_of(image) -> str:
    return Image.objects.get(pk=image.pk).status


def test_the_list_offers_checkboxes_and_bulk_buttons_to_managers(manager_client):
    image = make_image(name="a")
    html = manager_client.get(LIST).content.decode()
    assert f'name="ids" value="{image.pk}" form="bulk-form"' in html
    assert 'id="select-page"' in html
    assert 'name="scope" value="filter"' in html
    assert "Delete selected…" in html and "Retry selected failed" in html


def test_viewers_see_no_bulk_actions(viewer_client):
    make_image(name="a")
    html = viewer_client.get(LIST).content.decode()
    assert 'form="bulk-form"' not in html and 'id="bulk-form"' not in html


def test_bulk_delete_confirms_with_names_and_space_then_queues_each(
    manager_client, sent_tasks, django_capture_on_commit_callbacks
):
    a, b = make_image(name="alpha", size_mb=1024), make_image(name="bravo", size_mb=2048)
    kept = make_image(name="keeper", protected=True)
    std = make_image(name="debian-12", standard=True)
    ticked = {"action": "delete", "ids": [a.pk, b.pk, kept.pk, std.pk]}
    confirm = manager_client.post(BULK, ticked)
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "<h1>Delete 2 images?</h1>" in html
    assert "<strong>3.0 GB</strong> of image storage will be freed" in html
    assert "alpha" in html and "bravo" in html
    assert 'keeper</span>: <span class="muted">protected against deletion' in html
    assert 'debian-12</span>: <span class="muted">a standard image' in html
    assert sent_tasks == [] and status_of(a) == Status.DOWNLOADED  # nothing yet

    with django_capture_on_commit_callbacks(execute=True):
        done = manager_client.post(BULK, {"action": "delete", "confirm": "1", "ids": [a.pk, b.pk]})
    assert done.status_code == 200
    page = done.content.decode()
    assert "2 images queued for deletion" in page
    assert "3.0 GB will be freed" in page
    assert [status_of(i) for i in (a, b, kept)] == ["deleting", "deleting", "downloaded"]
    assert sorted(sent_tasks) == [("delete_image", (a.pk,)), ("delete_image", (b.pk,))]


def test_select_all_matching_the_filter(manager_client, sent_tasks):
    for n in range(3):
        make_image(name=f"web-{n}", status=Status.FAILED)
    make_image(name="db-1", status=Status.FAILED)
    response = manager_client.post(
        BULK, {"action": "retry", "scope": "filter", "q": "web", "remove_failed": ""}
    )
    assert response.status_code == 200
    assert "3 images queued for download" in response.content.decode()
    assert Image.objects.filter(name__startswith="web", status=Status.QUEUED).count() == 3
    assert not Image.objects.filter(name="db-1", status=Status.QUEUED).exists()


def test_a_viewer_gets_every_image_refused_as_not_a_manager(viewer_client, sent_tasks):
    image = make_image(name="a", status=Status.FAILED)
    response = viewer_client.post(BULK, {"action": "retry", "ids": [image.pk]})
    assert response.status_code == 409
    assert "you are not a manager of this account" in response.content.decode()
    assert sent_tasks == []


def test_nothing_ticked_or_another_accounts_ids_change_nothing(manager_client, sent_tasks):
    response = manager_client.post(BULK, {"action": "delete", "ids": ["999999", "x"]})
    assert response.status_code == 302
    assert sent_tasks == []


def test_protect_and_unprotect_from_the_detail_page(manager_client, manager):
    image = make_image(name="golden")
    detail = reverse("images:detail", args=[image.pk])
    protect = reverse("images:protect", args=[image.pk])
    assert 'id="action-protect"' in manager_client.get(detail).content.decode()
    manager_client.post(protect, {"protected": "on"})
    html = manager_client.get(detail).content.decode()
    assert "Protected against deletion" in html
    assert 'id="action-delete"' not in html
    delete = manager_client.post(reverse("images:delete", args=[image.pk]))
    assert delete.status_code == 409
    assert "is protected against deletion: unprotect it first" in delete.content.decode()
    assert status_of(image) == Status.DOWNLOADED
    manager_client.post(protect, {})
    assert 'id="action-delete"' in manager_client.get(detail).content.decode()
    actions = list(AuditEvent.objects.filter(image=image).values_list("action", "actor"))
    assert actions == [("unprotect", manager.pk), ("protect", manager.pk)]


def test_viewers_cannot_protect(viewer_client):
    image = make_image()
    response = viewer_client.post(reverse("images:protect", args=[image.pk]), {"protected": "on"})
    assert response.status_code == 403
    assert not Image.objects.get(pk=image.pk).protected
