"""Pages: server time and SQL queries per request at 1k, 10k and 100k local images.

Each request goes through the project's WSGI application in-process (every middleware, the
session and user lookups, template rendering), logged in as a superuser. Timing runs and the
query count run are separate, so counting does not slow the timed requests.
"""

import time

from bench import harness, seed

REQUESTS = 50
WARMUP = 5
QUERY_TARGET = 8
LIST_P95_TARGET_MS = 50.0


def scenarios() -> list[tuple[str, str]]:
    from images.models import Image, Status

    detail = seed.detail_image()
    ready = Image.objects.filter(status=Status.DOWNLOADED, standard=False).order_by("pk").first()
    live_ids = ",".join(
        str(pk)
        for pk in Image.objects.filter(status=Status.DOWNLOADING).values_list("pk", flat=True)[:25]
    )
    return [
        ("list", "/images/"),
        ("list filtered (status+os+kind)", "/images/?status=downloaded&os=Linux&kind=custom"),
        ("list search, 1 hit (q=000777)", "/images/?q=000777"),
        ("list search, 1 in 6 (q=debian)", "/images/?q=debian"),
        ("list sort name", "/images/?sort=name"),
        ("list sort -size", "/images/?sort=-size"),
        ("list page 20", "/images/?page=20"),
        ("list live fragment", f"/images/live/?ids={live_ids}"),
        ("detail, downloading", f"/images/{detail.pk}/"),
        ("detail, ready", f"/images/{ready.pk}/"),
        ("quota", "/images/stats/"),
    ]


def measure(client: harness.WsgiClient, url: str, requests: int = REQUESTS) -> dict:
    for _ in range(WARMUP):
        status, _body = client.get(url)
        assert status == 200, (url, status)
    with harness.count_queries() as queries:
        client.get(url)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(url)
        timings.append(time.perf_counter() - started)
    return {**harness.summary_ms(timings), "queries": queries[0]}


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
        for name, url in scenarios():
            result = measure(client, url, requests)
            row = {"db": db, "images": size, "page": name, "url": url, **result}
            row["queries_ok"] = result["queries"] <= QUERY_TARGET
            if name.startswith("list") and db == "postgres" and size >= 100_000:
                row["p95_target_ms"] = LIST_P95_TARGET_MS
                row["p95_ok"] = result["p95_ms"] <= LIST_P95_TARGET_MS
            rows.append(row)
            harness.log(
                f"  {name:34} median {result['median_ms']:7.2f} ms  "
                f"p95 {result['p95_ms']:7.2f} ms  {result['queries']} queries"
            )
    return rows
