"""Which Procfile processes `make run` starts: every one, the sandbox only without Contabo
credentials."""

from django.conf import settings
from django.core.management.base import BaseCommand

from dashboard.stack import procfile


class Command(BaseCommand):
    help = "Print the Procfile process names to run, for `make run`."

    def handle(self, *args, **options):
        names = [n for n in procfile() if settings.CONTABO_USES_SANDBOX or n != "sandbox"]
        self.stdout.write(" ".join(names))
