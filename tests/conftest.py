"""Shared fixtures: each fixture family lives in tests/fixtures/ and is loaded here."""

pytest_plugins = [
    "tests.fixtures.sandbox",
    "tests.fixtures.stack",
    "tests.fixtures.browser",
]
