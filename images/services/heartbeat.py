"""When each background job last succeeded or failed, so pages can say how fresh they are.

Named per account: `poll:<account id>` (Account.job_key).
"""

from datetime import UTC, datetime

from django.db.models import Q
from django.utils import timezone

from images.models import Heartbeat


def ok(name: str, note: str | None = None) -> None:
    """Record a success; `note` (when given) replaces what the last run skipped ("" = nothing).
    One UPDATE when the row exists (every run but the first)."""
    defaults = {"ok_at": timezone.now()}
    if note is not None:
        defaults["note"] = note
    if not Heartbeat.objects.filter(name=name).update(**defaults):
        Heartbeat.objects.update_or_create(name=name, defaults=defaults)


def failed(name: str, exc: Exception | str) -> None:
    """Record a failure (a ContaboError, an account's undecryptable secret, or its text)."""
    Heartbeat.objects.update_or_create(
        name=name,
        defaults={"error_at": timezone.now(), "error": str(exc)},
    )


def begin(name: str, spacing: float | None = None) -> bool:
    """Record that a run of this job begins now; with `spacing`, only if none began in the
    current `spacing`-long slot of the clock (fixed slots, so at most one run per slot however
    many beats tick). False when one already did. One conditional UPDATE when the row exists;
    either way the run sent is taken off the queue."""
    now = timezone.now()
    rows = Heartbeat.objects.filter(name=name)
    if spacing:
        rows = rows.filter(Q(started_at__isnull=True) | Q(started_at__lt=slot_start(now, spacing)))
    if rows.update(started_at=now, queued_at=None):
        return True
    _, created = Heartbeat.objects.get_or_create(name=name, defaults={"started_at": now})
    if not created:
        taken(name)
    return created


def queued(names: list[str]) -> None:
    """The beat is sending these jobs a run (see `queued_at`)."""
    Heartbeat.objects.filter(name__in=names).update(queued_at=timezone.now())


def taken(name: str) -> None:
    """A run sent to this job was taken off the queue (`begin` says so itself)."""
    Heartbeat.objects.filter(name=name).update(queued_at=None)


def slot_start(now: datetime, spacing: float) -> datetime:
    """The beginning of the `spacing`-long slot of the clock that `now` falls in."""
    return datetime.fromtimestamp(now.timestamp() // spacing * spacing, tz=UTC)
