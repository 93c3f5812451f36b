"""Issue 13's table, before and after: its "before" column as the issue measured it (on this
machine, before the work; PostgreSQL unless said), the "after" columns from this run's results
(`cycle`, `accounts`, `pages` and `load` sections), one per database, each beside its target."""

from bench.report import _ok, _table, cycle_met, tick_met

BEFORE = {
    "cycle 1000": "3.6-4.1 s (10 calls)",
    "cycle 10000": "18.9-19.2 s (100 calls; the per-image GET loop 44-45 s)",
    "tick 10": "2.4 s",
    "tick 50": "12.2-13.3 s",
    "clients 50": "51 of 51",
    "list": "63 ms",
    "list sort -size": "84 ms",
    "list page 500 (typed)": "145 ms",
    "search sqlite": "173 ms (SQLite)",
    "closed loop": "1,858 ms (200 in flight)",
}
FLOOR = "floor (logged-in, does nothing)"
LIST_PAGES = {  # bench.pages' name: this table's
    "list": "list, default order",
    "list sort -size": "list sort -size",
    "list page 500 (typed)": "list page 500 (typed)",
    "list page 500 (Next link)": "list page 500 (Next link)",
}


def _find(rows: list, **match) -> dict:
    return next((r for r in rows if all(r.get(k) == v for k, v in match.items())), {})


def _cycle(row: dict) -> tuple[str, bool | None]:
    if not row:
        return "-", None
    text = f"{row['wall_s']} s ({row['calls']:g} calls; rest {row['local_s']} s)"
    return text, cycle_met(row)


def _tick(row: dict) -> tuple[str, bool | None]:
    if not row:
        return "-", None
    if row["tick_median_s"] is None:
        return f"no tick finished ({row['ticks_unfinished']} of {row['ticks']})", False
    late = f", {row['ticks_unfinished']} of {row['ticks']} late" if row["ticks_unfinished"] else ""
    text = f"{row['tick_median_s']} s median, {row['tick_max_s']} s max{late}"
    return text, tick_met(row)


def _page(row: dict, floor: dict, limit: float, ms: float) -> tuple[str, bool | None]:
    if not row:
        return "-", None
    text = f"{row['p95_ms']} ms ({row['vs_floor']}x the floor's {floor.get('p95_ms')} ms)"
    return text, row["vs_floor"] <= limit and row["p95_ms"] <= ms


def _lines(by_db: dict) -> list[tuple[str, str, dict, str]]:
    """(work, before, {db: (after text, met)}, target)."""

    def each(read):
        return {db: read(sections) for db, sections in by_db.items()}

    def cycle(n, ms):
        return lambda s: _cycle(_find(s["cycle"], in_flight=n, latency_ms=ms))

    def tick(n):
        return lambda s: _tick(_find(s["accounts"], accounts=n))

    def page(name, limit=2.0, ms=50.0):
        def read(s):
            row = _find(s["pages"], images=100_000, page=name)
            return _page(row, _find(s["pages"], images=100_000, page=FLOOR), limit, ms)

        return read

    def clients(s):
        row = _find(s["accounts"], accounts=50)
        return (f"{row['clients_built']} of 50", row["clients_built"] == 0) if row else ("-", None)

    def loaded(run):
        def read(s):
            row = _find(s["load"], run=run)
            if not row:
                return "-", None
            live = f"; live fragment p95 {row['live']['p95_ms']} ms" if row.get("live") else ""
            return f"{row['list']['p95_ms']} ms ({row['in_flight']} in flight){live}", None

        return read

    lines = [
        (
            "one poll cycle, 1,000 in flight, API 200 ms",
            BEFORE["cycle 1000"],
            each(cycle(1000, 200)),
            "≤ 3 s (the poll interval), rest ≤ 0.5 s",
        ),
        (
            "one poll cycle, 10,000 in flight, API 0 ms",
            BEFORE["cycle 10000"],
            each(cycle(10000, 0)),
            "rest (outside API calls) ≤ 0.5 s",
        ),
    ]
    for n in (1, 10, 50, 200):
        before = BEFORE.get(f"tick {n}", "")
        lines.append(
            (
                f"one poll tick, {n} accounts x 10 in flight, API 200 ms",
                before,
                each(tick(n)),
                "≤ 3 s (the poll interval)",
            )
        )
    lines.append(
        ("clients rebuilt per tick at 50 accounts", BEFORE["clients 50"], each(clients), "0")
    )
    for name, label in LIST_PAGES.items():
        lines.append(
            (
                f"{label} p95 at 100k",
                BEFORE.get(name, ""),
                each(page(name)),
                "≤ 2x the floor's p95, ≤ 50 ms",
            )
        )
    lines.append(
        (
            "list search, 1 hit, p95 at 100k",
            BEFORE["search sqlite"],
            each(page("list search, 1 hit (q=000777)")),
            "≤ 50 ms, ≤ 2x the floor",
        )
    )
    lines.append(
        (
            "live fragment when nothing changed, p95 at 100k",
            "",
            each(page("list live fragment, nothing changed", 1.5)),
            "≤ 1.5x the floor",
        )
    )
    lines.append(
        (
            "list p95, 20 clients, 2 gunicorn workers, closed loop",
            BEFORE["closed loop"],
            each(loaded("closed loop")),
            "measured before and after",
        )
    )
    lines.append(
        (
            "list p95, 20 open pages refreshing every 2 s",
            "",
            each(loaded("open pages")),
            "measured before and after",
        )
    )
    return lines


def table(results) -> str:
    """The markdown table, or "" without the sections it reads."""
    by_db = {}
    for result in results:
        sections = ("cycle", "accounts", "pages", "load")
        by_db[result["db"]] = {k: result["sections"].get(k, []) for k in sections}
    if not any(any(s.values()) for s in by_db.values()):
        return ""
    dbs = sorted(by_db, key=lambda db: db != "postgres")
    headers = ["work", "before (issue 13)", *(f"after, {db}" for db in dbs), "target", "met"]
    body = []
    for work, before, after, target in _lines(by_db):
        met = [after[db][1] for db in dbs if after[db][1] is not None]
        verdict = _ok(all(met)) if met else ""
        body.append([work, before, *(after[db][0] for db in dbs), target, verdict])
    return _table(headers, body)
