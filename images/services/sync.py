"""Full reconciliation of the remote image list, and the quota stats.

Pages of the remote list are streamed and written in bulk, one page at a time, so memory stays
flat however many images there are. Rows a user or the poll cycle is working on (in flight,
deleting, renaming) keep their state; the poll cycle owns them.

Both are about one account: only its rows are read, matched and marked gone, so two accounts
listing the same remote id never touch each other's rows.
"""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from images.contabo import ContaboClient, ContaboError
from images.models import Account, Image, QuotaSnapshot, Status, SyncRun
from images.services import heartbeat
from images.services.mapping import local_status, remote_fields, user_fields

UPDATABLE = (Status.DOWNLOADED, Status.FAILED, Status.GONE)


def sync_images(
    client: ContaboClient, page_size: int = 100, account: Account | None = None
) -> SyncRun:
    """Reconcile `account` (the settings account when None) with what its client lists."""
    account = account or Account.objects.default()
    run = SyncRun.objects.create(account=account, started_at=timezone.now())
    try:
        batch = []
        for remote in client.iter_images(size=page_size, trace_id=f"sync-{run.pk}"):
            batch.append(remote)
            if len(batch) == page_size:
                _apply_page(run, batch)
                batch = []
        _apply_page(run, batch)
        run.gone = _mark_gone(account, run.started_at)
    except ContaboError as exc:
        run.error = str(exc)
        heartbeat.failed(account.job("sync"), exc)
        raise
    finally:
        run.finished_at = timezone.now()
        run.save()
    heartbeat.ok(account.job("sync"))
    return run


def _apply_page(run: SyncRun, remotes: list) -> None:
    if not remotes:
        return
    now = run.started_at
    by_id = {r.image_id: r for r in remotes}
    mine = Image.objects.filter(account_id=run.account_id)
    with transaction.atomic():
        existing = {i.remote_id: i for i in mine.filter(remote_id__in=by_id)}
        orphans = _orphans(mine, [r for i, r in by_id.items() if i not in existing])
        changed, new, seen = [], [], []
        for remote_id, remote in by_id.items():
            image = existing.get(remote_id) or orphans.pop((remote.name, remote.url), None)
            if image is None:
                new.append(_new_image(run.account_id, remote, now))
            elif _refresh(image, remote, now):
                changed.append(image)
            else:
                seen.append(image.pk)
        Image.objects.filter(pk__in=seen).update(seen_at=now)
        Image.objects.bulk_create(new)
        if changed:
            Image.objects.bulk_update(changed, _update_fields(remotes[0]))
    run.added += len(new)
    run.updated += len(changed)


def _orphans(mine, remotes: list) -> dict:
    """Local uploads whose create call timed out although Contabo accepted them, by (name, url)."""
    custom = [r for r in remotes if not r.standard_image]
    if not custom:
        return {}
    rows = mine.filter(
        remote_id__isnull=True,
        url__in={r.url for r in custom},
        status__in=(Status.SUBMITTING, Status.FAILED),
    ).order_by("-created_at")
    return {(i.name, i.url): i for i in rows}


def _new_image(account_id: int, remote, now) -> Image:
    return Image(
        account_id=account_id,
        remote_id=remote.image_id,
        status=local_status(remote.status),
        seen_at=now,
        progress_at=now,
        **remote_fields(remote),
        **user_fields(remote),
    )


def _refresh(image: Image, remote, now) -> bool:
    """Copy the remote state onto a settled row; False when nothing changed or it isn't ours."""
    if image.remote_id is not None and image.status not in UPDATABLE:
        return False
    wanted = {"remote_id": remote.image_id, "status": local_status(remote.status)}
    wanted.update(remote_fields(remote))
    if image.pending_name is None and (image.renamed_at is None or image.renamed_at < now):
        wanted.update(user_fields(remote))
    if all(getattr(image, f) == v for f, v in wanted.items()):
        return False
    for field, value in wanted.items():
        setattr(image, field, value)
    image.seen_at = now
    return True


def _update_fields(remote) -> list[str]:
    """The columns `_refresh` may set, named by the mapping itself (no second list to drift)."""
    return ["remote_id", "status", "seen_at", *remote_fields(remote), *user_fields(remote)]


def _mark_gone(account: Account, started_at) -> int:
    """Settled images the API no longer lists were deleted elsewhere."""
    return (
        Image.objects.filter(
            account=account,
            status__in=(Status.DOWNLOADED, Status.FAILED),
            remote_id__isnull=False,
        )
        .filter(Q(seen_at__lt=started_at) | Q(seen_at__isnull=True))
        .update(status=Status.GONE, finished_at=timezone.now())
    )


def refresh_stats(client: ContaboClient, account: Account | None = None) -> QuotaSnapshot:
    """A quota snapshot of `account` (the settings account when None)."""
    account = account or Account.objects.default()
    try:
        stats = client.get_stats(trace_id="stats")
    except ContaboError as exc:
        heartbeat.failed(account.job("stats"), exc)
        raise
    heartbeat.ok(account.job("stats"))
    return QuotaSnapshot.objects.create(
        account=account,
        image_count=stats.current_images_count,
        total_mb=stats.total_size_mb,
        used_mb=stats.used_size_mb,
        free_mb=stats.free_size_mb,
        request_id=stats.request_id,
    )
