"""Operator command: reconcile the local mirror with Contabo now, in this process."""

from django.core.management.base import BaseCommand, CommandError

from images.contabo import ContaboError
from images.contabo.django import get_client
from images.management import accounts
from images.services import sync


class Command(BaseCommand):
    help = "Fetch every image from Contabo and update the local mirror (each account)."

    def add_arguments(self, parser):
        accounts.add_argument(parser)

    def handle(self, *args, **options):
        for account in accounts.chosen(options):
            try:
                run = sync.sync_images(get_client(account), account=account)
            except ContaboError as exc:
                raise CommandError(f"sync of {account} failed: {exc}") from exc
            counts = f"added {run.added}, updated {run.updated}, gone {run.gone}"
            self.stdout.write(f"{account}: {counts}")
