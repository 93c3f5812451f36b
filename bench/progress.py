"""Progress latency: from the sandbox marking a download finished to the browser showing it.

The product runs as `make run` starts it: gunicorn (2 workers), a Celery worker and beat, with
the default intervals (poll every POLL_INTERVAL_SECONDS = 3 s, the list page asks for its live
rows every PAGE_REFRESH_SECONDS = 2 s). Headless Chromium shows the image list, logged in.

Each run: seed one downloading image in the sandbox and sync it in; open the list and wait for
its row to show `downloading`; wait a random 0-3 s (so runs fall at every phase of the two
timers); note the time and force the image `downloaded` in the sandbox; a MutationObserver in
the page records (Date.now(), the same clock) when the row turns `downloaded`.
"""

import random
import statistics
import time

from bench import harness
from sandbox.testing import free_port
from testkit import chromium

POLL_INTERVAL = 3.0
PAGE_INTERVAL = 2.0
WATCH = """sel => {
  window.__doneAt = null;
  const check = () => {
    if (window.__doneAt === null && document.querySelector(sel)) window.__doneAt = Date.now();
  };
  new MutationObserver(check).observe(document.body,
    {subtree: true, childList: true, attributes: true});
  check();
}"""


def run(db: str, args, env: dict) -> list[dict]:
    from django.conf import settings
    from django.db import connections
    from playwright.sync_api import sync_playwright

    from images.models import Image
    from images.services.accounts import settings_account
    from images.services.sync import sync_images

    sandbox = harness.sandbox()
    sandbox.reset()
    sandbox.set_faults(latency_ms=0)
    harness.wipe()
    sandbox.seed(200, status="downloaded", sizeMb=2048, uploadedSizeMb=2048)
    api = harness.client()
    sync_images(api, settings_account())
    cookie = harness.login_cookie(harness.bench_user())
    name, _, value = cookie.partition("=")
    connections.close_all()
    harness.flush_redis()
    intervals = {
        "POLL_INTERVAL_SECONDS": str(POLL_INTERVAL),
        "PAGE_REFRESH_SECONDS": str(PAGE_INTERVAL),
        "SYNC_INTERVAL_SECONDS": "300",
    }
    port = free_port()
    schedule = harness.VAR / db / "progress-beat-schedule"
    schedule.unlink(missing_ok=True)
    web = harness.gunicorn("progress-web", port, 2, intervals)
    worker = harness.celery("worker", "progress-worker", intervals, "--concurrency", "2")
    beat = harness.celery("beat", "progress-beat", intervals, "--schedule", str(schedule))
    base = f"http://127.0.0.1:{port}"
    latencies = []
    rng = random.Random(5)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(**chromium.launch_args())
            context = browser.new_context()
            context.add_cookies([{"name": name, "value": value, "url": base}])
            page = context.new_page()
            for n in range(args.progress_runs):
                (image_id,) = sandbox.seed(
                    1, status="downloading", sizeMb=1000, uploadedSizeMb=100, name=f"p{n}"
                )
                sync_images(api, settings_account())
                pk = Image.objects.get(remote_id=image_id).pk
                page.goto(f"{base}/images/")
                page.wait_for_selector(f"#image-{pk}.row--downloading")
                page.evaluate(WATCH, f"#image-{pk}.row--downloaded")
                time.sleep(rng.uniform(0, POLL_INTERVAL))
                marked = time.time()
                sandbox.force(image_id, status="downloaded", uploadedSizeMb=1000)
                page.wait_for_function("() => window.__doneAt !== null", timeout=60_000)
                shown = page.evaluate("window.__doneAt") / 1000
                latencies.append(shown - marked)
                harness.log(f"progress run {n + 1}: {shown - marked:.2f} s")
            browser.close()
    finally:
        beat.stop()
        worker.stop()
        web.stop()
    target = POLL_INTERVAL + PAGE_INTERVAL
    assert settings.POLL_INTERVAL_SECONDS  # the in-process value is not the one used above
    return [
        {
            "db": db,
            "runs": len(latencies),
            "poll_interval_s": POLL_INTERVAL,
            "page_interval_s": PAGE_INTERVAL,
            "median_s": round(statistics.median(latencies), 2),
            "max_s": round(max(latencies), 2),
            "min_s": round(min(latencies), 2),
            "target_s": target,
            "ok": max(latencies) <= target,
            "all_s": [round(x, 2) for x in latencies],
        }
    ]
