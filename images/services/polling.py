"""One batched poll cycle over the downloads in flight.

The API cannot filter by id or status, so a cycle lists custom images newest first and walks pages
until every in-flight image is found: with the in-flight images the newest (the usual case) that is
ceil(N / page size) list calls. Past one page more it goes on only while the pages left are fewer
than the images still missing; those left are fetched one by one. So a cycle costs at most
min(all pages, ceil(N / page size) + 1 + missing) calls, and none when nothing is in flight.

A cycle is about one account: its images, its lease (`poll:<id>`) and its heartbeat.
"""

import math
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from images.contabo import ContaboClient, ContaboError, NotFound
from images.models import Account, AuditEvent, Image, ProgressSample, Status
from images.services import audit, heartbeat, leases, lineage
from images.services.mapping import local_status, remote_fields

LEASE_SECONDS = 60


@dataclass
class CycleResult:
    in_flight: int = 0
    updated: int = 0
    finished: int = 0
    api_calls: int = 0
    skipped: bool = False


def in_flight(account: Account):
    """The account's downloads the poll cycle watches."""
    return Image.objects.filter(account=account, status=Status.DOWNLOADING, remote_id__isnull=False)


def poll(client: ContaboClient, account: Account | None = None) -> CycleResult:
    """Run one cycle of `account` (the settings account when None) with that account's client,
    unless another worker is already running one for it."""
    account = account or Account.objects.default()
    with leases.held(account.job("poll"), LEASE_SECONDS) as mine:
        if not mine:
            return CycleResult(skipped=True)
        try:
            result = _cycle(client, account)
        except ContaboError as exc:
            heartbeat.failed(account.job("poll"), exc)
            raise
        heartbeat.ok(account.job("poll"))
        return result


def _cycle(client: ContaboClient, account: Account) -> CycleResult:
    wanted = dict(in_flight(account).values_list("remote_id", "pk"))
    result = CycleResult(in_flight=len(wanted))
    if not wanted:
        return result
    found = {}
    size = settings.CONTABO_PAGE_SIZE
    page_number, pages = 1, 1
    enough = math.ceil(len(wanted) / size) + 1

    def worth_another_page() -> bool:
        """Within the usual budget, or cheaper than one GET per image still missing."""
        missing = len(wanted) - len(found)
        left = pages - page_number + 1
        return missing > 0 and left > 0 and (page_number <= enough or left < missing)

    while worth_another_page():
        page = client.list_images(
            page=page_number, size=size, standard_image=False, order_by=["creationDate:desc"]
        )
        result.api_calls += 1
        pages = page.total_pages
        found.update({i.image_id: i for i in page.images if i.image_id in wanted})
        page_number += 1
    for remote_id in wanted.keys() - found.keys():
        result.api_calls += 1
        try:
            found[remote_id] = client.get_image(remote_id)
        except NotFound as exc:
            _vanished(wanted[remote_id], exc)
    now = timezone.now()
    samples = []
    with transaction.atomic():  # one commit per cycle, not one per image
        for remote_id, remote in found.items():
            changed, finished = apply(wanted[remote_id], remote, now)
            result.updated += changed
            result.finished += finished
            if changed and not finished:
                samples.append(
                    ProgressSample(
                        image_id=wanted[remote_id], at=now, uploaded_mb=remote.uploaded_size_mb
                    )
                )
        ProgressSample.objects.bulk_create(samples)
    return result


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
