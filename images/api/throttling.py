"""Throttling per token (per user for the browser's session, per address for the anonymous):
API_THROTTLE_RATE requests per period, then 429 with Retry-After."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from images.models import ApiToken


class PerTokenThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self) -> str:
        return settings.API_THROTTLE_RATE  # read per request, so settings overrides apply

    def get_cache_key(self, request, view) -> str:
        if isinstance(request.auth, ApiToken):
            # The digest, not the pk: a deleted token's pk can be given again, its history must not.
            ident = f"token:{request.auth.digest[:16]}"
        elif request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"address:{self.get_ident(request)}"
        return f"throttle:{self.scope}:{ident}"
