"""Which Procfile processes `make run` starts: every one, the sandbox only without Contabo
credentials."""

from django.conf import settings
from django.core.management.base import BaseCommand


def procfile_names() -> list[str]:
    lines = (settings.BASE_DIR / "Procfile").read_text().splitlines()
    return [line.partition(":")[0] for line in lines if line.strip() and not line.startswith("#")]


class Command(BaseCommand):
    help = "Print the Procfile process names to run, for `make run`."

    def handle(self, *args, **options):
        names = procfile_names()
        if not settings.CONTABO_USES_SANDBOX:
            names.remove("sandbox")
        self.stdout.write(" ".join(names))
