"""Django system checks for settings that are valid one by one but not together."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def webhook_needs_secret(app_configs=None, **kwargs) -> list[Error]:
    """A webhook URL without a secret would send unsigned bodies the receiver cannot trust."""
    if settings.NOTIFY_WEBHOOK_URL and not settings.NOTIFY_WEBHOOK_SECRET:
        return [
            Error(
                "NOTIFY_WEBHOOK_URL is set but NOTIFY_WEBHOOK_SECRET is not.",
                hint="Set NOTIFY_WEBHOOK_SECRET (see .env.example) to sign webhook bodies, "
                "or unset NOTIFY_WEBHOOK_URL.",
                id="images.E001",
            )
        ]
    return []
