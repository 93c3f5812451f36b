"""Waiting on a condition with a deadline, instead of sleeping a guessed time."""

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    predicate: Callable[[], T],
    *,
    timeout: float = 30,
    interval: float = 0.05,
    message: str | Callable[[], str] = "",
) -> T:
    """Return the first truthy value of `predicate()`; fail the test when `timeout` passes.

    `message` (or a function making it, called only on failure) says what was awaited.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            text = message() if callable(message) else message
            raise AssertionError(f"timed out after {timeout}s waiting for {text or predicate}")
        time.sleep(interval)
