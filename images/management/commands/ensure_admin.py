"""Create the first administrator with a generated password; `make run` shows it again once the
processes are up (wait_ready reads admin_password_note), until it is changed."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from images.roles import MANAGERS

CHANGE_HINT = "change it with: python manage.py changepassword admin (or under /admin/)"


def _password_file():
    return settings.VAR_DIR / "admin_password"


def admin_password_note() -> str:
    """ "Log in as admin with password …" while the generated password still works, else ""
    (and the kept copy is removed once it was changed)."""
    path = _password_file()
    if not path.exists():
        return ""
    password = path.read_text().strip()
    admin = get_user_model().objects.filter(username="admin").first()
    if admin is None or not admin.check_password(password):
        path.unlink(missing_ok=True)
        return ""
    return f"Log in as 'admin' with password: {password}  ({CHANGE_HINT})"


class Command(BaseCommand):
    help = "Create an 'admin' superuser (in the managers group) if no superuser exists yet."

    def handle(self, *args, **options):
        users = get_user_model()
        if users.objects.filter(is_superuser=True).exists():
            return
        password = secrets.token_urlsafe(12)
        admin = users.objects.create_superuser("admin", email="", password=password)
        admin.groups.add(Group.objects.get(name=MANAGERS))
        path = _password_file()
        path.write_text(password)
        path.chmod(0o600)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created user 'admin' with password: {password}\n"
                f"`make run` shows it again once everything has started, until you {CHANGE_HINT}."
            )
        )
