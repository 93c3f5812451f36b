"""Races between a user's new intent and a task finishing an older one, through the sandbox."""

import pytest

from images.models import AuditEvent
from testkit.factories import make_image

pytestmark = pytest.mark.django_db


def test_a_failed_rename_keeps_a_newer_one_pending(contabo, manager, monkeypatch):
    """Found here: a rename refused by Contabo used to clear every pending name, including a
    newer one the user asked for while the refused one was on its way."""
    from images import tasks
    from images.contabo.django import get_client
    from images.services import intents

    image = make_image(name="old", remote_id="00000000-0000-4000-8000-00000000beef")  # unknown
    intents.request_rename(image, user=manager, name="first", description="")
    client = get_client()
    send = client.update_image

    def user_renames_again_meanwhile(*args, **kwargs):
        intents.request_rename(image, user=manager, name="second", description="")
        return send(*args, **kwargs)  # the sandbox answers 404: a final error

    monkeypatch.setattr(client, "update_image", user_renames_again_meanwhile)
    tasks.rename_image.apply(args=[image.pk])
    image.refresh_from_db()
    assert image.pending_name == "second"
    assert image.action_error == ""
    assert AuditEvent.objects.filter(action="rename", outcome="failed").count() == 1
