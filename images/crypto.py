"""Secrets at rest: Fernet tokens under the keys of ACCOUNTS_ENCRYPTION_KEYS (newest first).

MultiFernet encrypts with the first key and decrypts with any of them, so a new key is rolled in
by putting it first; `rotate` re-encrypts a token under the newest key.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class UndecryptableSecret(Exception):
    """A stored secret none of the configured keys opens."""


def _fernet() -> MultiFernet:
    keys = [k.strip() for k in settings.ACCOUNTS_ENCRYPTION_KEYS if k.strip()]
    if not keys:
        raise ImproperlyConfigured("ACCOUNTS_ENCRYPTION_KEYS holds no key.")
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "ACCOUNTS_ENCRYPTION_KEYS must hold Fernet keys (32 url-safe base64-encoded bytes)."
        ) from exc


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str, *, what: str = "secret") -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise UndecryptableSecret(
            f"Cannot decrypt the {what}: none of ACCOUNTS_ENCRYPTION_KEYS is the key it was "
            "encrypted with (a key removed too early, or another deployment's key)."
        ) from exc


def rotate(token: str, *, what: str = "secret") -> str:
    """The same secret encrypted under the newest key."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise UndecryptableSecret(f"Cannot re-encrypt the {what}: no key opens it.") from exc
