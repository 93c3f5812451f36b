"""The settings account: the account the CONTABO_* settings describe, and the one place that
creates it (after every migrate, so a fresh install has one account to show)."""

from django.apps import apps as installed_apps
from django.conf import settings


def settings_account(apps=None, using: str = "default", **_kwargs):
    """The account the CONTABO_* settings describe, created if it does not exist yet.

    Also the post_migrate receiver and migration 0005's step, on the migrated state (`apps`):
    None when the database was migrated to a point before accounts. Its name comes from
    CONTABO_ACCOUNT_NAME at creation and may be changed in admin later; its endpoints and
    credentials are always read from settings (images.contabo.django.config_for).
    """
    try:
        account_model = (apps or installed_apps).get_model("images", "Account")
    except LookupError:
        return None
    account, _ = account_model.objects.using(using).get_or_create(
        from_settings=True,
        defaults={"name": settings.CONTABO_ACCOUNT_NAME, "open_to_all": True},
    )
    return account
