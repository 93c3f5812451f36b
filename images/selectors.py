"""Reads for the pages: every query a view makes goes through here.

The list stays fast at 100k rows by touching indexed columns only (status/standard, name, size,
remote creation date, OS), by counting at most EXACT_COUNT_UP_TO rows (the paginator: an estimate
beyond, see images.pagination), by searching through trigram indexes (images.search) and by
loading the progress samples of all visible in-flight rows in a single query.

Every read is about one account (the page's, see images.access): an image of another account is
never listed, counted or found.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import caches
from django.db.models import Count, Exists, F, FloatField, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from images import keyset, search
from images.models import (
    IN_FLIGHT,
    Account,
    AuditEvent,
    Heartbeat,
    Image,
    ProgressSample,
    QuotaSnapshot,
    Status,
)
from images.pagination import ESTIMATES_CACHE, ListPaginator, cache_key
from images.redaction import without_credentials
from images.services.mapping import unknown_status

PAGE_SIZE = 25
# The list counts exactly up to this many rows (40 pages), and says "about" beyond (see
# images.pagination): an exact count of 95,000 rows cost 6.5 ms on SQLite and 10+ ms on
# PostgreSQL at 100k images, twice the rest of the page; counting 1,001 index entries 0.2 ms.
EXACT_COUNT_UP_TO = 1_000
LIVE_MAX_IDS = 100
RATE_WINDOW_SECONDS = 30

# Rows the page keeps refreshing: in flight, or waiting for a delete to be confirmed.
LIVE = (*IN_FLIGHT, Status.DELETING)
HIDDEN = (Status.DELETED, Status.GONE)

# Sort keys offered to the user -> indexed columns (plus the primary key, for a stable order).
SORTS = {
    "name": ("name",),
    "size": ("size_mb",),
    "date": ("remote_created_at",),
    "status": ("status",),
}
DEFAULT_SORT = "-date"

# Columns a list row shows; the long free-text fields stay in the database.
LIST_FIELDS = (
    "id",
    "remote_id",
    "standard",
    "status",
    "name",
    "os_type",
    "version",
    "format",
    "size_mb",
    "uploaded_size_mb",
    "remote_created_at",
    "created_at",
    "progress_at",
    "submit_started_at",
    "pending_name",
    "error_message",
    "action_error",
    "remote_status",
    "wait_reason",
    "protected",
    "finished_at",
)


@dataclass
class Progress:
    """What a progress bar shows for one in-flight image."""

    percent: float
    done_mb: float
    total_mb: float
    rate_mb_s: float | None
    eta_seconds: float | None
    stalled: bool  # a suspicion: no new bytes for STALL_AFTER_SECONDS
    no_progress_yet: bool = False  # running, but Contabo has reported no bytes (yet)
    says: str = ""  # Contabo's status, verbatim, when it is one we do not know
    finished: bool = False  # downloaded a moment ago: the bar shows its end, 100 %

    @property
    def whole_percent(self) -> int:
        """Rounded down: 99.6 % still downloading reads 99 %, never 100 % before the end."""
        return int(self.percent)


# --- list ---------------------------------------------------------------------------------------


def image_queryset(
    account: Account,
    *,
    q: str = "",
    status: str = "",
    os_type: str = "",
    kind: str = "",
    sort: str = "",
):
    """Filtered, ordered images of the account; DELETED and GONE only when asked for."""
    images = Image.objects.only(*LIST_FIELDS).filter(account=account)
    if status == "all":
        pass
    elif status:
        images = images.filter(status=status)
    else:
        images = images.exclude(status__in=HIDDEN)
    if kind == "standard":
        images = images.filter(standard=True)
    elif kind == "custom":
        images = images.filter(standard=False)
    if os_type:
        images = images.filter(os_type=os_type)
    if q:
        images = images.filter(search.matches(q, images.db))
    images = images.order_by(*_ordering(sort or DEFAULT_SORT))
    # Read by paginate(): the keyset's order, and what the rows are (for kept counts and pages).
    images.list_key = sort_key(sort or DEFAULT_SORT)
    images.count_key = (account.pk, q, status, os_type, kind)
    return images


def images_matching(account: Account, criteria: dict):
    """image_queryset for the criteria of ImageFilterForm.criteria() (list, export, API)."""
    return image_queryset(
        account,
        q=criteria["q"],
        status=criteria["status"],
        os_type=criteria["os"],
        kind=criteria["kind"],
        sort=criteria["sort"],
    )


def sort_key(sort: str) -> keyset.Key:
    """The keyset order of a sort choice (unknown names sort by date, as `_ordering` does)."""
    column = SORTS.get(sort.lstrip("-"), SORTS["date"])[0]
    nullable = Image._meta.get_field(column).null
    return keyset.Key(column, descending=sort.startswith("-"), nullable=nullable)


def _ordering(sort: str) -> list:
    descending = sort.startswith("-")
    columns = SORTS.get(sort.lstrip("-"), SORTS["date"])
    if descending:
        # Newest first puts local uploads (no remote date yet) on top; NULLS FIRST on a
        # descending order is the backward scan of a plain b-tree index.
        return [F(c).desc(nulls_first=True) for c in columns] + ["-pk"]
    return [F(c).asc(nulls_last=True) for c in columns] + ["pk"]


def paginate(
    queryset,
    page_number,
    per_page: int = PAGE_SIZE,
    *,
    after=None,
    before=None,
):
    """The page after or before a cursor, else page `page_number`, by keyset (images.keyset): the
    same index range read whatever the page. The count (for "page N of M", read only if the
    template asks) is images.pagination.ListPaginator's, exact up to EXACT_COUNT_UP_TO rows;
    out-of-range pages land on the last page.

    A page number without a cursor (typed or bookmarked) is found by counting its position in
    the index (2 ms for page 500 at 100k images); the row before it is then kept a minute, as
    the count's estimate is, and the same number is read again by seeking from it. Rows added
    or removed meanwhile shift it as they would shift any numbered page."""
    count_key = getattr(queryset, "count_key", None)
    paginator = ListPaginator(
        queryset, per_page, exact_count_up_to=EXACT_COUNT_UP_TO, key=count_key
    )

    def exact_count():
        count = paginator.count
        return None if paginator.estimated else count

    try:
        number = int(page_number or 1)
    except (TypeError, ValueError):
        number = 1
    key = getattr(queryset, "list_key", None) or sort_key(DEFAULT_SORT)
    anchors, anchor_key = caches[ESTIMATES_CACHE], None
    if number > 1 and after is None and before is None and count_key is not None:
        anchor_key = cache_key("anchor", queryset.db, count_key, key, number, per_page)
        after = anchors.get(anchor_key)
    page = keyset.paginate(
        queryset,
        key,
        number=number,
        after=after,
        before=before,
        per_page=per_page,
        count=exact_count,
    )
    if anchor_key and page.anchor:
        anchors.set(anchor_key, page.anchor)
    page.paginator = paginator
    return page


def attach_progress(images, now=None) -> None:
    """Set `.progress` on every image (None unless in flight), with ONE sample query for all
    those downloading (the poll writes samples for those only; none when there are none)."""
    now = now or timezone.now()
    images = list(images)
    downloading = [i.pk for i in images if i.status == Status.DOWNLOADING]
    samples = _recent_samples(downloading, now)
    for image in images:
        image.progress = None
        if image.status in IN_FLIGHT:
            image.progress = progress_of(image, samples.get(image.pk, []), now)
        elif _just_finished(image, now):
            image.progress = Progress(
                100.0, image.size_mb, image.size_mb, None, None, stalled=False, finished=True
            )
        image.live = image.status in LIVE


def _just_finished(image: Image, now) -> bool:
    """Downloaded within the rate window: the page that watched it sees the bar reach 100 %."""
    finished = image.finished_at
    return bool(
        image.status == Status.DOWNLOADED
        and not image.standard
        and finished
        and (now - finished).total_seconds() < RATE_WINDOW_SECONDS
    )


def _recent_samples(ids: list[int], now) -> dict[int, list[tuple]]:
    if not ids:
        return {}
    since = now - timedelta(seconds=RATE_WINDOW_SECONDS)
    rows = (
        ProgressSample.objects.filter(image_id__in=ids, at__gte=since)
        .order_by("image_id", "at")
        .values_list("image_id", "at", "uploaded_mb")
    )
    found = defaultdict(list)
    for image_id, at, uploaded in rows:
        found[image_id].append((at, uploaded))
    return found


def progress_of(image: Image, samples: list[tuple], now) -> Progress:
    """Percent, rate from the oldest and newest sample of the window, ETA = remaining / rate."""
    rate = None
    if len(samples) >= 2:
        (first_at, first_mb), (last_at, last_mb) = samples[0], samples[-1]
        seconds = (last_at - first_at).total_seconds()
        if seconds > 0:
            rate = max(0.0, (last_mb - first_mb) / seconds)
    remaining = max(0.0, image.size_mb - image.uploaded_size_mb)
    eta = remaining / rate if rate and image.size_mb else None
    if eta is not None and eta < 1:
        eta = None  # "about 0 s left" says nothing: the bar shows it is finishing
    last_progress = image.progress_at or image.submit_started_at or image.created_at
    stalled = bool(
        last_progress and (now - last_progress).total_seconds() > settings.STALL_AFTER_SECONDS
    )
    return Progress(
        percent=image.percent,
        done_mb=image.uploaded_size_mb,
        total_mb=image.size_mb,
        rate_mb_s=rate,
        eta_seconds=eta,
        stalled=stalled,
        no_progress_yet=image.status == Status.DOWNLOADING and not image.uploaded_size_mb,
        says=image.remote_status if unknown_status(image.remote_status) else "",
    )


def shown(image: Image) -> tuple:
    """The columns a list row shows (LIST_FIELDS), as values: equal tuples render alike."""
    return tuple(getattr(image, name) for name in LIST_FIELDS)


def live_token(images, now=None) -> str:
    """A short digest of everything the watched rows show: their list columns, and whether each
    is stalled and has bytes within the rate window (the two things that change with time
    alone). Equal tokens mean a fresh render would show the same rows."""
    now = now or timezone.now()
    digest = hashlib.blake2b(digest_size=8)
    for image in sorted(images, key=lambda i: i.pk):
        digest.update(repr((shown(image), *_clock_flags(image, now))).encode())
    return digest.hexdigest()


def live_token_of(account: Account, ids: list[int]) -> str:
    """`live_token` of the account's rows `ids`, from one query by primary key (no samples, no
    render): what the live fragment compares with the page's token."""
    rows = Image.objects.only(*LIST_FIELDS).filter(account=account, pk__in=ids[:LIVE_MAX_IDS])
    return live_token(rows)


def _clock_flags(image: Image, now) -> tuple[bool, bool]:
    last = image.progress_at or image.submit_started_at or image.created_at
    if last is None:
        return False, False
    age = (now - last).total_seconds()
    return age > settings.STALL_AFTER_SECONDS, age > RATE_WINDOW_SECONDS


def live_images(account: Account, ids: list[int]) -> list[Image]:
    """The rows a page is watching, in the order asked, with their progress."""
    ids = ids[:LIVE_MAX_IDS]
    by_id = Image.objects.only(*LIST_FIELDS).filter(account=account).in_bulk(ids)
    images = [by_id[i] for i in ids if i in by_id]
    attach_progress(images)
    return images


JOBS = ("poll", "sync", "stats")


def job_heartbeats(account: Account) -> dict[str, Heartbeat]:
    """Last success and failure of the account's background jobs (poll, sync, stats), by job
    name, in one query."""
    beats = Heartbeat.objects.filter(name__in=[account.job_key(job) for job in JOBS])
    return {h.name.split(":")[0]: h for h in beats}


# --- detail -------------------------------------------------------------------------------------


def image_detail(account: Account, pk: int) -> Image:
    """One image of the account; Image.DoesNotExist for another account's."""
    newer = Image.objects.filter(replaces=OuterRef("pk"))
    image = (
        Image.objects.select_related("requested_by")
        .annotate(has_successor=Exists(newer))
        .get(pk=pk, account=account)
    )
    attach_progress([image])
    return image


def needs_watching(image: Image) -> bool:
    """A detail page keeps refreshing while a download, a delete or a rename is pending."""
    return image.status in LIVE or image.pending_name is not None


def image_events(image: Image, limit: int = 100) -> list[AuditEvent]:
    return list(image.events.select_related("actor").order_by("-at", "-id")[:limit])


# --- upload -------------------------------------------------------------------------------------

# An upload repeats an image whose URL is downloaded or on its way (a failed, deleted or gone one
# does not count), or whose name a visible custom image already has.
URL_PRESENT = (Status.DOWNLOADED, *IN_FLIGHT)
MAX_DUPLICATES = 10


@dataclass
class Duplicate:
    image: Image
    same_url: bool
    same_name: bool


def duplicates_of(account: Account, url: str, name: str) -> list[Duplicate]:
    """Images an upload of `url` named `name` would repeat, newest first (names compare exactly,
    as Contabo lists them). One query, on the indexed name and the status."""
    same_url = Q(url=url, status__in=URL_PRESENT)
    same_name = Q(name=name, standard=False) & ~Q(status__in=HIDDEN)
    images = (
        Image.objects.only("id", "name", "url", "status", "version", "standard", "created_at")
        .filter(same_url | same_name, account=account)
        .order_by("-created_at", "-pk")[:MAX_DUPLICATES]
    )
    return [
        Duplicate(
            image=image,
            same_url=image.url == url and image.status in URL_PRESENT,
            same_name=image.name == name and not image.standard and image.status not in HIDDEN,
        )
        for image in images
    ]


# --- quota --------------------------------------------------------------------------------------


def latest_quota(account: Account) -> QuotaSnapshot | None:
    return QuotaSnapshot.objects.filter(account=account).order_by("-taken_at").first()


def quota_history(account: Account, limit: int = 60) -> list[QuotaSnapshot]:
    """The account's last `limit` snapshots, oldest first, for the usage chart."""
    snapshots = QuotaSnapshot.objects.filter(account=account).order_by("-taken_at")
    return list(reversed(snapshots[:limit]))


def in_flight_totals(account: Account) -> dict:
    """How many downloads are in flight and the MB they will still take."""
    remaining = Coalesce(Sum(F("size_mb") - F("uploaded_size_mb"), output_field=FloatField()), 0.0)
    totals = Image.objects.filter(account=account, status__in=IN_FLIGHT).aggregate(
        count=Count("pk"), remaining_mb=remaining
    )
    totals["remaining_mb"] = max(0.0, totals["remaining_mb"])
    return totals


def quota_left(snapshot: QuotaSnapshot | None, pending_mb: float) -> float | None:
    """Free MB after the downloads in flight finish, or None before the first snapshot."""
    if snapshot is None:
        return None
    return snapshot.free_mb - pending_mb


def quota_left_now(account: Account) -> float | None:
    """Free MB once the account's downloads in flight finish (None before the first snapshot)."""
    return quota_left(latest_quota(account), in_flight_totals(account)["remaining_mb"])


def largest_images(account: Account, limit: int = 10) -> list[Image]:
    return list(
        Image.objects.only("id", "name", "size_mb", "status", "os_type", "version", "standard")
        .filter(account=account, standard=False, size_mb__gt=0)
        .exclude(status__in=HIDDEN)
        .order_by("-size_mb", "pk")[:limit]
    )


# --- versions -----------------------------------------------------------------------------------

MAX_VERSIONS = 50
VERSION_FIELDS = (
    "id",
    "name",
    "version",
    "status",
    "url",
    "replaces_id",
    "created_at",
    "remote_created_at",
    "delete_replaced_when_done",
)


def versions(image: Image) -> list[Image]:
    """Every image linked to this one by retries and replacements, oldest first.

    Nothing to read for an image with no lineage (`image_detail` annotates `has_successor`).
    Otherwise one query per generation up to the first version, then one per generation down.
    """
    if image.replaces_id is None and not getattr(image, "has_successor", True):
        return []
    found = {image.pk: image}
    same_account = Image.objects.only(*VERSION_FIELDS).filter(account_id=image.account_id)
    root = image
    while root.replaces_id is not None and len(found) < MAX_VERSIONS:
        parent = same_account.filter(pk=root.replaces_id).first()
        if parent is None or parent.pk in found:
            break
        found[parent.pk] = root = parent
    level, visited = [root.pk], {root.pk}
    while level and len(found) < MAX_VERSIONS:
        children = same_account.filter(replaces_id__in=level)
        level = []
        for child in children[:MAX_VERSIONS]:
            if child.pk not in visited:
                visited.add(child.pk)
                found.setdefault(child.pk, child)
                level.append(child.pk)
    if len(found) < 2:
        return []
    for version in found.values():
        previous = found.get(version.replaces_id)
        version.step = ""
        if previous is not None:
            same = (previous.url, previous.version) == (version.url, version.version)
            version.step = "retry" if same else "new version"
    return sorted(found.values(), key=lambda i: (i.created_at, i.pk))


# --- export -------------------------------------------------------------------------------------

EXPORT_FIELDS = (
    "id",
    "remote_id",
    "name",
    "status",
    "standard",
    "os_type",
    "version",
    "format",
    "size_mb",
    "uploaded_size_mb",
    "url",
    "description",
    "error_message",
    "remote_created_at",
    "created_at",
    "replaces_id",
)


def export_rows(account: Account, criteria: dict, chunk_size: int = 2000):
    """Every image of the account the list's filters and sort select (not just one page), as
    tuples in EXPORT_FIELDS order, streamed from the database in chunks; URLs without
    credentials."""
    images = images_matching(account, criteria)
    url_at = EXPORT_FIELDS.index("url")
    for row in images.values_list(*EXPORT_FIELDS).iterator(chunk_size=chunk_size):
        yield (*row[:url_at], without_credentials(row[url_at]), *row[url_at + 1 :])


# --- bulk actions -------------------------------------------------------------------------------

BULK_MAX = 500  # images one bulk action may cover


def bulk_selection(account: Account, *, ids=(), criteria: dict | None = None) -> list[Image]:
    """The images a bulk action is about, whole rows: the ticked `ids` of the account, or every
    image the list's `criteria` select. At most BULK_MAX + 1, so a caller sees "too many"."""
    if criteria is not None:
        pks = images_matching(account, criteria).values_list("pk", flat=True)[: BULK_MAX + 1]
        images = Image.objects.filter(account=account, pk__in=list(pks))
    else:
        images = Image.objects.filter(account=account, pk__in=list(ids)[: BULK_MAX + 1])
    return list(images.order_by("name", "pk"))
