"""Two Contabo accounts: A is the settings account on the session sandbox, B an account added
in the database, on a second sandbox of its own."""

import pytest

from images.models import Account
from sandbox.testing import SandboxServer
from tests.accounts.factories import make_account


@pytest.fixture(scope="session")
def sandbox_b_server(tmp_path_factory):
    """A second `python -m sandbox` for account B, for the whole session."""
    state = tmp_path_factory.mktemp("sandbox-b") / "sandbox.sqlite3"
    with SandboxServer(state=state, bandwidth_mbps=1000) as server:
        yield server


@pytest.fixture
def sandbox_b(sandbox_b_server):
    sandbox_b_server.reset()
    return sandbox_b_server


@pytest.fixture
def account_a(db):
    return Account.objects.default()


@pytest.fixture
def account_b(db, sandbox_b):
    return make_account("Bravo", sandbox_b)


@pytest.fixture
def api_b(account_b):
    from images.contabo.django import get_client

    return get_client(account_b)
