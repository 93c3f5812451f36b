"""Operator command: fetch the custom-image stats now and store a quota snapshot."""

from django.core.management.base import BaseCommand, CommandError

from images.contabo import ContaboError
from images.contabo.django import get_client
from images.management import accounts
from images.services import sync


class Command(BaseCommand):
    help = "Fetch the custom-image stats from Contabo and record a quota snapshot (each account)."

    def add_arguments(self, parser):
        accounts.add_argument(parser)

    def handle(self, *args, **options):
        for account in accounts.chosen(options):
            try:
                snap = sync.refresh_stats(get_client(account), account)
            except ContaboError as exc:
                raise CommandError(f"stats of {account} failed: {exc}") from exc
            if snap is None:
                self.stdout.write(f"{account}: stats incomplete, no snapshot recorded")
                continue
            self.stdout.write(
                f"{account}: {snap.image_count} images, {snap.used_mb:.0f} of "
                f"{snap.total_mb:.0f} MB used ({snap.free_mb:.0f} MB free)"
            )
