"""Pages asked in turn, one of each per round, on the database the last pages run left behind:
on a shared, noisy machine, each page's ratio to the floor then compares requests made at the
same moments.

    python -m bench.alternate postgres 20      # after `python -m bench --sections pages`
    python -m bench.alternate sqlite 20
"""

import os
import sys
import time

from bench import harness
from sandbox.testing import free_port


def main(db: str, rounds: int) -> None:
    harness.configure(db, free_port())
    harness.setup_django()  # and migrate, in case the code moved on since that run
    from bench import pages

    client = harness.WsgiClient(harness.login_cookie(harness.bench_user()))
    urls = {n: u() if callable(u) else u for n, u in pages.scenarios(100_000)}
    names = [n for n in urls if not n.startswith("admin")]  # seconds each: measured apart
    times = {n: [] for n in names}
    for name in names:
        for _ in range(pages.WARMUP):
            client.get(urls[name])
    for _ in range(rounds):
        for name in names:
            started = time.perf_counter()
            client.get(urls[name])
            times[name].append(time.perf_counter() - started)
    floor = harness.summary_ms(times[names[0]])
    for name in names:
        r = harness.summary_ms(times[name])
        print(
            f"{name:40} median {r['median_ms']:8.2f} ({r['median_ms'] / floor['median_ms']:.2f}x)"
            f"  p95 {r['p95_ms']:8.2f} ({r['p95_ms'] / floor['p95_ms']:.2f}x)"
        )
    print("load average", ", ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20)
