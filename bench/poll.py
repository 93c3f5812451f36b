"""Poll cycle: API calls and wall time per cycle with 0, 1, 100 and 1,000 downloads in flight.

The sandbox holds 200 settled custom images plus N newer ones seeded as `downloading` (seeded
images never progress, so every cycle sees the same N); a sync brings them into the local
database. Then, in the same run and on the same rows:

* batched: `images.services.polling.poll(client, account)`, the product's cycle (list pages newest
  first);
* per image: GET /images/{id} for each in-flight image, then the same local write (`apply`),
  as Contabo's Terraform provider and OpenStack Horizon watch an image.

API calls come from the sandbox's own counters (token requests excluded).
"""

import math
import statistics
import time

from bench import harness

CYCLES = 5
SETTLED = 200


def _api_calls(calls: dict) -> int:
    return sum(v for k, v in calls.items() if k != "token")


def _per_image_cycle(client) -> None:
    from django.utils import timezone

    from images.models import Image, Status
    from images.services.polling import apply

    wanted = dict(
        Image.objects.filter(status=Status.DOWNLOADING, remote_id__isnull=False).values_list(
            "remote_id", "pk"
        )
    )
    now = timezone.now()
    for remote_id, pk in wanted.items():
        apply(pk, client.get_image(remote_id), now)


def _measure(sandbox, fn, cycles: int) -> dict:
    walls, calls = [], []
    for _ in range(cycles):
        sandbox.reset_calls()
        started = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - started)
        calls.append(_api_calls(sandbox.calls()))
    return {
        "calls": statistics.median(calls),
        "wall_ms": round(statistics.median(walls) * 1000, 1),
        "wall_p95_ms": round(harness.percentile(walls, 95) * 1000, 1),
    }


def _ratio(baseline: float, ours: float) -> float | None:
    return round(baseline / ours, 1) if ours else None


def run(db: str, args, env: dict) -> list[dict]:
    from django.conf import settings

    from images.models import Image, Status
    from images.services.accounts import settings_account
    from images.services.polling import poll
    from images.services.sync import sync_images

    sandbox = harness.sandbox()
    client = harness.client()
    page_size = settings.CONTABO_PAGE_SIZE
    rows = []
    for n in args.poll_sizes:
        sandbox.reset()
        harness.wipe()
        # One seed call dates its images a second apart, oldest first: the first SETTLED are
        # turned into finished downloads, so the N in flight are the newest (the usual case).
        ids = sandbox.seed(
            n + SETTLED, status="downloading", sizeMb=4000, uploadedSizeMb=1000, name="img"
        )
        for image_id in ids[:SETTLED]:
            sandbox.force(image_id, status="downloaded", uploadedSizeMb=4000)
        account = settings_account()
        sync_images(client, account)
        in_flight = Image.objects.filter(status=Status.DOWNLOADING).count()
        assert in_flight == n, (in_flight, n)
        client.list_images(page=1, size=1)  # token fetched before timing
        batched = _measure(sandbox, lambda account=account: poll(client, account), CYCLES)
        single = _measure(sandbox, lambda: _per_image_cycle(client), CYCLES)
        target = math.ceil(n / page_size)
        row = {
            "db": db,
            "in_flight": n,
            "page_size": page_size,
            "target_calls": target,
            "batched_calls": batched["calls"],
            "batched_ms": batched["wall_ms"],
            "batched_p95_ms": batched["wall_p95_ms"],
            "per_image_calls": single["calls"],
            "per_image_ms": single["wall_ms"],
            "calls_ok": batched["calls"] <= target,
            "call_ratio": _ratio(single["calls"], batched["calls"]),
            "time_ratio": _ratio(single["wall_ms"], batched["wall_ms"]) if n else None,
        }
        rows.append(row)
        harness.log(
            f"poll {n:5}: batched {batched['calls']} calls {batched['wall_ms']} ms; "
            f"per-image {single['calls']} calls {single['wall_ms']} ms"
        )
    return rows
