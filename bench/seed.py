"""Realistic local rows in bulk: a mix of statuses, standard and custom, some downloads in flight
with progress samples, audit events, quota history and heartbeats.

Row i is the same whatever the total, so a database grows from 1k to 10k to 100k by adding the
rows it lacks. Names are `<distro>-<version>-<i:06d>`: searching six digits finds one image,
searching a distro finds one in six.
"""

import random
from contextlib import contextmanager
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from images.models import (
    AuditEvent,
    Heartbeat,
    Image,
    ProgressSample,
    QuotaSnapshot,
    Status,
)
from images.services.accounts import settings_account

DISTROS = [
    ("ubuntu", "24.04", "Linux"),
    ("debian", "12", "Linux"),
    ("rocky", "9.4", "Linux"),
    ("alma", "9.4", "Linux"),
    ("fedora", "40", "Linux"),
    ("windows-server", "2022", "Windows"),
]
STANDARD = 7
SAMPLES_PER_DOWNLOAD = 10
BATCH = 2000


def status_of(i: int) -> str:
    """Per 1,000 rows: 2 downloading, 1 queued, 1 submitting, 1 deleting, 50 failed,
    50 deleted or gone (hidden), the rest ready."""
    if i < STANDARD:
        return Status.DOWNLOADED
    r = i % 1000
    if r in (10, 510):
        return Status.DOWNLOADING
    if r == 20:
        return Status.QUEUED
    if r == 30:
        return Status.SUBMITTING
    if r == 40:
        return Status.DELETING
    if r % 20 == 4:
        return Status.FAILED
    if r % 20 == 5:
        return Status.DELETED if r % 40 == 5 else Status.GONE
    return Status.DOWNLOADED


def _image(i: int, now, rng: random.Random, account_id: int) -> Image:
    distro, version, os_type = DISTROS[i % len(DISTROS)]
    status = status_of(i)
    size = round(rng.uniform(300, 12_000), 2)
    uploaded = size
    remote_id = f"00000000-0000-4000-8000-{i:012d}"
    created = now - timedelta(seconds=rng.uniform(3600, 730 * 86400))
    fields = {}
    if status == Status.DOWNLOADING:
        uploaded = round(size * rng.uniform(0.05, 0.9), 2)
        created = now - timedelta(seconds=rng.uniform(10, 600))
        fields["progress_at"] = now
    elif status in (Status.QUEUED, Status.SUBMITTING):
        remote_id, created, size, uploaded = None, None, 0, 0
        fields["submit_started_at"] = now if status == Status.SUBMITTING else None
    elif status == Status.FAILED:
        uploaded = round(size * rng.uniform(0, 0.5), 2)
        fields["error_message"] = "Download failed: HTTP 404 Not Found"
    elif status == Status.DELETING:
        fields["delete_requested_at"] = now
        fields["prior_status"] = Status.DOWNLOADED
    return Image(
        account_id=account_id,
        remote_id=remote_id,
        standard=i < STANDARD,
        status=status,
        name=f"{distro}-{version}-{i:06d}",
        description=f"{distro} {version} image number {i}",
        url=f"https://mirror.example.com/{distro}/{version}/{distro}-{version}-{i:06d}.qcow2",
        os_type=os_type,
        version=version,
        format="qcow2",
        remote_status={"downloading": "downloading", "error": "error"}.get(status, "downloaded"),
        size_mb=size,
        uploaded_size_mb=uploaded,
        tenant_id="DE",
        customer_id="12345",
        tags=[{"id": 1, "name": "bench"}] if i % 7 == 0 else [],
        remote_created_at=created,
        remote_modified_at=created,
        seen_at=now,
        **fields,
    )


@contextmanager
def _explicit(model, field: str):
    """Let bulk_create keep a value we set on an auto_now_add field."""
    f = model._meta.get_field(field)
    f.auto_now_add, saved = False, f.auto_now_add
    try:
        yield
    finally:
        f.auto_now_add = saved


def seed_images(start: int, end: int) -> None:
    """Rows start..end-1, with samples for the downloads and one audit event per image."""
    now = timezone.now()
    account = settings_account()
    for lo in range(start, end, BATCH):
        hi = min(end, lo + BATCH)
        rng = random.Random(lo)
        images = [_image(i, now, rng, account.pk) for i in range(lo, hi)]
        with transaction.atomic():
            Image.objects.bulk_create(images, batch_size=500)
            created = list(
                Image.objects.filter(name__in=[i.name for i in images]).values_list(
                    "pk", "name", "status", "uploaded_size_mb"
                )
            )
            samples, events = [], []
            for pk, name, status, uploaded in created:
                if status == Status.DOWNLOADING:
                    for k in range(SAMPLES_PER_DOWNLOAD):
                        at = now - timedelta(seconds=3 * (SAMPLES_PER_DOWNLOAD - 1 - k))
                        mb = max(0.0, uploaded - 10.0 * (SAMPLES_PER_DOWNLOAD - 1 - k))
                        samples.append(ProgressSample(image_id=pk, at=at, uploaded_mb=mb))
                events.append(
                    AuditEvent(
                        account=account,
                        image_id=pk,
                        image_name=name,
                        action="download",
                        outcome=AuditEvent.Outcome.SUCCEEDED,
                        request_id=f"req-{pk}",
                    )
                )
            ProgressSample.objects.bulk_create(samples, batch_size=1000)
            AuditEvent.objects.bulk_create(events, batch_size=1000)


def seed_history(snapshots: int = 2000, detail_events: int = 150) -> None:
    """Quota history (one snapshot per 5 minutes), heartbeats, and a long audit trail on the
    downloading image the detail benchmark opens (all in the settings account)."""
    now = timezone.now()
    account = settings_account()
    with _explicit(QuotaSnapshot, "taken_at"):
        QuotaSnapshot.objects.bulk_create(
            [
                QuotaSnapshot(
                    account=account,
                    taken_at=now - timedelta(minutes=5 * k),
                    image_count=100 + k % 50,
                    total_mb=1_000_000.0,
                    used_mb=400_000.0 + 100 * (k % 500),
                    free_mb=600_000.0 - 100 * (k % 500),
                    request_id=f"stats-{k}",
                )
                for k in range(snapshots)
            ],
            batch_size=1000,
        )
    for name in ("poll", "sync", "stats"):
        Heartbeat.objects.update_or_create(name=account.job_key(name), defaults={"ok_at": now})
    image = detail_image()
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                account=account,
                image=image,
                image_name=image.name,
                action="rename",
                outcome=AuditEvent.Outcome.SUCCEEDED,
                request_id=f"detail-{k}",
            )
            for k in range(detail_events)
        ]
    )


def detail_image() -> Image:
    """The first downloading image: samples, events, a live detail page."""
    return Image.objects.filter(status=Status.DOWNLOADING).order_by("pk").first()


def grow_to(total: int) -> int:
    """Add the rows the database lacks to reach `total` images; returns how many it added."""
    have = Image.objects.count()
    if have < total:
        if have == 0:
            seed_images(0, total)
            seed_history()
        else:
            seed_images(have, total)
    return total - have
