"""Web throughput: requests per second of the image list under gunicorn (2 workers) at 10,000
images, side by side with the Django admin changelist of the Image model on the same data,
same superuser session.

The load generator is wrk (Debian package) on loopback, one thread and 4 connections, each run
bounded in time (-d) and in count (a Lua script stops a thread after MAX_REQUESTS answers).
Rounds alternate between the two pages; the table has the median of the rounds. Without wrk a
bounded Python loop in a separate process does the same, less efficiently.
"""

import json
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request

from bench import harness, seed
from sandbox.testing import free_port

SECONDS = 8
CONNECTIONS = 4
ROUNDS = 3
MAX_REQUESTS = 50_000
PAGES = [("dashboard list", "/images/"), ("admin changelist", "/admin/images/image/")]
STOP_LUA = """
local count = 0
local limit = tonumber(os.getenv("WRK_MAX_REQUESTS") or "50000")
function response(status, headers, body)
  count = count + 1
  if count >= limit then wrk.thread:stop() end
end
"""
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _check(url: str, cookie: str) -> None:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    with _NO_PROXY.open(request, timeout=30) as response:
        assert response.status == 200 and response.url == url, (url, response.url)


def _wrk(url: str, cookie: str) -> dict:
    script = harness.VAR / "stop.lua"
    script.write_text(STOP_LUA)
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{SECONDS}s",
            "--timeout",
            "10s",
            "--latency",
            "-H",
            f"Cookie: {cookie}",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=SECONDS + 30,
        check=True,
        env={"WRK_MAX_REQUESTS": str(MAX_REQUESTS), "PATH": "/usr/bin:/bin"},
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}
    return {
        "rps": rps,
        "requests": requests,
        "errors": int(bad.group(1)) if bad else 0,
        "p50_ms": round(float(p50.group(1)) * scale[p50.group(2)], 1) if p50 else None,
    }


def _python_load(url: str, cookie: str) -> dict:
    """Fallback: a bounded keep-alive loop in a separate process."""
    code = f"""
import http.client, json, time, urllib.parse
u = urllib.parse.urlsplit({url!r})
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
n = bad = 0; end = time.monotonic() + {SECONDS}; start = time.monotonic()
while time.monotonic() < end and n < {MAX_REQUESTS}:
    conn.request("GET", u.path, headers={{"Cookie": {cookie!r}}})
    r = conn.getresponse(); r.read(); n += 1; bad += r.status != 200
print(json.dumps({{"rps": n / (time.monotonic() - start), "requests": n, "errors": bad}}))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=SECONDS + 30
    )
    return {**json.loads(out.stdout), "p50_ms": None}


def run(db: str, args, env: dict) -> list[dict]:
    from django.db import connections

    harness.wipe()
    seed.grow_to(args.throughput_images)
    harness.analyze()
    cookie = harness.login_cookie(harness.bench_user())
    connections.close_all()
    port = free_port()
    web = harness.gunicorn("throughput-web", port, 2)
    load = _wrk if shutil.which("wrk") else _python_load
    results = {name: [] for name, _ in PAGES}
    try:
        for _name, path in PAGES:
            _check(f"http://127.0.0.1:{port}{path}", cookie)
        for _ in range(ROUNDS):
            for name, path in PAGES:
                result = load(f"http://127.0.0.1:{port}{path}", cookie)
                results[name].append(result)
                harness.log(f"throughput {name}: {result['rps']:.1f} req/s")
                time.sleep(1)
    finally:
        web.stop()
    rows = []
    admin = statistics.median(r["rps"] for r in results["admin changelist"])
    for name, path in PAGES:
        rps = statistics.median(r["rps"] for r in results[name])
        rows.append(
            {
                "db": db,
                "page": name,
                "url": path,
                "images": args.throughput_images,
                "rps": round(rps, 1),
                "rounds": [round(r["rps"], 1) for r in results[name]],
                "p50_ms": statistics.median(r["p50_ms"] or 0 for r in results[name]),
                "errors": sum(r["errors"] for r in results[name]),
                "vs_admin": round(rps / admin, 2),
                "generator": "wrk" if load is _wrk else "python",
            }
        )
    rows[0]["ok"] = rows[0]["rps"] >= admin
    return rows
