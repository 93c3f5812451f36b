"""Expiring named locks in the database, shared by every worker and beat."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from time import monotonic

from django.db import IntegrityError, transaction
from django.utils import timezone

from images.models import Lease


def acquire(name: str, owner: str, ttl: float) -> bool:
    """Take the lease if it is free or expired; True when `owner` now holds it. One UPDATE
    once the lease's row exists (a release keeps the row, expired)."""
    now = timezone.now()
    expires = now + timedelta(seconds=ttl)
    taken = Lease.objects.filter(name=name, expires_at__lt=now).update(
        owner=owner, expires_at=expires
    )
    if taken:
        return True
    try:
        with transaction.atomic():
            Lease.objects.create(name=name, owner=owner, expires_at=expires)
    except IntegrityError:
        return False
    return True


def release(name: str, owner: str) -> None:
    """Free the lease if `owner` still holds it: expired now, so the next `acquire` is one
    UPDATE."""
    Lease.objects.filter(name=name, owner=owner).update(expires_at=timezone.now())


class LeaseLost(Exception):
    """The lease expired and another owner took it: stop, the other one is doing the work."""


class Holding:
    """The outcome of `held`: true when this owner holds the lease; `renew()` extends it,
    `keep()` only when it runs short."""

    def __init__(self, name: str, owner: str, ttl: float, mine: bool, since: float) -> None:
        self.name, self.owner, self.ttl, self.mine = name, owner, ttl, mine
        self.since = since  # monotonic() before it was taken or last renewed

    def __bool__(self) -> bool:
        return self.mine

    def renew(self) -> None:
        """Hold it another `ttl` from now; LeaseLost if it expired and was taken meanwhile."""
        since = monotonic()
        expires = timezone.now() + timedelta(seconds=self.ttl)
        if not Lease.objects.filter(name=self.name, owner=self.owner).update(expires_at=expires):
            raise LeaseLost(self.name)
        self.since = since

    def keep(self, seconds: float) -> None:
        """Renew it unless it has at least `seconds` left by this process's clock: one statement
        per `ttl - seconds`, not one per step. Another owner can take it only after it ran out,
        and by then the next keep renews it, so the loss still shows (LeaseLost)."""
        if monotonic() - self.since > self.ttl - seconds:
            self.renew()


@contextmanager
def held(name: str, ttl: float) -> Iterator[Holding]:
    """`with held("poll", 60) as lease:` runs the body with `lease` false if another holds it;
    a long body calls `lease.keep(n)` before each step that may take up to `n` seconds."""
    owner = Lease.new_owner()
    since = monotonic()
    mine = acquire(name, owner, ttl)
    try:
        yield Holding(name, owner, ttl, mine, since)
    finally:
        if mine:
            release(name, owner)
