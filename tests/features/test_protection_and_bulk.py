"""Delete protection and the bulk actions, at the service level (tasks recorded, not run)."""

import pytest

from images.models import AuditEvent, Image, Status
from images.services import bulk, lineage, protection
from images.services.intents import NotAllowed, request_delete
from testkit.factories import make_image

pytestmark = pytest.mark.django_db


def statuses(*images) -> list[str]:
    return [Image.objects.get(pk=i.pk).status for i in images]


def new_version(image, user, *, delete_old: bool):
    return lineage.request_replace(
        image,
        user=user,
        name="golden",
        url="https://example.com/g2.qcow2",
        os_type="Linux",
        version="2",
        delete_old_when_done=delete_old,
    )


# --- protection ---------------------------------------------------------------------------------


def test_protect_then_unprotect_is_audited_once_each(manager):
    image = make_image(name="golden")
    assert protection.set_protected(image, user=manager, protected=True) is True
    assert protection.set_protected(image, user=manager, protected=True) is False  # no-op
    assert Image.objects.get(pk=image.pk).protected
    assert protection.set_protected(image, user=manager, protected=False) is True
    events = AuditEvent.objects.filter(image=image).order_by("at", "id")
    assert [(e.action, e.outcome, e.actor) for e in events] == [
        ("protect", "succeeded", manager),
        ("unprotect", "succeeded", manager),
    ]


def test_standard_and_deleted_images_cannot_be_protected(manager):
    for image in (make_image(standard=True), make_image(status=Status.DELETED)):
        with pytest.raises(NotAllowed):
            protection.set_protected(image, user=manager, protected=True)
        assert not Image.objects.get(pk=image.pk).protected


def test_a_protected_image_is_not_deleted_until_unprotected(manager, sent_tasks):
    image = make_image(name="golden", protected=True)
    with pytest.raises(NotAllowed, match="“golden” is protected against deletion"):
        request_delete(image, user=manager)
    assert statuses(image) == [Status.DOWNLOADED]
    assert sent_tasks == []
    protection.set_protected(image, user=manager, protected=False)
    request_delete(Image.objects.get(pk=image.pk), user=manager)
    assert statuses(image) == [Status.DELETING]


def test_protected_in_the_meantime_wins_over_a_stale_delete(manager, sent_tasks):
    """A delete decided on a row read before the image was protected still does nothing."""
    stale = make_image(name="golden")
    Image.objects.filter(pk=stale.pk).update(protected=True)
    with pytest.raises(NotAllowed, match="can no longer be deleted"):
        request_delete(stale, user=manager)  # `stale.protected` is still False
    assert statuses(stale) == [Status.DOWNLOADED]


def test_replace_and_retry_do_not_delete_a_protected_image(manager, sent_tasks):
    ready = make_image(name="golden", protected=True)
    with pytest.raises(NotAllowed, match="protected"):
        new_version(ready, manager, delete_old=True)
    kept = new_version(ready, manager, delete_old=False)
    assert kept.replaces_id == ready.pk
    failed = make_image(name="broken", status=Status.FAILED, protected=True)
    with pytest.raises(NotAllowed, match="protected"):
        lineage.request_retry(failed, user=manager, remove_failed=True)
    retried = lineage.request_retry(failed, user=manager, remove_failed=False)
    assert statuses(failed, retried) == [Status.FAILED, Status.QUEUED]


def test_a_protected_old_version_is_kept_when_its_successor_is_ready(manager, sent_tasks):
    old = make_image(name="golden")
    new = new_version(old, manager, delete_old=True)
    protection.set_protected(old, user=manager, protected=True)  # changed their mind
    Image.objects.filter(pk=new.pk).update(status=Status.DOWNLOADED, remote_id="r-new")
    assert lineage.retire_replaced(Image.objects.get(pk=new.pk)) is None
    assert statuses(old) == [Status.DOWNLOADED]
    failed = AuditEvent.objects.get(image=old, action="replace", outcome="failed")
    assert "protected against deletion" in failed.message


# --- bulk ---------------------------------------------------------------------------------------


def test_bulk_delete_queues_each_and_says_why_others_are_refused(
    manager, sent_tasks, django_capture_on_commit_callbacks
):
    a, b = make_image(name="a", size_mb=300), make_image(name="b", size_mb=700)
    kept = make_image(name="kept", protected=True)
    std = make_image(name="debian", standard=True)
    queued = make_image(name="new", status=Status.QUEUED)
    preview = bulk.delete_preview([a, b, kept, std, queued], may_manage=True)
    assert preview.freed_mb == 1000
    assert sent_tasks == [] and statuses(a, b) == [Status.DOWNLOADED] * 2  # only a preview

    with django_capture_on_commit_callbacks(execute=True):
        outcome = bulk.bulk_delete([a, b, kept, std, queued], user=manager, may_manage=True)
    assert [i.name for i in outcome.queued] == ["a", "b"]
    assert [(i.name, why) for i, why in outcome.refused] == [
        ("kept", "protected against deletion"),
        ("debian", bulk.STANDARD),
        ("new", "still queued for download"),
    ]
    assert statuses(a, b, kept) == [Status.DELETING, Status.DELETING, Status.DOWNLOADED]
    assert sent_tasks == [("delete_image", (a.pk,)), ("delete_image", (b.pk,))]
    assert AuditEvent.objects.filter(action="delete", outcome="requested").count() == 2


def test_bulk_actions_refuse_everything_for_a_viewer(viewer, sent_tasks):
    image, failed = make_image(), make_image(status=Status.FAILED)
    deleted = bulk.bulk_delete([image], user=viewer, may_manage=False)
    retried = bulk.bulk_retry([failed], user=viewer, may_manage=False, remove_failed=True)
    assert deleted.refused == [(image, bulk.NOT_MANAGER)]
    assert retried.refused == [(failed, bulk.NOT_MANAGER)]
    assert deleted.queued == retried.queued == [] and sent_tasks == []


def test_bulk_retry_makes_one_new_download_per_failed_image(manager, sent_tasks):
    x = make_image(name="x", status=Status.FAILED)
    y = make_image(name="y", status=Status.FAILED, protected=True)
    ready = make_image(name="ready")
    outcome = bulk.bulk_retry([x, y, ready], user=manager, may_manage=True, remove_failed=True)
    assert [(i.name, i.status, i.replaces_id) for i in outcome.queued] == [
        ("x", Status.QUEUED, x.pk)
    ]
    reasons = dict((i.name, why) for i, why in outcome.refused)
    assert reasons["y"].startswith("protected against deletion")
    assert reasons["ready"] == "Only a failed download can be retried."
    again = bulk.bulk_retry([x], user=manager, may_manage=True, remove_failed=False)
    assert again.queued == [] and "already retried" in again.refused[0][1]
