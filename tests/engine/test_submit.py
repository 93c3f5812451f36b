"""Submitting uploads: the create call, its failures, and never two remote images for one."""

from datetime import timedelta

import pytest
from django.utils import timezone

from images.contabo import TransientError
from images.models import AuditEvent, Image, Status
from images.services import submit
from images.services.accounts import settings_account

pytestmark = pytest.mark.django_db


def queued(sandbox, name="demo", size_mb=1, ext="qcow2", **fields) -> Image:
    return Image.objects.create(
        account=settings_account(),
        name=name,
        url=f"{sandbox.url}/files/{name}.{ext}?size_mb={size_mb}",
        os_type="Linux",
        version="1.0",
        **fields,
    )


def remote_named(api, name):
    return [i for i in api.iter_images(standard_image=False) if i.name == name]


def test_submit_records_remote_id_and_request_id(api, contabo):
    image = queued(contabo)
    submit.submit(api, image.pk)
    image.refresh_from_db()
    assert image.status == Status.DOWNLOADING
    assert [r.image_id for r in remote_named(api, "demo")] == [image.remote_id]
    event = image.events.get(action="submit", outcome=AuditEvent.Outcome.SUCCEEDED)
    assert len(event.request_id) == 36


def test_a_second_run_of_the_same_task_does_nothing(api, contabo):
    image = queued(contabo)
    submit.submit(api, image.pk)
    assert submit.submit(api, image.pk) is None
    assert len(remote_named(api, "demo")) == 1


def test_retry_after_a_crash_adopts_the_image_instead_of_posting_again(api, contabo):
    """The worker died after Contabo accepted the POST but before the row was written."""
    image = queued(contabo)
    api.create_image(name=image.name, url=image.url, os_type="Linux", version="1.0")
    Image.objects.filter(pk=image.pk).update(
        status=Status.SUBMITTING,
        submit_attempts=1,
        submit_started_at=timezone.now() - timedelta(seconds=submit.claim_seconds() + 1),
    )
    submit.submit(api, image.pk)
    image.refresh_from_db()
    remotes = remote_named(api, "demo")
    assert len(remotes) == 1
    assert image.remote_id == remotes[0].image_id
    assert image.status in (Status.DOWNLOADING, Status.DOWNLOADED)


def test_a_fresh_claim_held_by_another_worker_is_left_alone(api, contabo):
    image = queued(contabo, status=Status.SUBMITTING, submit_started_at=timezone.now())
    assert submit.submit(api, image.pk) is None
    assert remote_named(api, "demo") == []


def test_unsupported_media_type_ends_in_a_visible_error(api, contabo):
    from images.contabo import UnsupportedMediaType

    image = queued(contabo, ext="zip")
    with pytest.raises(UnsupportedMediaType) as caught:
        submit.submit(api, image.pk)
    submit.fail(image.pk, caught.value)
    image.refresh_from_db()
    assert image.status == Status.FAILED
    assert image.error_message
    event = image.events.get(outcome=AuditEvent.Outcome.FAILED)
    assert event.request_id == caught.value.request_id


def test_release_for_retry_requeues_and_the_retry_checks_the_api_first(api, contabo):
    image = queued(contabo)
    submit.claim(image.pk)
    submit.release_for_retry(image.pk)
    image.refresh_from_db()
    assert image.status == Status.QUEUED
    contabo.reset_calls()
    submit.submit(api, image.pk)
    calls = contabo.calls()
    assert calls["retrieveImageList"] >= 1, "a retry must look before it posts"
    assert calls["createCustomImage"] == 1


def test_transient_error_is_typed_retryable(api, contabo):
    contabo.set_faults(error_rate=1.0)
    image = queued(contabo)
    with pytest.raises(TransientError) as caught:
        submit.submit(api, image.pk)
    assert caught.value.retryable
