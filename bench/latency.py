"""API-latency independence: page times while a real Celery worker polls and syncs against a
sandbox that answers at once, and against one that adds 1 s to every API call.

Data: 10,000 remote custom images (200 of them downloading) synced into the local database.
A worker and beat run with a 1 s poll interval and a 5 s sync interval, so the worker is always
busy with the API: with 1 s latency a sync takes over 100 s and a poll cycle several seconds.
Eight rounds of each condition alternate (no latency, 1 s latency, no latency, ...), each asking
the pages in turn, and samples are pooled per condition, so the machine's slow phases fall on
both alike (three longer rounds let one phase decide a p95). A round with no worker at all is
the reference.
"""

import time

from bench import harness, pages

IMAGES = 10_000
IN_FLIGHT = 200
ROUNDS = 8
TARGET_RATIO = 1.10


def _pages(client) -> list[tuple[str, str]]:
    from images.models import Image, Status

    detail = Image.objects.filter(status=Status.DOWNLOADING).order_by("pk").first()
    return [("list", "/images/"), ("detail", f"/images/{detail.pk}/"), ("quota", "/images/stats/")]


def _round(client, urls, requests) -> dict[str, list[float]]:
    """`requests` timings of each page, asking the pages in turn after their warm-up."""
    for _name, url in urls:
        pages.warm(client, url)
    return pages.in_turn(client, urls, requests)


def run(db: str, args, env: dict) -> list[dict]:
    from django.db import connections

    from images.services.accounts import settings_account
    from images.services.sync import refresh_stats, sync_images

    sandbox = harness.sandbox()
    sandbox.reset()
    harness.wipe()
    sandbox.seed(IMAGES - IN_FLIGHT, status="downloaded", sizeMb=2048, uploadedSizeMb=2048)
    sandbox.seed(IN_FLIGHT, status="downloading", sizeMb=8000, uploadedSizeMb=100, name="dl")
    api = harness.client()
    sync_images(api, settings_account())
    refresh_stats(api, settings_account())
    harness.analyze()
    requests = max(10, args.requests // 2)  # per round: 400 per condition by default
    client = harness.WsgiClient(harness.login_cookie(harness.bench_user()))
    urls = _pages(client)
    pooled = {"no worker": {}, "worker, 0 ms API": {}, "worker, 1000 ms API": {}}

    def add(condition, samples):
        for name, timings in samples.items():
            pooled[condition].setdefault(name, []).extend(timings)

    add("no worker", _round(client, urls, 2 * requests))
    connections.close_all()
    harness.flush_redis()
    worker_env = {"POLL_INTERVAL_SECONDS": "1", "SYNC_INTERVAL_SECONDS": "5"}
    schedule = harness.VAR / db / "latency-beat-schedule"
    schedule.unlink(missing_ok=True)
    worker = harness.celery("worker", "latency-worker", worker_env, "--concurrency", "2")
    beat = harness.celery("beat", "latency-beat", worker_env, "--schedule", str(schedule))
    try:
        for _ in range(ROUNDS):
            for latency_ms, condition in ((0, "worker, 0 ms API"), (1000, "worker, 1000 ms API")):
                sandbox.set_faults(latency_ms=latency_ms)
                sandbox.reset_calls()
                time.sleep(3)  # the worker is mid-cycle under the new latency
                add(condition, _round(client, urls, requests))
                calls = sum(v for k, v in sandbox.calls().items() if k != "token")
                harness.log(f"latency {latency_ms} ms: the worker made {calls} API calls")
    finally:
        sandbox.set_faults(latency_ms=0)
        beat.stop()
        worker.stop()
    rows = []
    for name, _url in urls:
        base = harness.summary_ms(pooled["worker, 0 ms API"][name])
        slow = harness.summary_ms(pooled["worker, 1000 ms API"][name])
        idle = harness.summary_ms(pooled["no worker"][name])
        ratio = round(slow["p95_ms"] / base["p95_ms"], 2)
        rows.append(
            {
                "db": db,
                "page": name,
                "images": IMAGES,
                "idle_p95_ms": idle["p95_ms"],
                "p95_ms_api_0": base["p95_ms"],
                "p95_ms_api_1000": slow["p95_ms"],
                "median_ms_api_0": base["median_ms"],
                "median_ms_api_1000": slow["median_ms"],
                "n": slow["n"],
                "ratio": ratio,
                "target_ratio": TARGET_RATIO,
                "ok": ratio <= TARGET_RATIO,
            }
        )
        harness.log(
            f"latency {name}: p95 {base['p95_ms']} ms (API 0 ms) vs {slow['p95_ms']} ms "
            f"(API 1000 ms), ratio {ratio}; idle {idle['p95_ms']} ms"
        )
    return rows
