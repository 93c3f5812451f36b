"""Full sync: wall time, API calls and peak memory of `sync_images` over N remote custom images,
into an empty database and into one already in sync, at several N to show memory stays flat.

Every measurement runs in a fresh process (`python -m bench.sync N`), so the RSS delta is not
hidden by memory an earlier run left allocated. Time is measured in a run without tracemalloc
(it slows allocation-heavy code several times); a second, identical run measures the
tracemalloc peak. The RSS delta is the peak resident size sampled every 5 ms during the timed
run, minus the size just before it.
"""

import json
import subprocess
import sys
import time
import tracemalloc

from bench import harness

TARGET_SECONDS = 10.0


def _api_calls(calls: dict) -> int:
    return sum(v for k, v in calls.items() if k != "token")


def measure_here(traced: bool) -> dict:
    """One sync in this process (the child side; Django is set up)."""
    from images.services.accounts import settings_account
    from images.services.sync import sync_images
    from sandbox.testing import SandboxServer

    sandbox = SandboxServer(port=int(harness.os.environ["SANDBOX_PORT"]))  # control API only
    client = harness.client()
    client.list_images(page=1, size=1)  # token fetched before measuring
    sandbox.reset_calls()
    if traced:
        tracemalloc.start()
    with harness.RssPeak() as rss:
        started = time.perf_counter()
        run = sync_images(client, settings_account())
        wall = time.perf_counter() - started
    result = {
        "seconds": round(wall, 2),
        "calls": _api_calls(sandbox.calls()),
        "rss_delta_mb": round(rss.delta / 2**20, 1),
        "added": run.added,
        "updated": run.updated,
    }
    if traced:
        result["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 2)
        tracemalloc.stop()
    return result


def _measure(traced: bool) -> dict:
    from django.db import connections

    connections.close_all()  # SQLite: let the child write
    command = [sys.executable, "-m", "bench.sync"] + (["--traced"] if traced else [])
    out = subprocess.run(command, cwd=harness.ROOT, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"sync child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(db: str, args, env: dict) -> list[dict]:
    from images.models import Image

    sandbox = harness.sandbox()
    rows = []
    for n in sorted(args.sync_sizes):
        sandbox.reset()
        sandbox.seed(n, status="downloaded", sizeMb=2048, uploadedSizeMb=2048, name="custom")
        for state in ("empty", "in sync"):
            if state == "empty":
                harness.wipe()
            timed = _measure(traced=False)
            if state == "empty":
                harness.wipe()
            traced = _measure(traced=True)
            local = Image.objects.filter(standard=False).count()
            assert local == n, (local, n)
            row = {
                "db": db,
                "remote_images": n,
                "database": state,
                "seconds": timed["seconds"],
                "target_s": TARGET_SECONDS,
                "seconds_ok": timed["seconds"] < TARGET_SECONDS,
                "calls": timed["calls"],
                "added": timed["added"],
                "updated": timed["updated"],
                "tracemalloc_peak_mb": traced["tracemalloc_peak_mb"],
                "rss_delta_mb": timed["rss_delta_mb"],
            }
            rows.append(row)
            harness.log(
                f"sync {n:6} into {state:8}: {timed['seconds']} s, {timed['calls']} calls, "
                f"peak {traced['tracemalloc_peak_mb']} MB traced, "
                f"RSS +{timed['rss_delta_mb']} MB"
            )
    return rows


if __name__ == "__main__":
    import django

    django.setup()
    print(json.dumps(measure_here(traced="--traced" in sys.argv)))
