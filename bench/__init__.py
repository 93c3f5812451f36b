"""Benchmarks: what users feel (pages, progress latency, throughput) and what Contabo's API costs
(poll cycle, full sync), against the sandbox, on SQLite and PostgreSQL. Run `make bench`."""
