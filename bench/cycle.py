"""Poll cycle at scale: one account's cycle with 1,000 downloads in flight behind a 200 ms API and
10,000 behind an instant one; its time beside the time spent in its API calls, its SQL
statements, and the progress-sample rows it leaves.

The sandbox holds 200 settled custom images plus N newer ones seeded `downloading` with bytes that
never move, so every cycle sees the same N and no new fact: a cycle at its floor writes nothing.
Three cycles are run on the same rows; time and statements are their medians, sample rows the
total after the three (no bytes arrived: the target is 0).
"""

import statistics
import time

from bench import harness

CYCLES = 3
SETTLED = 200
DEFAULT_CASES = "1000@200,10000@0"


def cases(text: str) -> list[tuple[int, int]]:
    """`"1000@200,10000@0"` -> [(1000, 200), (10000, 0)]: in flight @ API latency in ms."""
    out = []
    for part in text.split(","):
        n, _, ms = part.strip().partition("@")
        out.append((int(n), int(ms or 0)))
    return out


class TimedClient:
    """The product's client with the wall time of its API calls added up."""

    def __init__(self, client) -> None:
        self.client = client
        self.api_seconds = 0.0
        self.calls = 0

    def __getattr__(self, name):
        attr = getattr(self.client, name)
        if name not in ("list_images", "get_image"):
            return attr

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self.api_seconds += time.perf_counter() - started
                self.calls += 1

        return timed


def _cycle(client, account) -> dict:
    from images.services.polling import poll

    timed = TimedClient(client)
    with harness.count_queries() as statements:
        started = time.perf_counter()
        result = poll(timed, account)
        wall = time.perf_counter() - started
    assert not result.skipped
    return {
        "wall": wall,
        "api": timed.api_seconds,
        "calls": timed.calls,
        "statements": statements[0],
    }


def run(db: str, args, env: dict) -> list[dict]:
    from images.models import Image, ProgressSample, Status
    from images.services.accounts import settings_account
    from images.services.sync import sync_images

    sandbox = harness.sandbox()
    client = harness.client()
    account = settings_account()
    rows = []
    for n, latency_ms in cases(args.cycle_cases):
        sandbox.reset()
        harness.wipe()
        account = settings_account()
        ids = sandbox.seed(
            n + SETTLED, status="downloading", sizeMb=4000, uploadedSizeMb=1000, name="img"
        )
        for image_id in ids[:SETTLED]:
            sandbox.force(image_id, status="downloaded", uploadedSizeMb=4000)
        sync_images(client, account, page_size=1000)
        assert Image.objects.filter(status=Status.DOWNLOADING).count() == n
        ProgressSample.objects.all().delete()
        harness.analyze()
        client.list_images(page=1, size=1)  # token fetched before timing
        sandbox.set_faults(latency_ms=latency_ms)
        cycles = [_cycle(client, account) for _ in range(CYCLES)]
        sandbox.set_faults(latency_ms=0)
        wall = statistics.median(c["wall"] for c in cycles)
        api = statistics.median(c["api"] for c in cycles)
        local = statistics.median(c["wall"] - c["api"] for c in cycles)
        row = {
            "db": db,
            "in_flight": n,
            "latency_ms": latency_ms,
            "calls": statistics.median(c["calls"] for c in cycles),
            "wall_s": round(wall, 2),
            "api_s": round(api, 2),
            "local_s": round(local, 2),
            "local_target_s": 0.5,
            "local_ok": local <= 0.5,
            "interval_s": 3.0,
            "wall_ok": wall <= 3.0,
            "statements": statistics.median(c["statements"] for c in cycles),
            "samples_after": ProgressSample.objects.count(),
            "cycles": CYCLES,
            "load": harness.load(),
        }
        rows.append(row)
        harness.log(
            f"cycle {n:6} @ {latency_ms} ms: {row['wall_s']} s ({row['api_s']} s in "
            f"{row['calls']} API calls), {row['statements']} statements, "
            f"{row['samples_after']} samples after {CYCLES} cycles, load {row['load']}"
        )
    return rows
