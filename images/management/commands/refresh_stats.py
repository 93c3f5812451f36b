"""Operator command: fetch the custom-image stats now and store a quota snapshot."""

from django.core.management.base import BaseCommand, CommandError

from images.contabo import ContaboError
from images.contabo.django import get_client
from images.services import sync


class Command(BaseCommand):
    help = "Fetch the custom-image stats from Contabo and record a quota snapshot."

    def handle(self, *args, **options):
        try:
            snap = sync.refresh_stats(get_client())
        except ContaboError as exc:
            raise CommandError(f"stats failed: {exc}") from exc
        self.stdout.write(
            f"{snap.image_count} images, {snap.used_mb:.0f} of {snap.total_mb:.0f} MB used "
            f"({snap.free_mb:.0f} MB free)"
        )
