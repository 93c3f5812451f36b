"""Full reconciliation of the remote image list, and the quota stats.

Pages of the remote list are streamed and written in bulk, one page at a time, so memory stays
flat however many images there are. Rows a user or the poll cycle is working on (in flight,
deleting, renaming) are not written at all, not even their seen_at: the poll cycle owns them,
and two writers locking the same rows in different orders deadlock. A run that fails (API or
database) is recorded as failed, on the SyncRun and the heartbeat.

Both are about one account: only its rows are read, matched and marked gone, so two accounts
listing the same remote id never touch each other's rows.

The list is read tolerantly: an item that appears on two pages (an order that moved) is applied
once, an unreadable item is skipped and counted on the sync's heartbeat, and an image the list
did not show is marked gone only when a direct GET answers 404 (images.services.gone).
"""

import itertools
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from images.contabo import ContaboClient, ContaboError, ImagePage
from images.models import Account, Image, QuotaSnapshot, Status, SyncRun
from images.services import gone, heartbeat, listed, listing, unreadable
from images.services.mapping import local_status, remote_fields, user_fields

UPDATABLE = (Status.DOWNLOADED, Status.FAILED, Status.GONE)
#: Walks of the list per sync when its order moves between pages, and their page size
#: (see _each_remote).
MAX_PASSES = 3
CATCH_UP_PAGE = 1000


def sync_images(client: ContaboClient, account: Account, page_size: int | None = None) -> SyncRun:
    """Reconcile `account` with what its client lists.

    Pages of SYNC_PAGE_SIZE (or the smaller size the account's API was seen to cap at) are asked;
    after the first tells the total, the rest are fetched SYNC_CONCURRENCY at a time and written
    in order as they come. Only rows whose values changed are written; the images the list did
    not show are found from the ids it did, kept in the database for the run (`listed`), not
    by stamping every row seen.
    """
    run = SyncRun.objects.create(account=account, started_at=timezone.now())
    trace_id = f"sync-{run.pk}"
    try:
        with listed.listed_ids() as seen:
            skipped = _walk(client, account, run, page_size or settings.SYNC_PAGE_SIZE, seen)
            unreadable_ids = [s.image_id for s in skipped if s.image_id]
            _listed_unreadable(account, unreadable_ids, run.started_at)
            seen.add(unreadable_ids)
            suspects = gone.unlisted(account, seen)
        run.gone = gone.confirm(client, suspects, trace_id)
        note = unreadable.report(account.pk, "sync", skipped)
    except (ContaboError, DatabaseError) as exc:
        run.error = describe(exc)
        heartbeat.failed(account.job_key("sync"), run.error)
        raise
    finally:
        run.finished_at = timezone.now()
        run.save()
    heartbeat.ok(account.job_key("sync"), note=note)
    return run


def _walk(client, account: Account, run: SyncRun, wanted: int, seen: listed.ListedIds) -> list:
    """Apply every listed image, `size` at a time as the pages come; the unreadable items."""
    batch, skipped = [], {}
    size = listing.page_size(account, wanted)
    for remote in _each_remote(client, account, size, f"sync-{run.pk}", skipped, seen):
        batch.append(remote)
        if len(batch) == size:
            _apply_page(run, batch)
            batch = []
    _apply_page(run, batch)
    return list(skipped.values())


def _each_remote(
    client, account, size: int, trace_id: str, skipped: dict, seen: listed.ListedIds
) -> Iterator:
    """Every image the API lists, once, even when its order moves between pages: a pass that
    ends with fewer distinct images than the API's `totalElements` walks the list again in pages
    as big as the API allows (up to CATCH_UP_PAGE), at most MAX_PASSES times, and stops early
    when a pass brings nothing new. Unreadable items go into `skipped`, by id; the ids listed
    into `seen` (in the database, a page at a time)."""
    for _ in range(MAX_PASSES):
        expected, before = None, seen.count
        for page in _pages(client, size, trace_id):
            listing.learn(account, page, size)
            expected = page.total_elements if expected is None else expected
            for item in page.skipped:
                skipped.setdefault(item.image_id or item.problem, item)
            fresh = seen.add(remote.image_id for remote in page.images)
            for remote in page.images:
                if remote.image_id in fresh:
                    fresh.discard(remote.image_id)
                    yield remote
            del page  # not held while the next one is fetched and parsed
        if expected is None or seen.count + len(skipped) >= expected or seen.count == before:
            return
        size = listing.page_size(account, min(max(size, expected), CATCH_UP_PAGE))


def _pages(client: ContaboClient, size: int, trace_id: str) -> Iterator[ImagePage]:
    """Every list page in order: the first, then the rest (`_rest`) once the first told the
    total. An API without totals is read one page after another."""
    first = client.list_images(page=1, size=size, trace_id=trace_id)
    if first.is_last(size):
        rest = iter(())
    elif first.total_pages is None:
        rest = client.iter_pages(size=min(size, first.size or size), start=2, trace_id=trace_id)
    else:
        rest = _rest(client, min(size, first.size or size), first.total_pages, trace_id)
    yield first
    del first  # not held while the rest are read
    yield from rest


def _rest(client: ContaboClient, size: int, total_pages: int, trace_id: str) -> Iterator:
    """Pages 2 to `total_pages` (of the size the first page answered, which the totals count),
    fetched SYNC_CONCURRENCY at a time on threads and parsed here one at a time as they are
    used: at most that many page bodies and one parsed page are held at once."""
    numbers = iter(range(2, total_pages + 1))
    workers = max(1, settings.SYNC_CONCURRENCY)

    def fetch(number: int) -> Callable[[], ImagePage]:
        return client.fetch_image_page(page=number, size=size, trace_id=trace_id)

    with ThreadPoolExecutor(workers, thread_name_prefix="sync-page") as pool:
        pending = deque(pool.submit(fetch, n) for n in itertools.islice(numbers, workers))
        while pending:
            parse = pending.popleft().result()
            following = next(numbers, None)
            if following is not None:
                pending.append(pool.submit(fetch, following))
            yield parse()


def _apply_page(run: SyncRun, remotes: list) -> None:
    """Write one page: new images created, settled rows whose values changed updated.

    Rows are read as plain tuples of the columns compared (`_read_fields`), not as model
    instances; only the changed ones become instances, for the bulk UPDATE."""
    if not remotes:
        return
    now = run.started_at
    by_id = {r.image_id: r for r in remotes}
    columns = _read_fields(remotes[0])
    mine = Image.objects.filter(account_id=run.account_id)
    with transaction.atomic():
        rows = mine.filter(remote_id__in=by_id).values_list("pk", *columns)
        existing = {row[1]: row for row in rows}  # columns[0] is remote_id
        orphans = _orphans(mine, columns, [r for i, r in by_id.items() if i not in existing])
        changed, new = [], []
        for remote_id, remote in by_id.items():
            row = existing.get(remote_id) or orphans.pop((remote.name, remote.url), None)
            if row is None:
                new.append(_new_image(run.account_id, remote, now))
                continue
            values = dict(zip(columns, row[1:], strict=True))
            if not _settled(values):
                continue  # the poll cycle or a user's request owns it: not even seen_at
            if _refresh(values, remote, now):
                changed.append(Image(pk=row[0], account_id=run.account_id, **values))
        Image.objects.bulk_create(new)
        if changed:
            Image.objects.bulk_update(changed, _update_fields(remotes[0]))
    run.added += len(new)
    run.updated += len(changed)


def _orphans(mine, columns: list[str], remotes: list) -> dict:
    """Local uploads whose create call timed out although Contabo accepted them, by (name, url);
    the oldest when several match."""
    custom = [r for r in remotes if not r.standard_image]
    if not custom:
        return {}
    rows = mine.filter(
        remote_id__isnull=True,
        url__in={r.url for r in custom},
        status__in=(Status.SUBMITTING, Status.FAILED),
    ).order_by("-created_at")
    name, url = columns.index("name") + 1, columns.index("url") + 1
    return {(row[name], row[url]): row for row in rows.values_list("pk", *columns)}


def _new_image(account_id: int, remote, now) -> Image:
    return Image(
        account_id=account_id,
        remote_id=remote.image_id,
        status=local_status(remote.status, standard=remote.standard_image),
        seen_at=now,
        progress_at=now,
        **remote_fields(remote),
        **user_fields(remote),
    )


def _settled(values: dict) -> bool:
    """A row sync may write: settled, or an upload whose create call timed out (an orphan).
    Rows in flight, deleting or being renamed belong to the poll cycle and the user's tasks;
    writing them too (even only seen_at) took their locks in another order than the poll cycle
    and deadlocked it on PostgreSQL."""
    return values["remote_id"] is None or values["status"] in UPDATABLE


def describe(exc: Exception) -> str:
    """A failed run's error as pages show it: the API's error, or the database's first line."""
    if isinstance(exc, DatabaseError):
        return f"Database error: {(str(exc) or type(exc).__name__).splitlines()[0]}"
    return str(exc)


def _refresh(values: dict, remote, now) -> bool:
    """Copy the remote state onto a settled row's `values`; False when nothing changed."""
    status = local_status(remote.status, standard=remote.standard_image)
    wanted = {"remote_id": remote.image_id, "status": status}
    wanted.update(remote_fields(remote))
    renamed_at = values["renamed_at"]
    if values["pending_name"] is None and (renamed_at is None or renamed_at < now):
        wanted.update(user_fields(remote))
    if all(values[f] == v for f, v in wanted.items()):
        return False
    values.update(wanted, seen_at=now)
    return True


def _read_fields(remote) -> list[str]:
    """The columns `_settled` and `_refresh` read, `remote_id` first."""
    return [*_update_fields(remote), "pending_name", "renamed_at"]


def _update_fields(remote) -> list[str]:
    """The columns `_refresh` may set, named by the mapping itself (no second list to drift)."""
    return ["remote_id", "status", "seen_at", *remote_fields(remote), *user_fields(remote)]


def _listed_unreadable(account: Account, remote_ids: list[str], now) -> None:
    """An item the list sent but we could not read still exists: it is seen, not a suspect."""
    if remote_ids:
        Image.objects.filter(account=account, remote_id__in=remote_ids).update(seen_at=now)


def refresh_stats(client: ContaboClient, account: Account) -> QuotaSnapshot | None:
    """A quota snapshot of `account`; None when Contabo left out the total or the used space
    (no quota is guessed; the heartbeat says what was missing)."""
    try:
        stats = client.get_stats(trace_id="stats")
    except ContaboError as exc:
        heartbeat.failed(account.job_key("stats"), exc)
        raise
    missing = stats.missing
    note = f"Contabo's stats left out {', '.join(missing)}" if missing else ""
    heartbeat.ok(account.job_key("stats"), note=note)
    if stats.total_size_mb is None or stats.used_size_mb is None:
        return None
    return QuotaSnapshot.objects.create(
        account=account,
        image_count=stats.current_images_count or 0,
        total_mb=stats.total_size_mb,
        used_mb=stats.used_size_mb,
        free_mb=stats.free_size_mb,
        request_id=stats.request_id,
    )
