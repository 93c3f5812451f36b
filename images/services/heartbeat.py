"""When each background job last succeeded or failed, so pages can say how fresh they are.

Named per account: `poll:<account id>` (Account.job_key).
"""

from django.utils import timezone

from images.models import Heartbeat


def ok(name: str, note: str | None = None) -> None:
    """Record a success; `note` (when given) replaces what the last run skipped ("" = nothing)."""
    defaults = {"ok_at": timezone.now()}
    if note is not None:
        defaults["note"] = note
    Heartbeat.objects.update_or_create(name=name, defaults=defaults)


def failed(name: str, exc: Exception | str) -> None:
    """Record a failure (a ContaboError, an account's undecryptable secret, or its text)."""
    Heartbeat.objects.update_or_create(
        name=name,
        defaults={"error_at": timezone.now(), "error": str(exc)},
    )


def started(name: str) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"started_at": timezone.now()})


def due(name: str, interval: float) -> bool:
    """True unless a run of this job began in the current time slot: fixed `interval`-long
    slots of the clock, so at most one run per slot however many beats tick."""
    last = Heartbeat.objects.filter(name=name).values_list("started_at", flat=True).first()
    if last is None:
        return True
    return int(timezone.now().timestamp() // interval) != int(last.timestamp() // interval)
