"""The settings account: made after migrate, so a fresh install has one account to show."""

from images.models import Account


def ensure_settings_account(**_kwargs) -> Account:
    """Create the account the CONTABO_* settings describe, if it does not exist yet.

    Its name comes from CONTABO_ACCOUNT_NAME at creation and may be changed in admin later; its
    endpoints and credentials are always read from settings (images.contabo.django.config_for).
    """
    return Account.objects.default()
