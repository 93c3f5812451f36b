"""Shared fixtures: each fixture family lives in tests/fixtures/ and is loaded here."""

import shutil

import pytest

pytest_plugins = [
    "tests.fixtures.broker",
    "tests.fixtures.sandbox",
    "tests.fixtures.stack",
    "tests.fixtures.users",
    "tests.fixtures.browser",
    "tests.fixtures.redis",
]


def pytest_sessionfinish(session):
    """Remove this run's database file and broker folder (see tests/settings.py)."""
    from django.conf import settings

    if settings.VAR_DIR.name.startswith("run-"):
        shutil.rmtree(settings.VAR_DIR, ignore_errors=True)


@pytest.fixture(autouse=True)
def _empty_kept_counts():
    """The list's per-process keeps (count estimates, typed pages' anchors, search breadth;
    CACHES["counts"]) start empty in every test: a row id or an account's pk can recur."""
    from django.core.cache import caches

    caches["counts"].clear()


@pytest.fixture(scope="session")
def httpserver_listen_address():
    """pytest-httpserver on 127.0.0.1 (not `localhost`, which may resolve to ::1 first)."""
    return ("127.0.0.1", 0)
