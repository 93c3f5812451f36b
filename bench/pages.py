"""Pages: server time and SQL queries per request at 1k, 10k and 100k local images.

Each request goes through the project's WSGI application in-process (every middleware, the
session and user lookups, template rendering), logged in as a superuser. Timing runs and the
query count run are separate, so counting does not slow the timed requests.
"""

import time
import urllib.parse

from bench import harness, seed

REQUESTS = 100
WARMUP = 5
QUERY_TARGET = 8
LIST_P95_TARGET_MS = 50.0
FLOOR_URL = "/accounts/password_change/done/"
LIST_VS_FLOOR = 2.0  # every list variant's p95 within 2x the floor's (issue 13)
LIVE_VS_FLOOR = 1.5  # the live fragment when nothing changed: within 1.5x


def _cursor_url(sort: str, number: int) -> str:
    """The URL the list's Next link gives for page `number` (its cursor: the row before it)."""
    from images import keyset, selectors
    from images.services.accounts import settings_account

    images = selectors.image_queryset(settings_account(), sort=sort)
    row = keyset.read_at(images, images.list_key, (number - 1) * selectors.PAGE_SIZE - 1, 1)[0]
    query = {"sort": sort, "page": number, "after": keyset.cursor_of(row, images.list_key)}
    return f"/images/?{urllib.parse.urlencode(query)}"


def scenarios(size: int) -> list[tuple]:
    from images import selectors
    from images.models import Image, Status
    from images.services.accounts import settings_account

    detail = seed.detail_image()
    ready = Image.objects.filter(status=Status.DOWNLOADED, standard=False).order_by("pk").first()
    live_ids = ",".join(
        str(pk)
        for pk in Image.objects.filter(status=Status.DOWNLOADING).values_list("pk", flat=True)[:25]
    )
    ids = [int(pk) for pk in live_ids.split(",") if pk]

    def unchanged() -> str:
        # Taken just before measuring: once the seeded downloads pass the stall deadline their
        # rows do change (they show "possibly stalled"), so an early version would be stale.
        version = selectors.live_token_of(settings_account(), ids)
        return f"/images/live/?ids={live_ids}&v={version}"

    deep = 500 if size >= 60_000 else 5
    return [
        # References, same run: a logged-in page that does nothing, and Django's admin
        # changelist over the same rows (its default order, by size, and its page 500).
        ("floor (logged-in, does nothing)", FLOOR_URL),
        ("admin changelist", "/admin/images/image/"),
        ("admin changelist sort -size", "/admin/images/image/?o=-6"),
        *([("admin changelist page 500", "/admin/images/image/?p=500")] if size >= 60_000 else []),
        ("list", "/images/"),
        ("list filtered (status+os+kind)", "/images/?status=downloaded&os=Linux&kind=custom"),
        ("list search, 1 hit (q=000777)", "/images/?q=000777"),
        ("list search, 1 in 6 (q=debian)", "/images/?q=debian"),
        ("list sort name", "/images/?sort=name"),
        ("list sort -size", "/images/?sort=-size"),
        ("list page 20", "/images/?page=20"),
        (f"list page {deep} (typed)", f"/images/?page={deep}"),
        (f"list page {deep} (Next link)", _cursor_url("-date", deep)),
        (f"list sort -size page {deep} (typed)", f"/images/?sort=-size&page={deep}"),
        (f"list sort -size page {deep} (Next link)", _cursor_url("-size", deep)),
        (f"list sort date page {deep} (Next link)", _cursor_url("date", deep)),
        ("list last page (Last link)", "/images/?page=9999&before="),
        ("list live fragment, rows changed", f"/images/live/?ids={live_ids}"),
        ("list live fragment, nothing changed", unchanged),
        ("detail, downloading", f"/images/{detail.pk}/"),
        ("detail, ready", f"/images/{ready.pk}/"),
        ("quota", "/images/stats/"),
    ]


def warm(client: harness.WsgiClient, url: str) -> int:
    """Warm-up requests, then the SQL statements of one more (counting slows it: not timed)."""
    for _ in range(WARMUP):
        status, _body = client.get(url)
        assert status in (200, 204), (url, status)
    with harness.count_queries() as queries:
        client.get(url)
    return queries[0]


def measure(client: harness.WsgiClient, url: str, requests: int = REQUESTS) -> dict:
    """`requests` timed requests of one page in a row."""
    queries = warm(client, url)
    timings = in_turn(client, [(url, url)], requests)[url]
    return {**harness.summary_ms(timings), "queries": queries, "url": url}


def in_turn(client: harness.WsgiClient, pages: list[tuple], requests: int) -> dict[str, list]:
    """`requests` rounds asking every page once, timed: each page's timings come from the same
    moments as the others', so a hiccup of the machine lands on all of them alike. A URL given
    as a callable is asked for anew each round (untimed)."""
    timings = {name: [] for name, _url in pages}
    for _ in range(requests):
        for name, url in pages:
            url = url() if callable(url) else url
            started = time.perf_counter()
            client.get(url)
            timings[name].append(time.perf_counter() - started)
    return timings


def measure_in_turn(client: harness.WsgiClient, pages: list[tuple], requests: int) -> dict:
    """Each page warmed up, then its summary from `in_turn`."""
    urls = {name: url() if callable(url) else url for name, url in pages}
    queries = {name: warm(client, url) for name, url in urls.items()}
    timings = in_turn(client, pages, requests)
    return {
        name: {**harness.summary_ms(timings[name]), "queries": queries[name], "url": urls[name]}
        for name in urls
    }


def run(db: str, args, env: dict) -> list[dict]:
    sizes, requests = args.sizes, args.requests
    user = harness.bench_user()
    client = harness.WsgiClient(harness.login_cookie(user))
    rows = []
    for size in sorted(sizes):
        started = time.perf_counter()
        added = seed.grow_to(size)
        harness.analyze()
        seconds = time.perf_counter() - started
        harness.log(f"pages: {size} images ({added} added in {seconds:.1f} s)")
        pages = scenarios(size)
        # Django's admin changelists take up to half a second a request: measured apart, not in
        # the rounds that put every other page beside the floor.
        results = measure_in_turn(
            client, [p for p in pages if not p[0].startswith("admin")], requests
        )
        for name, url in pages:
            if name.startswith("admin"):
                results[name] = measure(client, url, requests)
        floor = results[pages[0][0]]["p95_ms"]  # the first scenario: the same run's floor
        for name, _url in pages:
            result = results[name]
            row = {"db": db, "images": size, "page": name, **result}
            row["vs_floor"] = round(result["p95_ms"] / floor, 2)
            if name.startswith("list"):
                limit = LIVE_VS_FLOOR if "nothing changed" in name else LIST_VS_FLOOR
                row["vs_floor_target"] = limit
                row["vs_floor_ok"] = row["vs_floor"] <= limit
            row["queries_ok"] = result["queries"] <= QUERY_TARGET
            if name.startswith("list") and db == "postgres" and size >= 100_000:
                row["p95_target_ms"] = LIST_P95_TARGET_MS
                row["p95_ok"] = result["p95_ms"] <= LIST_P95_TARGET_MS
            rows.append(row)
            harness.log(
                f"  {name:34} median {result['median_ms']:7.2f} ms  "
                f"p95 {result['p95_ms']:7.2f} ms  {row['vs_floor']:5.2f}x floor  "
                f"{result['queries']} queries"
            )
    return rows
