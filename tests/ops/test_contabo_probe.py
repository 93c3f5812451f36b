"""`manage.py contabo_probe`: a read-only look at the account's API, plain and in an odd dialect."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from images.contabo.auth import token_key
from images.contabo.django import DjangoCacheTokenStore, config_from_settings
from images.models import Image, QuotaSnapshot

pytestmark = pytest.mark.django_db

ODD = {
    "refuse_order_by": "creationDate",
    "page_size_cap": 50,
    "null_fields": "description,errorMessage",
    "extra_fields": True,
    "numbers_as_text": True,
    "token_flaps": 1,
}


def probe(*args) -> str:
    out = StringIO()
    call_command("contabo_probe", *args, stdout=out)
    return out.getvalue()


def _secrets(sandbox) -> list[str]:
    return [sandbox.client_secret, sandbox.password]


def test_plain_api_needs_nothing_different(contabo):
    contabo.seed(3)
    contabo.reset_calls()
    text = probe()
    assert "Nothing: this account answers as the spec says." in text
    assert "orderBy: creationDate:desc accepted" in text
    assert "Page size: asked 100, given 100" in text
    assert "Status values seen: downloaded x" in text
    calls = contabo.calls()
    assert calls["createCustomImage"] == calls["updateImage"] == calls["deleteImage"] == 0
    assert calls["retrieveImageList"] == 5 and calls["retrieveCustomImagesStats"] == 1
    assert not any(secret in text for secret in _secrets(contabo))
    assert not Image.objects.exists() and not QuotaSnapshot.objects.exists()  # writes nothing


def test_an_odd_dialect_is_described_with_what_changes(contabo):
    [odd_id, bad_id] = contabo.seed(2, status="processing")
    contabo.set_faults(**ODD, malformed_ids=bad_id)
    DjangoCacheTokenStore().delete(token_key(config_from_settings()))
    report = json.loads(probe("--json"))
    assert report["token_retries"] == 1
    assert report["orders"]["creationDate:desc"].startswith("refused: 400")
    assert report["orders"]["lastModifiedDate:desc"] == "accepted"
    assert (report["page_size_asked"], report["page_size_given"]) == (100, 50)
    assert report["statuses"]["processing"] >= 1
    assert {"null:description", "unknown:region", "text-as-number:sizeMb"} <= set(report["quirks"])
    assert report["unreadable"][0].startswith(bad_id)
    verdict = " ".join(report["verdict"])
    for expected in (
        "401 invalid_grant 1 time(s)",
        "polling will list with orderBy=lastModifiedDate:desc",
        "capped at 50 images",
        "'processing'",
        "1 item(s) cannot be read",
    ):
        assert expected in verdict
    assert odd_id
    assert not any(secret in json.dumps(report) for secret in _secrets(contabo))


def test_an_account_that_cannot_sign_in_says_where_it_stopped(contabo, settings):
    settings.CONTABO_API_PASSWORD = "not-the-password"
    with pytest.raises(CommandError, match="Invalid user credentials"):
        probe("--account", "Default")
    settings.CONTABO_API_PASSWORD = contabo.password
