"""Test data: images in every state, progress samples, quota snapshots, users, accounts and
memberships."""

import itertools
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from images.models import (
    Account,
    AccountMembership,
    Image,
    OsType,
    ProgressSample,
    QuotaSnapshot,
    Status,
)
from images.roles import MANAGERS, VIEWERS, ensure_groups
from images.services.accounts import settings_account

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
        "account": fields.get("account") or settings_account(),
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


def make_upload(url: str, *, name: str = "upload", **fields) -> Image:
    """A queued upload of the settings account, as a user's request stores it (not submitted)."""
    values = {"account": settings_account(), "name": name, "url": url, "os_type": "Linux"}
    return Image.objects.create(**{**values, "version": "1", **fields})


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
        account=settings_account(),
        image_count=count,
        total_mb=total_mb,
        used_mb=used_mb,
        free_mb=total_mb - used_mb,
    )
    if at is not None:
        QuotaSnapshot.objects.filter(pk=snapshot.pk).update(taken_at=at)
        snapshot.refresh_from_db()
    return snapshot


def make_account(name: str, sandbox=None, **fields) -> Account:
    """An account kept in the database (secrets encrypted), aimed at `sandbox` if given."""
    url = sandbox.url if sandbox else "https://api.example.com"
    account = Account(
        name=name,
        api_url=url,
        auth_url=sandbox.token_url if sandbox else f"{url}/token",
        client_id=sandbox.client_id if sandbox else "client-" + name,
        api_user=sandbox.username if sandbox else f"{name}@example.com",
        **fields,
    )
    account.set_client_secret(sandbox.client_secret if sandbox else "secret-of-" + name)
    account.set_api_password(sandbox.password if sandbox else "password-of-" + name)
    account.save()
    return account


def member(user, account: Account, role: str = "viewer"):
    """`user` with a membership in `account`."""
    AccountMembership.objects.create(user=user, account=account, role=role)
    return user
