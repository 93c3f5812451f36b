"""`python -m bench`: run the benchmarks on each database, print one table per section and, with
--write, write BENCHMARKS.md.

Each database is measured in its own child process (Django settings are per process):
`python -m bench.run --child --db sqlite ...` writes var/bench/results-sqlite.json.

    python -m bench                                   # everything, SQLite and PostgreSQL
    python -m bench --db postgres --sections pages --sizes 1000,10000
    python -m bench --quick                           # small sizes, few requests: a smoke run
"""

import argparse
import json
import subprocess
import sys
import time

from bench import harness
from sandbox.testing import free_port

SECTIONS = (
    "pages",
    "load",
    "poll",
    "sync",
    "latency",
    "progress",
    "throughput",
    "cycle",
    "accounts",
    "bigsync",
    "api",
)
DATABASES = ("sqlite", "postgres")
DEFAULTS = {
    "sizes": [1_000, 10_000, 100_000],
    "poll_sizes": [0, 1, 100, 250, 1_000],
    "sync_sizes": [2_000, 5_000, 10_000],
    "requests": 100,
    "progress_runs": 10,
    "throughput_images": 10_000,
    "cycle_cases": "1000@200,10000@0",
    "account_counts": [1, 10, 50, 200],
    "bigsync_images": 100_000,
    "load_seconds": 30,
}
QUICK = {
    "sizes": [1_000],
    "poll_sizes": [0, 1, 100],
    "sync_sizes": [1_000, 2_000],
    "requests": 20,
    "progress_runs": 3,
    "throughput_images": 1_000,
    "cycle_cases": "100@200,1000@0",
    "account_counts": [1, 3],
    "bigsync_images": 2_000,
    "load_seconds": 8,
}


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--db", default=",".join(DATABASES), help="sqlite,postgres")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=",".join(SECTIONS))
    parser.add_argument("--quick", action="store_true", help="small sizes, few requests")
    parser.add_argument("--sizes", type=_ints, help="local images for pages (1000,10000,100000)")
    parser.add_argument("--poll-sizes", type=_ints, help="downloads in flight (0,1,100,250,1000)")
    parser.add_argument("--sync-sizes", type=_ints, help="remote images to sync (2000,...)")
    parser.add_argument("--requests", type=int, help="timed requests per page (100)")
    parser.add_argument("--progress-runs", type=int, help="progress latency runs (10)")
    parser.add_argument("--throughput-images", type=int, help="images for throughput (10000)")
    parser.add_argument("--cycle-cases", help="poll cycle: in flight@API ms (1000@200,10000@0)")
    parser.add_argument("--account-counts", type=_ints, help="accounts polled (1,10,50,200)")
    parser.add_argument("--bigsync-images", type=int, help="remote images, big sync (100000)")
    parser.add_argument("--load-seconds", type=int, help="seconds per load run (30)")
    parser.add_argument("--write", action="store_true", help="write BENCHMARKS.md")
    parser.add_argument(
        "--report-only", action="store_true", help="tables from the last results, no measuring"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    base = QUICK if args.quick else DEFAULTS
    for key, value in base.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.db = [d for d in args.db.split(",") if d]
    args.sections = [s for s in args.sections.split(",") if s]
    for name in args.sections:
        if name not in SECTIONS:
            parser.error(f"unknown section {name!r}")
    return args


def child(args) -> None:
    """Measure one database: its own sandbox, a fresh database, every section asked for."""
    from sandbox.testing import SandboxServer

    (db,) = args.db
    port = free_port()
    env = harness.configure(db, port)
    harness.fresh_database(db)
    harness.flush_redis()
    out = harness.VAR / f"results-{db}.json"
    # Sections not run this time keep their last results (each section notes when it ran).
    results: dict = json.loads(out.read_text()) if out.exists() else {"db": db, "sections": {}}
    results["args"] = vars(args)
    state = harness.VAR / db / "sandbox.sqlite3"
    state.unlink(missing_ok=True)
    with SandboxServer(port=port, bandwidth_mbps=1000, state=state) as server:
        harness.SANDBOX = server
        harness.setup_django()
        results["versions"] = harness.versions(db)
        for section in SECTIONS:
            if section not in args.sections:
                continue
            started = time.perf_counter()
            harness.log(f"{db}: {section}")
            module = __import__(f"bench.{section}", fromlist=["run"])
            rows = module.run(db, args, env)
            stamp = time.strftime("%Y-%m-%d %H:%M")
            results["sections"][section] = [{**row, "measured": stamp} for row in rows]
            harness.log(f"{db}: {section} done in {time.perf_counter() - started:.0f} s")
            out.write_text(json.dumps(results, indent=1, default=str))  # kept if a later one fails


def main(argv=None) -> None:
    args = parse(argv)
    if args.child:
        child(args)
        return
    from bench import report

    harness.VAR.mkdir(parents=True, exist_ok=True)
    results = []
    for db in args.db:
        if args.report_only:
            results.append(json.loads((harness.VAR / f"results-{db}.json").read_text()))
            continue
        command = [sys.executable, "-m", "bench.run", "--child", "--db", db]
        command += ["--sections", ",".join(args.sections)]
        for key in DEFAULTS:
            value = getattr(args, key)
            flag = "--" + key.replace("_", "-")
            command += [flag, ",".join(map(str, value)) if isinstance(value, list) else str(value)]
        print(f"== {db} ==", file=sys.stderr, flush=True)
        subprocess.run(command, cwd=harness.ROOT, check=True)
        results.append(json.loads((harness.VAR / f"results-{db}.json").read_text()))
    print(report.tables(results))
    if args.write:
        path = harness.ROOT / "BENCHMARKS.md"
        path.write_text(report.markdown(results, args))
        print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
