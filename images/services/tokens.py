"""Personal API tokens: created with a secret shown once, found by its digest, touched, revoked.

The secret is 32 random bytes (URL-safe text) after a fixed `cimg_` prefix, so a leaked token is
easy to recognise in a log or a repository. Being random and long, it needs no slow hash: its
SHA-256 is stored and looked up directly.
"""

import hashlib
import secrets
from datetime import timedelta

from django.utils import timezone

from images.models import ApiToken

PREFIX = "cimg_"
SHOWN_CHARS = len(PREFIX) + 4
# last_used_at is written at most this often per token, so reads stay reads.
TOUCH_EVERY = timedelta(minutes=1)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(*, user, name: str, expires_at=None) -> tuple[ApiToken, str]:
    """A new token of `user`, and its secret (never stored, never shown again)."""
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:SHOWN_CHARS],
        digest=digest(secret),
        expires_at=expires_at,
    )
    return token, secret


def active_token(secret: str) -> ApiToken | None:
    """The unrevoked, unexpired token with this secret (its user loaded), or None; one query."""
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=digest(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    return token


def touch(token: ApiToken) -> None:
    """Record a use, at most once per TOUCH_EVERY."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def revoke_token(*, user, pk: int) -> ApiToken | None:
    """Revoke one of `user`'s tokens; None when they have no such token (someone else's)."""
    token = ApiToken.objects.filter(pk=pk, user=user).first()
    if token is not None and token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
