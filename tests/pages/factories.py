"""Small factories for page tests: images in every state, samples, snapshots and users."""

import itertools
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from images.models import Image, OsType, ProgressSample, QuotaSnapshot, Status
from images.roles import MANAGERS, VIEWERS, ensure_groups

_counter = itertools.count(1)


def make_user(username: str, *, role: str | None = None, superuser: bool = False, **extra):
    ensure_groups()
    users = get_user_model()
    if superuser:
        user = users.objects.create_superuser(username, password="pw-" + username, **extra)
    else:
        user = users.objects.create_user(username, password="pw-" + username, **extra)
    if role:
        user.groups.add(Group.objects.get(name={"viewer": VIEWERS, "manager": MANAGERS}[role]))
    return user


def make_image(**fields) -> Image:
    n = next(_counter)
    now = timezone.now()
    status = fields.pop("status", Status.DOWNLOADED)
    defaults = {
        "name": f"image-{n}",
        "url": f"https://example.com/files/image-{n}.qcow2",
        "os_type": OsType.LINUX,
        "version": "24.04",
        "format": "qcow2",
        "status": status,
        "remote_id": f"00000000-0000-4000-8000-{n:012d}",
        "remote_status": {"downloaded": "downloaded", "error": "error"}.get(status, "downloading"),
        "size_mb": 1024.0,
        "uploaded_size_mb": 1024.0 if status == Status.DOWNLOADED else 0.0,
        "tenant_id": "DE",
        "customer_id": "12345",
        "remote_created_at": now - timedelta(hours=n),
        "remote_modified_at": now - timedelta(hours=n),
        "progress_at": now,
    }
    if status == Status.QUEUED:
        defaults.update(remote_id=None, remote_status="", size_mb=0, remote_created_at=None)
    defaults.update(fields)
    return Image.objects.create(**defaults)


def make_downloading(size_mb=2000.0, done_mb=500.0, rate_mb_s=10.0, **fields) -> Image:
    """An image mid-download with two samples 10 s apart at `rate_mb_s`."""
    image = make_image(
        status=Status.DOWNLOADING, size_mb=size_mb, uploaded_size_mb=done_mb, **fields
    )
    now = timezone.now()
    ProgressSample.objects.bulk_create(
        [
            ProgressSample(
                image=image, at=now - timedelta(seconds=10), uploaded_mb=done_mb - 10 * rate_mb_s
            ),
            ProgressSample(image=image, at=now, uploaded_mb=done_mb),
        ]
    )
    return image


def make_snapshot(used_mb=40_000.0, total_mb=100_000.0, count=4, at=None) -> QuotaSnapshot:
    snapshot = QuotaSnapshot.objects.create(
        image_count=count, total_mb=total_mb, used_mb=used_mb, free_mb=total_mb - used_mb
    )
    if at is not None:
        QuotaSnapshot.objects.filter(pk=snapshot.pk).update(taken_at=at)
        snapshot.refresh_from_db()
    return snapshot
