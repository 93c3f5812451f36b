"""The tasks' retry policy: transient errors are retried, then end in a visible error."""

import pytest

from images import tasks
from images.models import AuditEvent, Image, Status
from testkit.factories import make_upload

pytestmark = pytest.mark.django_db


def queued(sandbox, ext="qcow2") -> Image:
    return make_upload(sandbox.file_url(f"t.{ext}", 1), name="t")


def test_transient_errors_are_retried_then_shown(contabo):
    contabo.set_faults(error_rate=1.0)
    image = queued(contabo)
    tasks.submit_upload.apply(args=[image.pk])  # eager: each retry runs at once
    image.refresh_from_db()
    assert image.status == Status.FAILED
    assert image.error_message
    assert image.submit_attempts == tasks.MAX_RETRIES + 1
    assert contabo.calls()["createCustomImage"] == 1, "retries look before they post again"
    assert image.events.filter(outcome=AuditEvent.Outcome.FAILED).exists()


def test_a_final_answer_is_not_retried(contabo):
    image = queued(contabo, ext="zip")
    tasks.submit_upload.apply(args=[image.pk])
    image.refresh_from_db()
    assert image.status == Status.FAILED
    assert contabo.calls()["createCustomImage"] == 1


def test_a_transient_failure_then_success_submits_once(contabo):
    contabo.set_faults(error_rate=1.0)
    image = queued(contabo)
    from images.services import submit

    submit.claim(image.pk)
    submit.release_for_retry(image.pk)
    contabo.set_faults(error_rate=0)
    tasks.submit_upload.apply(args=[image.pk])
    image.refresh_from_db()
    assert image.status in (Status.DOWNLOADING, Status.DOWNLOADED)
    assert contabo.calls()["createCustomImage"] == 1
