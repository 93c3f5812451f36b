"""`--account NAME` for the operator commands: every account when it is left out."""

from django.core.management.base import CommandError

from images.models import Account


def add_argument(parser) -> None:
    parser.add_argument("--account", help="the account's name (default: every account)")


def chosen(options) -> list[Account]:
    accounts = Account.objects.all()
    if options.get("account"):
        accounts = accounts.filter(name=options["account"])
        if not accounts:
            raise CommandError(f"no account named {options['account']!r}")
    return list(accounts)
