"""Helpers the tests and the benchmarks share: waiting on a condition, child processes, the
browser's arguments and the data factories."""
