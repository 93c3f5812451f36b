"""Download e-mails go to the users who may see the image's account."""

import pytest

from images.models import NotificationPreference
from images.services import notifications
from images.services.accounts import settings_account
from testkit.factories import make_account, make_user, member

pytestmark = pytest.mark.django_db


def _opted_in(user):
    user.email = f"{user.username}@example.com"
    user.save()
    NotificationPreference.objects.create(user=user, email_on_downloaded=True)
    return user


def test_recipients_are_the_accounts_users():
    bravo = make_account("Bravo")
    _opted_in(make_user("root", superuser=True))
    _opted_in(make_user("gv", role="viewer"))
    _opted_in(member(make_user("vb"), bravo))
    kind = "downloaded"
    assert notifications.recipients(kind, bravo) == ["root@example.com", "vb@example.com"]
    # The open settings account: as before accounts, users with a role (vb has none there).
    default = settings_account()
    assert notifications.recipients(kind, default) == ["gv@example.com", "root@example.com"]
