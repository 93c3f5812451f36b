"""Operator command: re-encrypt every account's secrets under the newest key."""

from django.core.management.base import BaseCommand

from images.models import Account


class Command(BaseCommand):
    help = (
        "Re-encrypt the stored account secrets with the first key of ACCOUNTS_ENCRYPTION_KEYS; "
        "afterwards the older keys can be removed."
    )

    def handle(self, *args, **options):
        count = 0
        for account in Account.objects.filter(from_settings=False):
            account.rotate_secrets()
            account.save(update_fields=["client_secret_encrypted", "api_password_encrypted"])
            count += 1
        self.stdout.write(f"re-encrypted the secrets of {count} account(s)")
