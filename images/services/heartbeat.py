"""When each background job last succeeded or failed, so pages can say how fresh they are.

Named per account: `poll:<account id>` (Account.job).
"""

from django.utils import timezone

from images.models import Heartbeat


def ok(name: str) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"ok_at": timezone.now()})


def failed(name: str, exc: Exception) -> None:
    """Record a failure (a ContaboError, or an account's undecryptable secret)."""
    Heartbeat.objects.update_or_create(
        name=name,
        defaults={"error_at": timezone.now(), "error": str(exc)},
    )
