"""Two Contabo accounts: A is the settings account on the session sandbox, B an account added
in the database, on a second sandbox of its own."""

import pytest

from images.services.accounts import settings_account
from testkit.factories import make_account
from tests.fixtures.sandbox import session_sandbox


@pytest.fixture(scope="session")
def sandbox_b_server(tmp_path_factory):
    """A second sandbox for account B, for the whole session."""
    with session_sandbox(tmp_path_factory, "sandbox-b") as server:
        yield server


@pytest.fixture
def sandbox_b(sandbox_b_server):
    sandbox_b_server.reset()
    return sandbox_b_server


@pytest.fixture
def account_a(db):
    return settings_account()


@pytest.fixture
def account_b(db, sandbox_b):
    return make_account("Bravo", sandbox_b)


@pytest.fixture
def api_b(account_b):
    from images.contabo.django import get_client

    return get_client(account_b)
