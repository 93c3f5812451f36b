"""Retry a failed download, replace a downloaded image with a new version, and the lineage."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from images import contabo
from images.models import AuditEvent, Image, Notification, Status
from images.services import lineage, polling
from images.services.intents import NotAllowed
from testkit.factories import make_image

pytestmark = pytest.mark.django_db


def remote_of(image: Image, status: str, **fields) -> contabo.Image:
    """What the API would list for `image` once its download ended."""
    now = datetime.now(UTC)
    values = {
        "image_id": image.remote_id,
        "tenant_id": "DE",
        "customer_id": "12345",
        "name": image.name,
        "description": image.description,
        "url": image.url,
        "size_mb": 100.0,
        "uploaded_size_mb": 100.0 if status == "downloaded" else 10.0,
        "os_type": image.os_type,
        "version": image.version,
        "format": "qcow2",
        "status": status,
        "error_message": "HTTP 404 Not Found" if status == "error" else "",
        "standard_image": False,
        "creation_date": now,
        "last_modified_date": now,
    }
    values.update(fields)
    return contabo.Image(**values)


def finish(image: Image, status: str = "downloaded") -> Image:
    """Play the poll cycle: the submitted image starts downloading, then ends as `status`."""
    Image.objects.filter(pk=image.pk).update(
        status=Status.DOWNLOADING, remote_id=f"remote-{image.pk}"
    )
    image.refresh_from_db()
    changed, finished = polling.apply(image.pk, remote_of(image, status), timezone.now())
    assert changed and finished
    image.refresh_from_db()
    return image


# --- retry: service -----------------------------------------------------------------------------


def test_retry_copies_the_fields_links_and_queues(manager, django_capture_on_commit_callbacks):
    failed = make_image(
        status=Status.FAILED, name="golden", description="base", error_message="404"
    )
    with django_capture_on_commit_callbacks() as callbacks:
        new = lineage.request_retry(failed, user=manager, remove_failed=False)
    assert (new.name, new.url, new.os_type, new.version, new.description) == (
        failed.name,
        failed.url,
        failed.os_type,
        failed.version,
        "base",
    )
    assert new.status == Status.QUEUED
    assert new.replaces == failed
    assert new.requested_by == manager
    assert len(callbacks) == 1  # submit_upload, after commit
    failed.refresh_from_db()
    assert failed.status == Status.FAILED  # kept
    assert list(failed.replaced_by.all()) == [new]
    assert AuditEvent.objects.filter(action="retry", image=new, actor=manager).exists()
    assert AuditEvent.objects.filter(action="retry", image=failed, actor=manager).exists()


def test_retry_can_delete_the_failed_image_through_the_delete_flow(manager):
    failed = make_image(status=Status.FAILED)
    lineage.request_retry(failed, user=manager, remove_failed=True)
    failed.refresh_from_db()
    assert failed.status == Status.DELETING
    assert failed.prior_status == Status.FAILED
    assert AuditEvent.objects.filter(action="delete", image=failed, outcome="requested").exists()


def test_a_failed_image_contabo_never_had_is_removed_locally(manager):
    refused = make_image(status=Status.FAILED, remote_id=None, error_message="415")
    lineage.request_retry(refused, user=manager, remove_failed=True)
    refused.refresh_from_db()
    assert refused.status == Status.DELETED


@pytest.mark.parametrize(
    "status", [Status.DOWNLOADED, Status.DOWNLOADING, Status.QUEUED, Status.DELETED]
)
def test_only_failed_downloads_can_be_retried(manager, status):
    image = make_image(status=status)
    with pytest.raises(NotAllowed, match="Only a failed download"):
        lineage.request_retry(image, user=manager, remove_failed=False)


def test_standard_images_are_never_retried(manager):
    image = make_image(status=Status.FAILED, standard=True)
    with pytest.raises(NotAllowed, match="Standard"):
        lineage.request_retry(image, user=manager, remove_failed=False)


def test_a_second_retry_of_the_same_image_is_refused(manager):
    failed = make_image(status=Status.FAILED)
    first = lineage.request_retry(failed, user=manager, remove_failed=False)
    with pytest.raises(NotAllowed, match="already retried"):
        lineage.request_retry(failed, user=manager, remove_failed=False)
    assert Image.objects.filter(replaces=failed).count() == 1
    # The retry failed too: the user retries that one, and the chain grows.
    Image.objects.filter(pk=first.pk).update(status=Status.FAILED)
    first.refresh_from_db()
    second = lineage.request_retry(first, user=manager, remove_failed=False)
    assert second.replaces == first


# --- replace: service ---------------------------------------------------------------------------


def replace(image, user, delete_old: bool, **fields):
    data = {
        "name": image.name,
        "url": "https://example.com/files/golden-2.qcow2",
        "os_type": image.os_type,
        "version": "24.10",
        "description": "",
    }
    data.update(fields)
    return lineage.request_replace(image, user=user, delete_old_when_done=delete_old, **data)


def test_replace_makes_a_linked_new_version(manager):
    old = make_image(name="golden", version="24.04")
    new = replace(old, manager, delete_old=True)
    assert new.replaces == old
    assert new.delete_replaced_when_done
    assert (new.name, new.version, new.status) == ("golden", "24.10", Status.QUEUED)
    assert AuditEvent.objects.filter(action="replace", image=new).exists()
    assert AuditEvent.objects.filter(action="replace", image=old).exists()


@pytest.mark.parametrize("status", [Status.FAILED, Status.DOWNLOADING, Status.DELETING])
def test_only_downloaded_images_can_be_replaced(manager, status):
    with pytest.raises(NotAllowed, match="Only a downloaded"):
        replace(make_image(status=status), manager, delete_old=False)


def test_one_pending_new_version_at_a_time(manager):
    old = make_image()
    replace(old, manager, delete_old=False)
    with pytest.raises(NotAllowed, match="newer version already exists"):
        replace(old, manager, delete_old=False)


def test_the_old_version_is_deleted_once_the_new_one_is_downloaded(manager):
    old = make_image(name="golden")
    new = replace(old, manager, delete_old=True)
    new = finish(new, "downloaded")
    old.refresh_from_db()
    assert new.status == Status.DOWNLOADED
    assert old.status == Status.DELETING  # the normal delete flow takes it from here
    assert AuditEvent.objects.filter(
        action="delete", image=old, outcome="requested", actor=None
    ).exists()


def test_the_old_version_stays_when_asked_or_when_the_new_one_fails(manager):
    kept = make_image()
    finish(replace(kept, manager, delete_old=False), "downloaded")
    kept.refresh_from_db()
    assert kept.status == Status.DOWNLOADED

    old = make_image()
    new = finish(replace(old, manager, delete_old=True), "error")
    old.refresh_from_db()
    assert new.status == Status.FAILED
    assert old.status == Status.DOWNLOADED


def test_a_retried_replacement_still_deletes_the_version_it_replaces(manager):
    old = make_image(name="golden")
    attempt = finish(replace(old, manager, delete_old=True), "error")
    retry = lineage.request_retry(attempt, user=manager, remove_failed=True)
    assert retry.delete_replaced_when_done
    finish(retry, "downloaded")
    old.refresh_from_db()
    assert old.status == Status.DELETING


def test_a_version_deleted_meanwhile_is_not_passed_over(manager):
    first = make_image(name="golden")
    second = finish(replace(first, manager, delete_old=False), "downloaded")
    third = replace(second, manager, delete_old=True)
    Image.objects.filter(pk=second.pk).update(status=Status.DELETED, prior_status="downloaded")
    finish(third, "downloaded")
    first.refresh_from_db()
    assert first.status == Status.DOWNLOADED  # the wish was about `second`, already gone


def test_download_end_is_announced_once(manager):
    image = finish(make_image(status=Status.QUEUED, remote_id=None), "error")
    assert list(image.notifications.values_list("kind", flat=True)) == [Notification.Kind.ERROR]


# --- pages --------------------------------------------------------------------------------------


def test_viewers_may_not_retry_or_replace(viewer_client):
    failed = make_image(status=Status.FAILED)
    ready = make_image()
    assert viewer_client.post(reverse("images:retry", args=[failed.pk])).status_code == 403
    assert viewer_client.get(reverse("images:replace", args=[ready.pk])).status_code == 403
    assert viewer_client.post(reverse("images:replace", args=[ready.pk])).status_code == 403
    html = viewer_client.get(reverse("images:detail", args=[failed.pk])).content.decode()
    assert "Retry download" not in html
    assert Image.objects.count() == 2


def test_retry_is_post_only(manager_client):
    failed = make_image(status=Status.FAILED)
    assert manager_client.get(reverse("images:retry", args=[failed.pk])).status_code == 405


def test_the_retry_button_queues_and_opens_the_new_image(manager_client):
    failed = make_image(status=Status.FAILED, name="golden", error_message="HTTP 404 Not Found")
    detail = manager_client.get(reverse("images:detail", args=[failed.pk])).content.decode()
    assert 'id="retry-form"' in detail
    assert 'name="remove_failed" checked' in detail
    response = manager_client.post(
        reverse("images:retry", args=[failed.pk]), {"remove_failed": "on"}
    )
    new = Image.objects.get(replaces=failed)
    assert response.status_code == 302
    assert response["Location"] == reverse("images:detail", args=[new.pk])
    failed.refresh_from_db()
    assert failed.status == Status.DELETING
    page = manager_client.get(response["Location"]).content.decode()
    assert "Retrying “golden”" in page
    assert 'id="versions"' in page


def test_retry_unticked_keeps_the_failed_image(manager_client):
    failed = make_image(status=Status.FAILED)
    manager_client.post(reverse("images:retry", args=[failed.pk]))
    failed.refresh_from_db()
    assert failed.status == Status.FAILED
    html = manager_client.get(reverse("images:detail", args=[failed.pk])).content.decode()
    assert 'id="retry-form"' not in html
    assert "Retried as" in html


def test_a_refused_retry_says_why(manager_client):
    ready = make_image()
    response = manager_client.post(reverse("images:retry", args=[ready.pk]), follow=True)
    assert "Only a failed download can be retried" in response.content.decode()
    assert not Image.objects.filter(replaces=ready).exists()


def test_replace_form_is_prefilled(manager_client):
    old = make_image(name="golden", description="base tools", version="24.04")
    detail = manager_client.get(reverse("images:detail", args=[old.pk])).content.decode()
    assert reverse("images:replace", args=[old.pk]) in detail
    response = manager_client.get(reverse("images:replace", args=[old.pk]))
    form = response.context["form"]
    assert response.status_code == 200
    assert form["name"].value() == "golden"
    assert form["os_type"].value() == old.os_type
    assert form["description"].value() == "base tools"
    assert not form["url"].value()
    html = response.content.decode()
    assert f'placeholder="{old.url}"' in html
    assert "now 24.04" in html


def test_replace_validates_like_an_upload(manager_client):
    old = make_image()
    url = reverse("images:replace", args=[old.pk])
    bad = manager_client.post(url, {"name": "x", "url": "ftp://a/b.iso", "os_type": "Linux"})
    assert bad.status_code == 400
    assert bad.context["form"].errors["url"]
    assert bad.context["form"].errors["version"]
    same = manager_client.post(
        url, {"name": "x", "url": old.url, "os_type": "Linux", "version": old.version}
    )
    assert same.status_code == 400
    assert "change at least one" in same.content.decode()
    assert not Image.objects.filter(replaces=old).exists()


def test_replace_submits_a_new_version(manager_client, manager):
    old = make_image(name="golden")
    response = manager_client.post(
        reverse("images:replace", args=[old.pk]),
        {
            "name": "golden",
            "url": "https://example.com/golden-2.qcow2",
            "os_type": "Linux",
            "version": "25.04",
            "delete_old": "on",
        },
    )
    new = Image.objects.get(replaces=old)
    assert response["Location"] == reverse("images:detail", args=[new.pk])
    assert new.delete_replaced_when_done
    assert new.requested_by == manager
    html = manager_client.get(response["Location"]).content.decode()
    assert 'id="retire-note"' in html
    # The old image now points to its newer version and offers no second replacement.
    html = manager_client.get(reverse("images:detail", args=[old.pk])).content.decode()
    assert "Newer version:" in html
    assert 'id="action-replace"' not in html
    refused = manager_client.get(reverse("images:replace", args=[old.pk]))
    assert "newer version already exists" in refused.content.decode()


def test_versions_section_lists_the_chain_with_statuses_and_links(viewer_client, manager):
    first = make_image(name="golden", version="1")
    attempt = finish(replace(first, manager, delete_old=False, version="2"), "error")
    retry = lineage.request_retry(attempt, user=manager, remove_failed=False)
    for image in (first, attempt, retry):
        html = viewer_client.get(reverse("images:detail", args=[image.pk])).content.decode()
        section = html.split('id="versions"', 1)[1].split("</section>", 1)[0]
        assert section.count("<li") == 3
        assert "(this image)" in section
        for other in {first, attempt, retry} - {image}:
            assert reverse("images:detail", args=[other.pk]) in section
        assert "Failed" in section and "Ready" in section and "Queued" in section
        assert "new version" in section and "retry" in section


def test_lineage_costs_no_query_without_versions_and_few_with(
    viewer_client, manager, django_assert_max_num_queries
):
    image = make_image()
    with django_assert_max_num_queries(7):  # the detail page's budget (tests/pages)
        html = viewer_client.get(reverse("images:detail", args=[image.pk])).content.decode()
    assert 'id="versions"' not in html
    new = replace(image, manager, delete_old=False)
    with django_assert_max_num_queries(10):  # + one query per generation, plus one
        html = viewer_client.get(reverse("images:detail", args=[new.pk])).content.decode()
    assert 'id="versions"' in html
