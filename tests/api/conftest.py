"""API callers: a token per role, a client sending it, and another account's manager."""

import pytest
from rest_framework.test import APIClient

from images.services.tokens import create_token
from testkit.factories import make_account, make_user, member


def token_client(user) -> APIClient:
    _token, secret = create_token(user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def api_manager(manager):
    return token_client(manager)


@pytest.fixture
def api_viewer(viewer):
    return token_client(viewer)


@pytest.fixture
def other_account(db):
    """An account the viewer and manager fixtures cannot see."""
    return make_account("Other")


@pytest.fixture
def api_outsider(other_account):
    """A manager of the other account only (no global role: the default account is open to
    all, so they still see it as a viewer)."""
    return token_client(member(make_user("otto"), other_account, "manager"))
