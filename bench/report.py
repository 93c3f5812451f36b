"""Tables from the results of `bench.run`: one per section, printed and written to BENCHMARKS.md."""

import os
import platform
import subprocess
import time

from bench import harness


def _ok(flag) -> str:
    if flag is None:
        return ""
    return "yes" if flag else "**MISSES**"


def _table(headers: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _rows(results: list[dict], section: str) -> list[dict]:
    return [row for r in results for row in r["sections"].get(section, [])]


def pages(results) -> str:
    rows = _rows(results, "pages")
    if not rows:
        return ""
    body = [
        [
            r["db"],
            f"{r['images']:,}",
            r["page"],
            r["median_ms"],
            r["p95_ms"],
            f"≤ {r['p95_target_ms']:g}" if "p95_target_ms" in r else "",
            _ok(r.get("p95_ok")),
            f"{r['vs_floor']}x" if "vs_floor" in r else "",
            f"≤ {r['vs_floor_target']:g}x" if "vs_floor_target" in r else "",
            _ok(r.get("vs_floor_ok")),
            r["queries"],
            _ok(r["queries_ok"]),
        ]
        for r in rows
    ]
    headers = ["db", "images", "page", "median ms", "p95 ms", "p95 target", "ok"]
    headers += ["p95 / floor's", "target", "ok"]
    headers += ["SQL queries (≤ 8)", "ok"]
    return _table(headers, body)


def poll(results) -> str:
    rows = _rows(results, "poll")
    if not rows:
        return ""
    body = [
        [
            r["db"],
            f"{r['in_flight']:,}",
            r["target_calls"],
            r["batched_calls"],
            _ok(r["calls_ok"]),
            r["batched_ms"],
            r["per_image_calls"],
            r["per_image_ms"],
            f"{r['call_ratio']}x" if r["call_ratio"] else "-",
            f"{r['time_ratio']}x" if r["time_ratio"] else "-",
        ]
        for r in rows
    ]
    headers = ["db", "in flight", "target calls", "calls", "ok", "ms / cycle"]
    headers += ["per-image GETs: calls", "ms / cycle", "calls ratio", "time ratio"]
    return _table(headers, body)


def sync(results) -> str:
    rows = _rows(results, "sync")
    if not rows:
        return ""
    body = [
        [
            r["db"],
            f"{r['remote_images']:,}",
            r["database"],
            r["seconds"],
            f"< {r['target_s']:g}",
            _ok(r["seconds_ok"]),
            r["calls"],
            r["added"],
            r["updated"],
            r["tracemalloc_peak_mb"],
            r["rss_delta_mb"],
        ]
        for r in rows
    ]
    headers = ["db", "remote images", "into", "seconds", "target", "ok", "API calls"]
    headers += ["added", "updated", "tracemalloc peak MB", "RSS delta MB"]
    return _table(headers, body)


def latency(results) -> str:
    rows = _rows(results, "latency")
    if not rows:
        return ""
    body = [
        [
            r["db"],
            r["page"],
            r["idle_p95_ms"],
            r["p95_ms_api_0"],
            r["p95_ms_api_1000"],
            f"{r['ratio']}x",
            f"≤ {r['target_ratio']}x",
            _ok(r["ok"]),
            f"{r['median_ms_api_0']} / {r['median_ms_api_1000']}",
        ]
        for r in rows
    ]
    headers = ["db", "page (10k images)", "p95 ms, no worker", "p95 ms, worker + API 0 ms"]
    headers += ["p95 ms, worker + API 1000 ms", "ratio", "target", "ok", "median ms 0 / 1000"]
    return _table(headers, body)


def progress(results) -> str:
    rows = _rows(results, "progress")
    if not rows:
        return ""
    body = [
        [
            r["db"],
            r["runs"],
            r["poll_interval_s"],
            r["page_interval_s"],
            r["median_s"],
            r["max_s"],
            f"≤ {r['target_s']:g}",
            _ok(r["ok"]),
            ", ".join(map(str, r["all_s"])),
        ]
        for r in rows
    ]
    headers = ["db", "runs", "poll interval s", "page interval s", "median s", "max s"]
    headers += ["target s", "ok", "every run s"]
    return _table(headers, body)


def throughput(results) -> str:
    rows = _rows(results, "throughput")
    if not rows:
        return ""
    body = [
        [
            r["db"],
            r["page"],
            f"{r['images']:,}",
            r["rps"],
            ", ".join(map(str, r["rounds"])),
            r["p50_ms"],
            f"{r['vs_admin']}x",
            _ok(r.get("ok")),
            r["errors"],
        ]
        for r in rows
    ]
    headers = ["db", "page", "images", "req/s (median)", "rounds", "p50 ms"]
    headers += ["vs admin", "≥ admin", "errors"]
    return _table(headers, body)


def load(results) -> str:
    rows = _rows(results, "load")
    if not rows:
        return ""
    body = [
        [
            r["db"],
            f"{r['images']:,}",
            r["in_flight"],
            f"{r['run']}, {r['clients']} clients, {r['workers']} workers",
            r["list"]["median_ms"],
            r["list"]["p95_ms"],
            r["list"]["n"],
            r["live"]["p95_ms"] if r.get("live") else "",
            r["live"]["n"] if r.get("live") else "",
            ", ".join(f"{k}: {v}" for k, v in sorted(r.get("statuses", {}).items())),
            r["web_cpu_per_s"],
            r["load_1m"],
        ]
        for r in rows
    ]
    headers = ["db", "images", "in flight", "run", "list median ms", "list p95 ms", "lists"]
    headers += ["live p95 ms", "lives", "statuses", "web CPU s/s", "load (1 min)"]
    return _table(headers, body)


def cycle(results) -> str:
    rows = _rows(results, "cycle")
    body = [
        [
            r["db"],
            f"{r['in_flight']:,}",
            r["latency_ms"],
            r["calls"],
            r["wall_s"],
            r["api_s"],
            r["local_s"],
            _ok(r["local_ok"]),
            _ok(r["wall_ok"]) if r["latency_ms"] else "",
            r["statements"],
            f"{r['samples_after']:,}",
            r["load"],
        ]
        for r in rows
    ]
    headers = ["db", "in flight", "API ms", "calls", "cycle s", "in API calls s", "rest s"]
    headers += ["rest ≤ 0.5 s", "cycle ≤ 3 s", "SQL statements", "samples after 3 cycles"]
    return _table([*headers, "load"], body) if rows else ""


def _cpu(per_cycle: dict | None) -> str:
    """CPU milliseconds per account cycle, by process."""
    if not per_cycle:
        return ""
    return ", ".join(f"{name} {ms}" for name, ms in per_cycle.items() if ms is not None)


def accounts(results) -> str:
    rows = _rows(results, "accounts")
    body = [
        [
            r["db"],
            r["accounts"],
            r["clients_built"],
            r["ticks"],
            r["tick_median_s"],
            r["tick_max_s"],
            r["ticks_unfinished"],
            r["poll_messages_expired"],
            r["user_tasks"],
            r["user_wait_median_s"],
            r["user_wait_max_s"],
            r["user_tasks_not_started"],
            r.get("cycles_per_s", ""),
            _cpu(r.get("cpu_ms_per_cycle")),
            r.get("machine_busy_cores", ""),
            r["processes"],
            r["load"],
        ]
        for r in rows
    ]
    headers = ["db", "accounts", "clients rebuilt", "ticks", "tick median s", "tick max s"]
    headers += ["ticks unfinished", "poll messages expired", "user tasks", "wait median s"]
    headers += ["wait max s", "never started", "account cycles/s", "CPU ms per account cycle"]
    headers += ["machine busy cores", "Procfile celery processes", "load"]
    return _table(headers, body) if rows else ""


def bigsync(results) -> str:
    rows = _rows(results, "bigsync")
    body = [
        [
            r["db"],
            f"{r['remote_images']:,}",
            r["database"],
            r["latency_ms"],
            r["seconds"],
            f"< {r['target_s']}" if r["latency_ms"] else "",
            _ok(r["ok"]),
            r["list_calls"],
            r["added"],
            r["updated"],
            r["rss_delta_mb"],
            r["load"],
        ]
        for r in rows
    ]
    headers = ["db", "remote images", "into", "API ms", "seconds", "target", "ok", "list calls"]
    headers += ["added", "updated", "RSS delta MB", "load"]
    return _table(headers, body) if rows else ""


def api_list(results) -> str:
    rows = _rows(results, "api")
    if not rows:
        return ""
    body = [
        [
            r["db"],
            f"{r['images']:,}",
            r["request"],
            r["median_ms"],
            r["p95_ms"],
            f"≤ {r['p95_target_ms']:g}" if "p95_target_ms" in r else "",
            _ok(r.get("p95_ok")),
            r["queries"],
        ]
        for r in rows
    ]
    headers = ["db", "images", "request", "median ms", "p95 ms", "p95 target", "ok", "SQL"]
    return _table(headers, body)


_KEYS = ["pages", "load", "poll", "sync", "latency", "progress", "throughput"]
_KEYS += ["cycle", "accounts", "bigsync", "api"]
SECTIONS = [
    ("Pages", pages),
    ("List under load", load),
    ("Poll cycle", poll),
    ("Full sync", sync),
    ("API-latency independence", latency),
    ("Progress latency", progress),
    ("Web throughput", throughput),
    ("Poll cycle at scale", cycle),
    ("Many accounts: poll ticks and user tasks", accounts),
    ("Full sync at 100k", bigsync),
    ("JSON API list beside the list page", api_list),
]


def cycle_met(row: dict) -> bool:
    """A poll cycle's targets: the rest (outside API calls) and, behind a slow API, the whole."""
    return row["local_ok"] and (not row["latency_ms"] or row["wall_ok"])


def tick_met(row: dict) -> bool:
    """A poll tick's target: every tick finished, the median within the 3 s poll interval."""
    median = row["tick_median_s"]
    return median is not None and median <= 3.0 and not row["ticks_unfinished"]


def misses(results) -> list[str]:
    """Every measured figure that misses its target, in words."""
    out = []
    for r in _rows(results, "pages"):
        if not r["queries_ok"]:
            out.append(f"{r['db']} {r['images']:,} images, {r['page']}: {r['queries']} queries")
        if r.get("p95_ok") is False:
            out.append(f"{r['db']} {r['images']:,} images, {r['page']}: p95 {r['p95_ms']} ms")
        if r.get("vs_floor_ok") is False:
            out.append(f"{r['db']} {r['images']:,} images, {r['page']}: {r['vs_floor']}x the floor")
    for r in _rows(results, "api"):
        if r.get("p95_ok") is False:
            out.append(f"{r['db']} {r['images']:,} images, {r['request']}: p95 {r['p95_ms']} ms")
    for r in _rows(results, "poll"):
        if not r["calls_ok"]:
            calls = r["batched_calls"]
            out.append(f"{r['db']} poll with {r['in_flight']} in flight: {calls} calls")
    for r in _rows(results, "sync"):
        if not r["seconds_ok"]:
            out.append(f"{r['db']} sync of {r['remote_images']:,}: {r['seconds']} s")
    for r in _rows(results, "latency"):
        if not r["ok"]:
            out.append(f"{r['db']} {r['page']} under 1 s API latency: {r['ratio']}x its p95")
    for r in _rows(results, "progress"):
        if not r["ok"]:
            out.append(f"{r['db']} progress latency: max {r['max_s']} s")
    for r in _rows(results, "cycle"):
        if not cycle_met(r):
            out.append(f"{r['db']} poll cycle, {r['in_flight']:,} in flight: {r['wall_s']} s")
    for r in _rows(results, "accounts"):
        if not tick_met(r):
            out.append(
                f"{r['db']} poll tick at {r['accounts']} accounts: {r['tick_median_s']} s median"
                f", {r['tick_max_s']} s max, {r['ticks_unfinished']} of {r['ticks']} late"
            )
    for r in _rows(results, "throughput"):
        if r.get("ok") is False:
            out.append(f"{r['db']} list throughput: {r['vs_admin']}x the admin's")
    return out


def tables(results) -> str:
    out = []
    for (title, render), key in zip(SECTIONS, _KEYS, strict=True):
        table = render(results)
        if table:
            stamps = sorted({f"{r['db']} {r.get('measured', '?')}" for r in _rows(results, key)})
            out += [f"\n## {title}\n", f"Measured: {'; '.join(stamps)}.\n", table]
    return "\n".join(out)


def machine(results) -> dict:
    info = {
        "cores": os.cpu_count(),
        "memory": f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GiB",
        "cpu": platform.processor() or "?",
        "kernel": platform.release(),
    }
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    for r in results:
        info.update(r.get("versions", {}))
    try:
        info["wrk"] = (
            subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
            .stdout.split(" Copyright")[0]
            .strip()
        )
    except OSError:
        info["wrk"] = "not installed"
    try:
        load = os.getloadavg()
        info["load average at the end"] = ", ".join(f"{x:.2f}" for x in load)
    except OSError:
        pass
    return info


def markdown(results, args) -> str:
    from bench import issue13  # it reads this module's helpers

    info = machine(results)
    notes = (harness.ROOT / "bench" / "NOTES.md").read_text()
    out = [
        "# Benchmarks",
        "",
        f"Written by `python -m bench --write` (`make bench`) on {time.strftime('%Y-%m-%d')}. "
        "Every figure is measured against the local Contabo sandbox (`python -m sandbox`), on "
        "SQLite and on PostgreSQL, and sits next to its target; **MISSES** marks a miss. A "
        "section rerun on its own replaces only its own table: each table says when it ran.",
        "",
        "## Machine",
        "",
        _table(["", ""], [[k, v] for k, v in info.items()]),
        "",
        "## Targets missed in this run",
        "",
        "\n".join(f"- {m}" for m in misses(results)) or "None.",
        "",
        "## Issue 13 before and after",
        "",
        "The issue's table, its \"before\" as it measured it, beside this run's figures. The "
        "floor is a logged-in page that reads nothing (see Method).",
        "",
        issue13.table(results),
        "",
        notes.strip(),
        tables(results),
        "",
    ]
    return "\n".join(out)
