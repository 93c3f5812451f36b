"""Operator command: a read-only probe of an account's Contabo API (run it first on day one)."""

import json

from django.core.management.base import BaseCommand, CommandError

from images.crypto import UndecryptableSecret
from images.management import accounts
from images.services import probe


class Command(BaseCommand):
    help = (
        "Probe Contabo's API read-only for each account (or --account NAME): token, listing, "
        "orderBy, page-size cap, stats, the shapes seen, latencies, and what the dashboard will "
        "do differently. Nothing changes at Contabo; no secret is printed."
    )

    def add_arguments(self, parser):
        accounts.add_argument(parser)
        parser.add_argument("--json", action="store_true", help="one JSON object per account")

    def handle(self, *args, **options):
        failed = []
        for account in accounts.chosen(options):
            try:
                report = probe.probe(account)
            except UndecryptableSecret as exc:
                failed.append(f"{account}: {exc}")
                continue
            if report.error:
                failed.append(f"{account}: {report.error}")
            if options["json"]:
                self.stdout.write(json.dumps(report.as_dict(), indent=2))
            else:
                self.stdout.write(probe.plain(report) + "\n")
        if failed:
            raise CommandError("probe failed: " + "; ".join(failed))
