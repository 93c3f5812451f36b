"""The JSON API's list beside the list page: server time and SQL statements per request at the
same sizes as `pages`, on the same rows, with a personal API token (the page with a session).

A deep page is reached by following `next` from the first page (cursor pagination), then timed.
"""

import json
import time

from bench import harness, pages, seed

DEEP_PAGES = 200  # at most; half the list at smaller sizes


def scenarios(client, auth: dict, size: int) -> list[tuple[str, str, dict]]:
    from images.models import Image, Status

    depth = min(DEEP_PAGES, size // 50)
    url = "/api/v1/images/?page_size=25"
    for _ in range(depth):
        url = json.loads(client.get(url, auth)[1])["next"].removeprefix("http://127.0.0.1")
    ready = seed.detail_image().pk
    failed = Image.objects.filter(status=Status.FAILED).order_by("pk").first().pk
    return [
        ("list page (HTML, session)", "/images/", {}),
        ("API list", "/api/v1/images/", auth),
        ("API list, 100 per page", "/api/v1/images/?page_size=100", auth),
        ("API list filtered", "/api/v1/images/?status=downloaded&os=Linux&kind=custom", auth),
        ("API search, 1 in 6 (q=debian)", "/api/v1/images/?q=debian", auth),
        ("API sort name", "/api/v1/images/?sort=name", auth),
        (f"API list, page {depth + 1} by cursor", url, auth),
        ("API detail with audit trail", f"/api/v1/images/{ready}/", auth),
        ("API detail, failed", f"/api/v1/images/{failed}/", auth),
    ]


def measure(client, url: str, headers: dict, requests: int) -> dict:
    for _ in range(pages.WARMUP):
        status, _body = client.get(url, headers)
        assert status == 200, (url, status)
    with harness.count_queries() as queries:
        client.get(url, headers)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(url, headers)
        timings.append(time.perf_counter() - started)
    return {**harness.summary_ms(timings), "queries": queries[0]}


def run(db: str, args, env: dict) -> list[dict]:
    from django.conf import settings

    from images.services.tokens import create_token

    settings.API_THROTTLE_RATE = "1000000/minute"  # measuring the list, not the throttle
    harness.wipe()  # the pages' rows, not what the sections before this one left behind
    user = harness.bench_user()
    _token, secret = create_token(user=user, name="bench")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_ACCEPT": "application/json"}
    client = harness.WsgiClient(harness.login_cookie(user))
    rows = []
    for size in sorted(args.sizes):
        added = seed.grow_to(size)
        harness.analyze()
        harness.log(f"api: {size} images ({added} added)")
        for name, url, headers in scenarios(client, auth, size):
            result = measure(client, url, headers, args.requests)
            row = {"db": db, "images": size, "request": name, "url": url, **result}
            if name.startswith(("API list", "list page")) and db == "postgres" and size >= 100_000:
                row["p95_target_ms"] = pages.LIST_P95_TARGET_MS
                row["p95_ok"] = result["p95_ms"] <= pages.LIST_P95_TARGET_MS
            rows.append(row)
            harness.log(
                f"  {name:36} median {result['median_ms']:7.2f} ms  "
                f"p95 {result['p95_ms']:7.2f} ms  {result['queries']} queries"
            )
    return rows
