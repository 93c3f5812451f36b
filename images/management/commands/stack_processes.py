"""Which Procfile processes `make run` starts: the sandbox only without Contabo credentials."""

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print the Procfile process names to run, for `make run`."

    def handle(self, *args, **options):
        names = ["web", "worker", "poller", "background", "beat"]
        if settings.CONTABO_USES_SANDBOX:
            names.append("sandbox")
        self.stdout.write(" ".join(names))
