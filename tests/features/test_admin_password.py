"""`make run` shows the generated admin password again once everything is up, until changed."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from images.management.commands.ensure_admin import admin_password_note


@pytest.mark.django_db(transaction=True)
def test_the_password_is_shown_after_start_until_it_is_changed(live_server, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    created = io.StringIO()
    call_command("ensure_admin", stdout=created)
    password = created.getvalue().split("password: ", 1)[1].split("\n", 1)[0]
    assert (tmp_path / "admin_password").stat().st_mode & 0o077 == 0

    out = io.StringIO()
    call_command("wait_ready", live_server.url, timeout=30, stdout=out)
    assert f"Log in as 'admin' with password: {password}" in out.getvalue()
    assert "python manage.py changepassword admin" in out.getvalue()

    admin = get_user_model().objects.get(username="admin")
    admin.set_password("chosen-by-the-admin")
    admin.save()
    assert admin_password_note() == ""
    assert not (tmp_path / "admin_password").exists()
    again = io.StringIO()
    call_command("ensure_admin", stdout=again)  # a superuser exists: nothing new
    assert again.getvalue() == ""
