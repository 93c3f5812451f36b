"""Shared fixtures: each fixture family lives in tests/fixtures/ and is loaded here."""

import shutil

pytest_plugins = [
    "tests.fixtures.broker",
    "tests.fixtures.sandbox",
    "tests.fixtures.stack",
    "tests.fixtures.users",
    "tests.fixtures.browser",
]


def pytest_sessionfinish(session):
    """Remove this run's database file and broker folder (see tests/settings.py)."""
    from django.conf import settings

    if settings.VAR_DIR.name.startswith("run-"):
        shutil.rmtree(settings.VAR_DIR, ignore_errors=True)
