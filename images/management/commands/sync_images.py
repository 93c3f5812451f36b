"""Operator command: reconcile the local mirror with Contabo now, in this process."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from images.contabo import ContaboError
from images.contabo.django import get_client
from images.services import sync


class Command(BaseCommand):
    help = "Fetch every image from Contabo and update the local mirror."

    def handle(self, *args, **options):
        try:
            run = sync.sync_images(get_client(), page_size=settings.CONTABO_PAGE_SIZE)
        except ContaboError as exc:
            raise CommandError(f"sync failed: {exc}") from exc
        self.stdout.write(f"added {run.added}, updated {run.updated}, gone {run.gone}")
