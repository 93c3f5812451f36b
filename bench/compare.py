"""Issues 13 (items 1-2) and 17 side by side: the rows of the `cycle`, `accounts` and `bigsync`
sections from a run before the change ("now") and one after, per database, as a markdown table.

    python -m bench.compare NOW_DIR AFTER_DIR    # each holding results-sqlite.json, -postgres.json
"""

import json
import sys
from pathlib import Path


def _load(folder: str, db: str) -> dict:
    path = Path(folder) / f"results-{db}.json"
    return json.loads(path.read_text())["sections"] if path.exists() else {}


def _find(rows: list, **match) -> dict:
    return next((r for r in rows if all(r.get(k) == v for k, v in match.items())), {})


def _cycle(r: dict) -> str:
    if not r:
        return "-"
    return (
        f"{r['wall_s']} s ({r['api_s']} s in {r['calls']:g} calls, rest {r['local_s']} s; "
        f"{r['statements']:g} statements)"
    )


def _tick(r: dict) -> str:
    if not r:
        return "-"
    if r["tick_median_s"] is None:
        return f"no tick finished ({r['ticks_unfinished']} of {r['ticks']})"
    late = f", {r['ticks_unfinished']} of {r['ticks']} unfinished" if r["ticks_unfinished"] else ""
    return f"{r['tick_median_s']} s median, {r['tick_max_s']} s max{late}"


def _wait(r: dict) -> str:
    if not r:
        return "-"
    never = r["user_tasks_not_started"]
    if r["user_wait_median_s"] is None:
        return f"none of {r['user_tasks']} started within the window + 60 s"
    tail = f"; {never} of {r['user_tasks']} never started" if never else ""
    return f"{r['user_wait_median_s']} s median, {r['user_wait_max_s']} s max{tail}"


def _sync(r: dict) -> str:
    if not r:
        return "-"
    return (
        f"{r['seconds']} s ({r['list_calls']} list calls, {r['updated']} updated, "
        f"RSS +{r['rss_delta_mb']} MB)"
    )


def rows(now: dict, after: dict) -> list[tuple[str, str, str]]:
    out = []
    for n, ms in ((1000, 200), (10000, 0)):
        key = {"in_flight": n, "latency_ms": ms}
        out.append(
            (
                f"one poll cycle, {n:,} in flight, API {ms} ms",
                _cycle(_find(now.get("cycle", []), **key)),
                _cycle(_find(after.get("cycle", []), **key)),
            )
        )
    for n in (1, 10, 50, 200):
        out.append(
            (
                f"poll tick, {n} accounts x 10 in flight, API 200 ms",
                _tick(_find(now.get("accounts", []), accounts=n)),
                _tick(_find(after.get("accounts", []), accounts=n)),
            )
        )
    for n in (50, 200):
        before, later = (
            _find(now.get("accounts", []), accounts=n),
            _find(after.get("accounts", []), accounts=n),
        )
        out.append(
            (
                f"clients rebuilt per tick at {n} accounts",
                f"{before.get('clients_built', '-')} of {n}",
                f"{later.get('clients_built', '-')} of {n}",
            )
        )
        out.append((f"user task while {n} accounts are polled", _wait(before), _wait(later)))
        out.append(
            (
                f"poll messages thrown away as expired, {n} accounts",
                f"{before.get('poll_messages_expired', '-')} (of {before.get('ticks', '-')} ticks)",
                f"{later.get('poll_messages_expired', '-')} (of {later.get('ticks', '-')} ticks)",
            )
        )
    for state, ms in (("in sync", 200), ("in sync", 0), ("empty", 0)):
        key = {"database": state, "latency_ms": ms}
        out.append(
            (
                f"full sync 100k, into {state}, API {ms} ms",
                _sync(_find(now.get("bigsync", []), **key)),
                _sync(_find(after.get("bigsync", []), **key)),
            )
        )
    big = {"in_flight": 10000, "latency_ms": 0}
    out.append(
        (
            "progress sample rows after 3 cycles at 10k in flight, no bytes arrived",
            str(_find(now.get("cycle", []), **big).get("samples_after", "-")),
            str(_find(after.get("cycle", []), **big).get("samples_after", "-")),
        )
    )
    return out


def main(argv: list[str]) -> None:
    now_dir, after_dir = argv
    for db in ("postgres", "sqlite"):
        print(f"\n### {db}\n")
        print("| work | now | after |\n|---|---|---|")
        for work, before, later in rows(_load(now_dir, db), _load(after_dir, db)):
            print(f"| {work} | {before} | {later} |")


if __name__ == "__main__":
    main(sys.argv[1:])
