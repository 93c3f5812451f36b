"""Create the first administrator with a generated password, printed once."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from images.roles import MANAGERS


class Command(BaseCommand):
    help = "Create an 'admin' superuser (in the managers group) if no superuser exists yet."

    def handle(self, *args, **options):
        users = get_user_model()
        if users.objects.filter(is_superuser=True).exists():
            return
        password = secrets.token_urlsafe(12)
        admin = users.objects.create_superuser("admin", email="", password=password)
        admin.groups.add(Group.objects.get(name=MANAGERS))
        self.stdout.write(
            self.style.SUCCESS(
                f"Created user 'admin' with password: {password}\n"
                "It is shown only this once; change it under /admin/ if you like."
            )
        )
