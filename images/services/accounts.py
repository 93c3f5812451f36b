"""The settings account: made after migrate, so a fresh install has one account to show."""

from django.apps import apps as installed_apps
from django.conf import settings


def ensure_settings_account(apps=None, using: str = "default", **_kwargs) -> None:
    """Create the account the CONTABO_* settings describe, if it does not exist yet.

    Runs after every migrate, on the migrated state (`apps`): nothing to do when the database was
    migrated to a point before accounts. Its name comes from CONTABO_ACCOUNT_NAME at creation and
    may be changed in admin later; its endpoints and credentials are always read from settings
    (images.contabo.django.config_for).
    """
    try:
        account = (apps or installed_apps).get_model("images", "Account")
    except LookupError:
        return
    account.objects.using(using).get_or_create(
        from_settings=True,
        defaults={"name": settings.CONTABO_ACCOUNT_NAME, "open_to_all": True},
    )
