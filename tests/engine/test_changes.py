"""Renames and deletes: requested by a user, carried out against the API, never lost."""

import pytest

from images.contabo import NotFound
from images.models import AuditEvent, Image, Status
from images.services import intents, remote_changes, submit, sync
from images.services.accounts import settings_account
from testkit.factories import make_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def image(api, contabo):
    img = make_upload(f"{contabo.url}/files/x.qcow2?size_mb=1", name="before")
    submit.submit(api, img.pk)
    img.refresh_from_db()
    return img


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("ann")


def test_rename_reaches_the_api(api, image, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        intents.request_rename(image, user=user, name="after", description="new")
    assert len(queued) == 1
    image.refresh_from_db()
    assert (image.name, image.pending_name) == ("before", "after")
    assert remote_changes.rename(api, image.pk)
    image.refresh_from_db()
    assert (image.name, image.description, image.pending_name) == ("after", "new", None)
    assert api.get_image(image.remote_id).name == "after"
    assert image.events.filter(action="rename", outcome=AuditEvent.Outcome.SUCCEEDED).exists()


def test_a_newer_rename_wins_over_one_in_flight(api, image, user):
    intents.request_rename(image, user=user, name="first", description="")
    Image.objects.filter(pk=image.pk).update(pending_name="second")
    applied = remote_changes.rename(api, image.pk)
    assert not applied or Image.objects.get(pk=image.pk).name == "second"
    image.refresh_from_db()
    assert image.pending_name in ("second", None)


def test_a_rename_racing_a_sync_is_not_lost(api, image, user):
    intents.request_rename(image, user=user, name="after", description="")
    sync.sync_images(api, settings_account())  # lists the old name while the rename is pending
    remote_changes.rename(api, image.pk)
    sync.sync_images(api, settings_account())
    image.refresh_from_db()
    assert image.name == "after"


def test_delete_reaches_the_api(api, image, user):
    intents.request_delete(image, user=user)
    image.refresh_from_db()
    assert image.status == Status.DELETING
    assert remote_changes.delete(api, image.pk)
    image.refresh_from_db()
    assert image.status == Status.DELETED
    with pytest.raises(NotFound):
        api.get_image(image.remote_id)


def test_deleting_an_image_already_gone_counts_as_done(api, image, user):
    api.delete_image(image.remote_id)
    intents.request_delete(image, user=user)
    assert remote_changes.delete(api, image.pk)
    image.refresh_from_db()
    assert image.status == Status.DELETED


def test_a_refused_delete_restores_the_image_with_the_reason(api, image, user, contabo):
    intents.request_delete(image, user=user)
    from images.contabo import ClientError

    remote_changes.delete_failed(image.pk, ClientError(409, "in use by an instance", "req-1"))
    image.refresh_from_db()
    assert image.status == Status.DOWNLOADING
    assert "in use by an instance" in image.action_error


def test_standard_images_refuse_rename_and_delete(api, contabo, user):
    sync.sync_images(api, settings_account())
    standard = Image.objects.filter(standard=True).first()
    with pytest.raises(intents.NotAllowed):
        intents.request_rename(standard, user=user, name="x", description="")
    with pytest.raises(intents.NotAllowed):
        intents.request_delete(standard, user=user)


def test_upload_request_is_stored_before_it_is_enqueued(
    user, contabo, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        image = intents.request_upload(
            account=settings_account(),
            user=user,
            name="n",
            url="https://e.com/a.iso",
            os_type="Linux",
            version="1",
        )
    assert Image.objects.get(pk=image.pk).status == Status.QUEUED
    assert len(queued) == 1
