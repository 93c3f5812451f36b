"""Accounts and memberships for the account tests."""

from images.models import Account, AccountMembership


def make_account(name: str, sandbox=None, **fields) -> Account:
    """An account kept in the database (secrets encrypted), aimed at `sandbox` if given."""
    url = sandbox.url if sandbox else "https://api.example.com"
    account = Account(
        name=name,
        api_url=url,
        auth_url=sandbox.token_url if sandbox else f"{url}/token",
        client_id=sandbox.client_id if sandbox else "client-" + name,
        api_user=sandbox.username if sandbox else f"{name}@example.com",
        **fields,
    )
    account.set_client_secret(sandbox.client_secret if sandbox else "secret-of-" + name)
    account.set_api_password(sandbox.password if sandbox else "password-of-" + name)
    account.save()
    return account


def member(user, account: Account, role: str = "viewer"):
    """`user` with a membership in `account`."""
    AccountMembership.objects.create(user=user, account=account, role=role)
    return user
