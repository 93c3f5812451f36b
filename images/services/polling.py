"""One batched poll cycle over the downloads in flight.

The API cannot filter by id or status, so a cycle lists custom images newest first and walks pages
until every in-flight image is found: with the in-flight images the newest (the usual case) that is
ceil(N / page size) list calls. Past one page more it goes on only while the pages left are fewer
than the images still missing; those left are fetched one by one. So a cycle costs at most
min(all pages, ceil(N / page size) + 1 + missing) calls, and none when nothing is in flight.

A cycle is about one account: its images, its lease (`poll:<id>`) and its heartbeat.
"""

import math
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, CharField, Exists, F, OuterRef, Value, When
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from images.batching import under_param_cap
from images.contabo import ContaboClient, ContaboError, NotFound, ProtocolError
from images.contabo.types import Skipped
from images.models import Account, AuditEvent, Heartbeat, Image, Lease, ProgressSample, Status
from images.selectors import RATE_WINDOW_SECONDS
from images.services import (
    audit,
    comparable,
    heartbeat,
    leases,
    lineage,
    listing,
    unreadable,
)
from images.services.mapping import REMOTE_FIELDS, local_status, remote_fields

# The lease is held for as long as one call can take (the client's worst case: every retry timing
# out) plus this for the database work between calls, and before each API call it is renewed once
# less than the worst call plus half this is left (so once per 15 s, not once per page). So two
# cycles of one account never overlap, however slow the API; a worker killed mid-cycle holds it
# that long.
LEASE_MARGIN_SECONDS = 30


class CycleTimeLimit(Exception):
    """The cycle ran past its time limit; checked before each API call, so it also binds on
    Celery's threads pool (the poller's), where Celery's own time limits do not apply."""


@dataclass
class CycleResult:
    in_flight: int = 0
    updated: int = 0
    finished: int = 0
    api_calls: int = 0
    skipped: bool = False
    note: str = ""  # unreadable items met (see images.services.unreadable)


def in_flight(account: Account):
    """The account's downloads the poll cycle watches."""
    return Image.objects.filter(account=account, status=Status.DOWNLOADING, remote_id__isnull=False)


def accounts_to_poll(pending_for: float) -> list[int]:
    """Accounts to send a poll now, marked as sent: those with no cycle running (its lease held)
    and no poll sent in the last `pending_for` seconds that no worker took yet. So each account
    has at most one poll waiting in the queue: a lagging poller is not handed a backlog that
    expires. One query and one UPDATE."""
    now = timezone.now()
    key = Concat(Value("poll:"), Cast("pk", CharField()))
    running = Lease.objects.filter(name=OuterRef("poll_key"), expires_at__gt=now)
    waiting = Heartbeat.objects.filter(
        name=OuterRef("poll_key"), queued_at__gt=now - timedelta(seconds=pending_for)
    )
    due = dict(
        Account.objects.annotate(poll_key=key)
        .exclude(Exists(running))
        .exclude(Exists(waiting))
        .values_list("pk", "poll_key")
    )
    heartbeat.queued(list(due.values()))
    return list(due)


def poll(
    client: ContaboClient,
    account: Account,
    time_limit: float | None = None,
    spacing: float | None = None,
) -> CycleResult:
    """Run one cycle of `account` with that account's client, unless another worker is already
    running one for it, or (with `spacing`) one already began in the current `spacing`-long
    slot of the clock: a second beat's ticks then cost no API call. CycleTimeLimit when it runs
    longer than `time_limit` seconds."""
    ttl = client.worst_call_seconds + LEASE_MARGIN_SECONDS
    deadline = None if time_limit is None else time.monotonic() + time_limit
    with leases.held(account.job_key("poll"), ttl) as lease:
        if not lease:
            heartbeat.taken(account.job_key("poll"))
            return CycleResult(skipped=True)
        if not heartbeat.begin(account.job_key("poll"), spacing):
            return CycleResult(skipped=True)

        def before_each_call() -> None:
            if deadline is not None and time.monotonic() > deadline:
                raise CycleTimeLimit(f"poll cycle of {account} past {time_limit:g} s")
            lease.keep(client.worst_call_seconds + LEASE_MARGIN_SECONDS / 2)

        try:
            result = _cycle(client, account, before_each_call)
        except leases.LeaseLost:
            return CycleResult(skipped=True)
        except ContaboError as exc:
            heartbeat.failed(account.job_key("poll"), exc)
            raise
        heartbeat.ok(account.job_key("poll"), note=result.note)
        return result


def _cycle(client: ContaboClient, account: Account, before_each_call) -> CycleResult:
    """The cycle proper; `before_each_call()` keeps the lease and checks the time limit."""
    wanted = comparable.stored(in_flight(account))
    result = CycleResult(in_flight=len(wanted))
    if not wanted:
        return result
    found, skipped = {}, []
    size = listing.page_size(account, settings.CONTABO_PAGE_SIZE)
    page_number, pages = 1, 1
    enough = math.ceil(len(wanted) / size) + 1

    def worth_another_page() -> bool:
        """Within the usual budget, or cheaper than one GET per image still missing."""
        missing = len(wanted) - len(found)
        left = pages - page_number + 1
        return missing > 0 and left > 0 and (page_number <= enough or left < missing)

    while worth_another_page():
        before_each_call()
        page = listing.list_page(client, account, page=page_number, size=size, standard_image=False)
        result.api_calls += 1
        if page.size < size:  # a cap found just now: the budget is in the API's pages
            size = page.size
            enough = math.ceil(len(wanted) / size) + 1
        pages = page.total_pages if page.total_pages is not None else page_number + 1
        if page.is_last(size):
            pages = page_number
        skipped += page.skipped
        found.update({i.image_id: i for i in page.images if i.image_id in wanted})
        page_number += 1
    for remote_id in wanted.keys() - found.keys():
        result.api_calls += 1
        before_each_call()
        try:
            found[remote_id] = client.get_image(remote_id)
        except NotFound as exc:
            _vanished(wanted[remote_id][0], exc)
        except ProtocolError as exc:  # unreadable: stays in flight, the others go on
            skipped.append(Skipped(remote_id, exc.message.removeprefix("bad response: ")))
    result.note = unreadable.report(account.pk, "poll", skipped)
    _write(account, wanted, found, timezone.now(), result)
    return result


def _write(account: Account, known: dict, found: dict, now, result: CycleResult) -> None:
    """Write what changed, in statements proportional to the rows that changed.

    `known` holds the rows' remote fields as read when the cycle began (comparable.stored); no
    one else writes those of a row in flight (sync leaves such rows alone, and this cycle holds
    the account's lease), so they are still what the database holds. Only the rows whose remote
    values differ are locked, re-read as still downloading (a delete requested meanwhile waits
    and then wins) and written, in one bulk UPDATE (batched where the database caps parameters).
    A progress sample is added only when the uploaded bytes moved, and samples older than the
    rate window are pruned, so the table stays proportional to the downloads in flight.
    Finished downloads (rare) go through `apply` one by one: audit, notifications, lineage.
    """
    said = comparable.saying()
    changed, finished = {}, []
    for remote_id, remote in found.items():
        pk, values = known[remote_id]
        if local_status(remote.status) != Status.DOWNLOADING:
            finished.append((pk, remote))
        elif said(remote) != values:
            changed[pk] = (remote, remote.uploaded_size_mb != values[comparable.UPLOADED])
    with transaction.atomic():  # one commit per cycle, not one per image
        images, samples = [], []
        for pk, progress_at in _lock_downloading(account, list(changed)):
            remote, moved = changed[pk]
            progress_at = now if moved else progress_at
            images.append(
                Image(pk=pk, seen_at=now, progress_at=progress_at, **remote_fields(remote))
            )
            if moved:
                samples.append(
                    ProgressSample(image_id=pk, at=now, uploaded_mb=remote.uploaded_size_mb)
                )
        Image.objects.bulk_update(images, [*REMOTE_FIELDS, "seen_at", "progress_at"])
        ProgressSample.objects.bulk_create(samples)
        cutoff = now - timedelta(seconds=RATE_WINDOW_SECONDS)
        ProgressSample.objects.filter(image__account=account, at__lt=cutoff).delete()
        for pk, remote in finished:
            result.finished += apply(pk, remote, now)[1]
    result.updated = len(images) + result.finished


def _lock_downloading(account: Account, pks: list[int]) -> list[tuple[int, object]]:
    """`(pk, progress_at)` of those of `pks` still downloading, locked on PostgreSQL; one
    statement per batch under the database's parameter cap."""
    rows = []
    for chunk in under_param_cap(pks, others=10):
        locked = in_flight(account).filter(pk__in=chunk).select_for_update()
        rows += locked.values_list("pk", "progress_at")
    return rows


def apply(pk: int, remote, now) -> tuple[bool, bool]:
    """Write one in-flight image's new state in one conditional UPDATE.

    Only a row still downloading is touched, so a delete requested meanwhile wins; progress_at
    moves only when more bytes arrived.
    """
    status = local_status(remote.status)
    finished = status != Status.DOWNLOADING
    fields = remote_fields(remote)
    fields["progress_at"] = Case(
        When(uploaded_size_mb=remote.uploaded_size_mb, then=F("progress_at")), default=Value(now)
    )
    if finished:
        fields["finished_at"] = now
    with transaction.atomic(savepoint=False):
        updated = Image.objects.filter(pk=pk, status=Status.DOWNLOADING).update(
            status=status, seen_at=now, **fields
        )
        if not updated:
            return False, False
        if finished:
            ProgressSample.objects.filter(image_id=pk).delete()
            image = Image.objects.get(pk=pk)
            outcome = (
                AuditEvent.Outcome.FAILED
                if status == Status.FAILED
                else AuditEvent.Outcome.SUCCEEDED
            )
            audit.record("download", outcome, image=image, message=remote.error_message)
            lineage.download_finished(image)  # notify; delete the replaced version if asked
    return True, finished


def _vanished(pk: int, exc: NotFound) -> None:
    """An in-flight image the API no longer knows: deleted elsewhere."""
    updated = Image.objects.filter(pk=pk, status=Status.DOWNLOADING).update(
        status=Status.GONE, finished_at=timezone.now()
    )
    if updated:
        audit.record_error("download", Image.objects.get(pk=pk), exc)
