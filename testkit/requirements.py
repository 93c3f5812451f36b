"""A test that needs something from the machine: skipped on a developer's machine without it,
failed on CI (CI=true, as .ci/run sets), so a missing tool can never pass for green."""

import os

import pytest


def on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def missing(what: str, fix: str) -> None:
    """Fail on CI, else skip: `what` is missing; `fix` says how to get it."""
    reason = f"{what} is missing ({fix})"
    if on_ci():
        pytest.fail(f"cannot run on CI: {reason}", pytrace=False)
    pytest.skip(reason)
