"""Expiring named locks in the database, shared by every worker and beat."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from images.models import Lease


def acquire(name: str, owner: str, ttl: float) -> bool:
    """Take the lease if it is free or expired; True when `owner` now holds it."""
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
    Lease.objects.filter(name=name, owner=owner).delete()


@contextmanager
def held(name: str, ttl: float) -> Iterator[bool]:
    """`with held("poll", 60) as mine:` runs the body with `mine` False if another holds it."""
    owner = Lease.new_owner()
    mine = acquire(name, owner, ttl)
    try:
        yield mine
    finally:
        if mine:
            release(name, owner)
