"""One cached client per account, however many accounts a worker polls."""

import pytest

from images.contabo import client as client_module
from images.contabo.django import get_client
from images.models import Account
from images.services.accounts import settings_account
from testkit.factories import make_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(monkeypatch):
    """Clients constructed while the test runs."""
    count = [0]
    original = client_module.ContaboClient.__init__

    def counting(self, *args, **kwargs):
        count[0] += 1
        original(self, *args, **kwargs)

    monkeypatch.setattr(client_module.ContaboClient, "__init__", counting)
    return count


def test_every_account_keeps_its_client_across_ticks(built):
    accounts = [settings_account()]
    accounts += [make_account(f"acct-{i}") for i in range(60)]
    first = [get_client(account) for account in accounts]
    assert len({id(c) for c in first}) == len(accounts)
    built[0] = 0
    for _tick in range(3):  # as the poll does, with freshly read rows each time
        again = [get_client(account) for account in Account.objects.all()]
    assert built[0] == 0
    assert {id(c) for c in again} == {id(c) for c in first}


def test_changed_credentials_get_a_new_client(built):
    account = make_account("Alpha")
    client = get_client(account)
    account.set_api_password("a new password")
    account.save()
    assert get_client(Account.objects.get(pk=account.pk)) is not client
    assert get_client(Account.objects.get(pk=account.pk)) is get_client(account)
