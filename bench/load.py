"""Load: the list under 20 clients at once, through gunicorn with 2 workers, at the largest page
size (100,000 images: 200 downloads in flight, 25 of them on the first page).

Two runs, each --load-seconds long (30), every client a thread with its own keep-alive connection:

- **closed loop**: 20 clients ask for the list back to back; the list's p95 under that queue.
- **open pages**: 20 browser tabs on the list. Each loads the list, then does what its htmx poller
  does: every PAGE_REFRESH_SECONDS it sends the poller's hidden inputs to the live fragment,
  takes the new ones from the answer (out-of-band inputs), and stops on 286; it reloads the list
  every REOPEN_SECONDS. Nothing changes meanwhile (no worker runs), the idle case the fragment's
  version check is for. Also the web workers' CPU seconds per wall second (at most 2.0).

Server CPU comes from /proc (utime + stime of gunicorn's workers), so it counts only the web.
"""

import http.client
import os
import re
import threading
import time
import urllib.parse

from bench import harness, seed
from sandbox.testing import free_port

CLIENTS = 20
WORKERS = 2
REOPEN_SECONDS = 10
PAGE_REFRESH_SECONDS = 2.0
LIST_URL = "/images/"
LIVE_URL = "/images/live/"
# The live poller's hidden inputs (id="live-...", a name and a value), in the page or out of band.
HIDDEN = re.compile(rb'<input type="hidden" id="live-[\w-]+" name="(\w+)" value="([^"]*)"')
POLLING = re.compile(rb'id="live-poller"[^>]*hx-get=')


class Client:
    def __init__(self, port: int, cookie: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = cookie

    def get(self, url: str) -> tuple[int, bytes, float]:
        started = time.perf_counter()
        self.conn.request("GET", url, headers={"Cookie": self.cookie, "HX-Request": "true"})
        response = self.conn.getresponse()
        body = response.read()
        return response.status, body, time.perf_counter() - started


def _inputs(body: bytes) -> dict[str, str]:
    return {name.decode(): value.decode() for name, value in HIDDEN.findall(body)}


def _web_cpu_seconds(master_pid: int) -> float:
    """utime + stime of the gunicorn master's children (its workers), in seconds."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _closed_loop(port: int, cookie: str, seconds: float) -> dict:
    times, errors = [], []
    deadline = time.monotonic() + seconds

    def loop() -> None:
        client = Client(port, cookie)
        while time.monotonic() < deadline:
            status, _body, took = client.get(LIST_URL)
            times.append(took)
            if status != 200:
                errors.append(status)

    _run_threads(loop)
    return {"list": harness.summary_ms(times), "errors": len(errors)}


def _open_pages(port: int, cookie: str, seconds: float) -> dict:
    list_times, live_times, statuses = [], [], {}
    deadline = time.monotonic() + seconds

    def tab(index: int) -> None:
        client = Client(port, cookie)
        time.sleep(index * PAGE_REFRESH_SECONDS / CLIENTS)  # tabs opened at different moments
        while time.monotonic() < deadline:
            status, body, took = client.get(LIST_URL)
            list_times.append(took)
            statuses[status] = statuses.get(status, 0) + 1
            polling, params = bool(POLLING.search(body)), _inputs(body)
            reopen = min(deadline, time.monotonic() + REOPEN_SECONDS)
            tick = time.monotonic()
            while True:
                tick += PAGE_REFRESH_SECONDS
                if tick >= reopen:
                    time.sleep(max(0.0, reopen - time.monotonic()))
                    break
                time.sleep(max(0.0, tick - time.monotonic()))
                if not polling:
                    continue
                url = f"{LIVE_URL}?{urllib.parse.urlencode(params)}"
                status, body, took = client.get(url)
                live_times.append(took)
                statuses[status] = statuses.get(status, 0) + 1
                params.update(_inputs(body))
                polling = status in (200, 204)

    _run_threads(tab, indexed=True)
    return {
        "list": harness.summary_ms(list_times),
        "live": harness.summary_ms(live_times) if live_times else None,
        "statuses": statuses,
    }


def _run_threads(target, indexed: bool = False) -> None:
    threads = [
        threading.Thread(target=target, args=(i,) if indexed else (), daemon=True)
        for i in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run(db: str, args, env: dict) -> list[dict]:
    from django.db import connections

    from images.models import IN_FLIGHT, Image

    size = max(args.sizes)
    seed.grow_to(size)
    harness.analyze()
    in_flight = Image.objects.filter(status__in=IN_FLIGHT).count()
    cookie = harness.login_cookie(harness.bench_user())
    connections.close_all()
    port = free_port()
    web = harness.gunicorn("load-web", port, WORKERS)
    seconds = args.load_seconds
    rows = []
    try:
        Client(port, cookie).get(LIST_URL)  # warm both workers' imports a little
        for name, measure in (("closed loop", _closed_loop), ("open pages", _open_pages)):
            cpu_before, started = _web_cpu_seconds(web.proc.pid), time.monotonic()
            result = measure(port, cookie, seconds)
            wall = time.monotonic() - started
            cpu = (_web_cpu_seconds(web.proc.pid) - cpu_before) / wall
            load = os.getloadavg()[0]
            row = {"db": db, "images": size, "in_flight": in_flight, "run": name, **result}
            row |= {"clients": CLIENTS, "workers": WORKERS, "seconds": round(wall, 1)}
            row |= {"web_cpu_per_s": round(cpu, 2), "load_1m": round(load, 2)}
            rows.append(row)
            live = result.get("live")
            harness.log(
                f"load {name}: list p95 {result['list']['p95_ms']:.0f} ms "
                f"(n {result['list']['n']})"
                + (f", live p95 {live['p95_ms']:.0f} ms (n {live['n']})" if live else "")
                + f", web CPU {cpu:.2f}/s, load {load:.2f}"
            )
    finally:
        web.stop()
    return rows
