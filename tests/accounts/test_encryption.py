"""Account secrets at rest: encrypted in the column, rotated by key order, never shown."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from images import crypto
from images.admin_accounts import AccountForm
from images.contabo.django import config_for
from images.models import Account
from images.services.accounts import settings_account
from testkit.factories import make_account

pytestmark = pytest.mark.django_db


def _raw_columns(account: Account) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM images_account WHERE id = %s", [account.pk])
        return [str(value) for value in cursor.fetchone()]


def test_the_database_holds_no_plaintext_secret():
    account = make_account("Alpha")
    raw = " ".join(_raw_columns(account))
    assert "secret-of-Alpha" not in raw
    assert "password-of-Alpha" not in raw
    fresh = Account.objects.get(pk=account.pk)
    assert fresh.client_secret() == "secret-of-Alpha"
    assert fresh.api_password() == "password-of-Alpha"


def test_the_client_config_gets_the_decrypted_secrets(settings):
    settings.CONTABO_READ_TIMEOUT = 7.0
    config = config_for(make_account("Alpha"))
    assert config.client_secret == "secret-of-Alpha"
    assert config.api_password == "password-of-Alpha"
    assert config.read_timeout == 7.0
    assert "secret-of-Alpha" not in repr(config)


def test_str_and_repr_never_show_secrets():
    account = make_account("Alpha")
    for text in (str(account), repr(account)):
        assert "secret-of" not in text and "password-of" not in text
        assert account.client_secret_encrypted not in text


def test_a_new_key_in_front_still_reads_old_secrets_and_rotation_moves_them(settings):
    old = settings.ACCOUNTS_ENCRYPTION_KEYS[0]
    account = make_account("Alpha")
    new = Fernet.generate_key().decode()
    settings.ACCOUNTS_ENCRYPTION_KEYS = [new, old]
    assert Account.objects.get(pk=account.pk).client_secret() == "secret-of-Alpha"

    call_command("rotate_account_secrets", stdout=io.StringIO())
    settings.ACCOUNTS_ENCRYPTION_KEYS = [new]  # the old key retired
    fresh = Account.objects.get(pk=account.pk)
    assert fresh.client_secret() == "secret-of-Alpha"
    assert fresh.api_password() == "password-of-Alpha"


def test_a_wrong_key_is_a_clear_error(settings):
    account = make_account("Alpha")
    settings.ACCOUNTS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.UndecryptableSecret, match="ACCOUNTS_ENCRYPTION_KEYS") as caught:
        Account.objects.get(pk=account.pk).client_secret()
    assert "Alpha" in str(caught.value)


def test_a_malformed_key_is_a_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.ACCOUNTS_ENCRYPTION_KEYS = ["not-a-fernet-key"]
    with pytest.raises(ImproperlyConfigured, match="Fernet keys"):
        crypto.encrypt("x")


def _form_data(**overrides) -> dict:
    data = {
        "name": "Charlie",
        "api_url": "https://api.example.com",
        "auth_url": "https://auth.example.com/token",
        "client_id": "cid",
        "api_user": "ops@example.com",
        "client_secret": "",
        "api_password": "",
    }
    data.update(overrides)
    return data


def test_admin_form_needs_secrets_for_a_new_account_and_encrypts_them():
    assert not AccountForm(_form_data()).is_valid()
    form = AccountForm(_form_data(client_secret="s3cret", api_password="pa55"))
    assert form.is_valid(), form.errors
    account = form.save()
    assert account.client_secret() == "s3cret"
    assert "s3cret" not in " ".join(_raw_columns(account))


def test_admin_form_never_renders_a_secret_and_blank_keeps_it():
    account = make_account("Alpha")
    form = AccountForm(instance=account)
    html = form.as_p()
    assert "secret-of-Alpha" not in html
    assert account.client_secret_encrypted not in html
    assert 'type="password"' in html
    form = AccountForm(_form_data(name="Alpha renamed"), instance=account)
    assert form.is_valid(), form.errors
    form.save()
    fresh = Account.objects.get(pk=account.pk)
    assert fresh.name == "Alpha renamed"
    assert fresh.client_secret() == "secret-of-Alpha"


def test_admin_change_page_shows_no_secret(admin_client):
    account = make_account("Alpha")
    html = admin_client.get(f"/admin/images/account/{account.pk}/change/").content.decode()
    assert "secret-of-Alpha" not in html
    assert account.client_secret_encrypted not in html
    assert account.api_password_encrypted not in html
    from_settings = settings_account()
    html = admin_client.get(f"/admin/images/account/{from_settings.pk}/change/")
    assert "From the CONTABO_* settings" in html.content.decode()


def test_a_task_of_an_account_with_an_undecryptable_secret_says_so_on_its_heartbeat(settings):
    from images import tasks
    from images.models import Heartbeat

    account = make_account("Alpha")
    settings.ACCOUNTS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    assert tasks.sync_images.apply(args=[account.pk]).get() == {"failed": True}
    assert tasks.poll_downloads.apply(args=[account.pk]).get() == {"failed": True}
    beat = Heartbeat.objects.get(name=account.job_key("sync"))
    assert beat.failing and "ACCOUNTS_ENCRYPTION_KEYS" in beat.error


def test_an_upload_in_an_account_no_key_opens_fails_visibly(settings):
    from images import tasks
    from images.models import Image, Status

    account = make_account("Alpha")
    image = Image.objects.create(
        account=account, name="n", url="https://e.com/a.iso", os_type="Linux", version="1"
    )
    settings.ACCOUNTS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    tasks.submit_upload.apply(args=[image.pk])
    image.refresh_from_db()
    assert image.status == Status.FAILED
    assert "ACCOUNTS_ENCRYPTION_KEYS" in image.error_message
