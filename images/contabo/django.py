"""Django glue: a client per Contabo account, with tokens shared via the cache.

`get_client(account)` builds the client from the account's row; the account marked
`from_settings` (and `get_client()` with no account) reads these settings instead:
CONTABO_API_URL, CONTABO_AUTH_URL (full token URL), CONTABO_CLIENT_ID,
CONTABO_CLIENT_SECRET, CONTABO_API_USER, CONTABO_API_PASSWORD, and optionally
CONTABO_CONNECT_TIMEOUT / CONTABO_READ_TIMEOUT (seconds), and CONTABO_RECORD_DIR (a directory
the client writes each API exchange to, secrets left out: images/contabo/recorder.py).
"""

import dataclasses
import threading
import time

from django.conf import settings
from django.core.cache import cache as default_cache
from django.core.cache.backends.base import BaseCache
from django.core.exceptions import ImproperlyConfigured

from .auth import Token
from .client import ContaboClient
from .config import ContaboConfig

REQUIRED_SETTINGS = {
    "api_url": "CONTABO_API_URL",
    "auth_url": "CONTABO_AUTH_URL",
    "client_id": "CONTABO_CLIENT_ID",
    "client_secret": "CONTABO_CLIENT_SECRET",
    "api_user": "CONTABO_API_USER",
    "api_password": "CONTABO_API_PASSWORD",
}
OPTIONAL_SETTINGS = {
    "connect_timeout": "CONTABO_CONNECT_TIMEOUT",
    "read_timeout": "CONTABO_READ_TIMEOUT",
}


class DjangoCacheTokenStore:
    """TokenStore on a Django cache, so all web and worker processes share one token.

    Tokens are stored as plain dicts and expire from the cache with the longer-lived
    of the access and refresh token.
    """

    def __init__(self, cache: BaseCache | None = None) -> None:
        self._cache = cache if cache is not None else default_cache

    def get(self, key: str) -> Token | None:
        raw = self._cache.get(key)
        try:
            return Token(**raw) if isinstance(raw, dict) else None
        except TypeError:  # stored by an older Token layout
            return None

    def set(self, key: str, token: Token) -> None:
        ttl = max(token.expires_at, token.refresh_expires_at) - time.time()
        self._cache.set(key, dataclasses.asdict(token), timeout=max(1, int(ttl)))

    def delete(self, key: str) -> None:
        self._cache.delete(key)


def config_from_settings() -> ContaboConfig:
    """A ContaboConfig from ``django.conf.settings``; ImproperlyConfigured if incomplete."""
    missing = [name for name in REQUIRED_SETTINGS.values() if not getattr(settings, name, "")]
    if missing:
        raise ImproperlyConfigured(f"Contabo API settings missing: {', '.join(missing)}")
    values = {field: getattr(settings, name) for field, name in REQUIRED_SETTINGS.items()}
    for field, name in OPTIONAL_SETTINGS.items():
        if getattr(settings, name, None) is not None:
            values[field] = float(getattr(settings, name))
    return ContaboConfig(**values, record_dir=_record_dir())


def config_for(account) -> ContaboConfig:
    """The account's ContaboConfig: from settings for the settings account, else from its row
    (secrets decrypted here, never stored in the clear)."""
    if account.from_settings:
        return config_from_settings()
    config = ContaboConfig(
        api_url=account.api_url,
        auth_url=account.auth_url,
        client_id=account.client_id,
        client_secret=account.client_secret(),
        api_user=account.api_user,
        api_password=account.api_password(),
    )
    timeouts = {
        field: float(getattr(settings, name))
        for field, name in OPTIONAL_SETTINGS.items()
        if getattr(settings, name, None) is not None
    }
    return dataclasses.replace(config, **timeouts, record_dir=_record_dir())


def _record_dir() -> str:
    """CONTABO_RECORD_DIR: where the client writes each API exchange ("" = not recorded)."""
    return getattr(settings, "CONTABO_RECORD_DIR", "") or ""


def get_client(account=None) -> ContaboClient:
    """The process-wide client of `account` (the settings account when None).

    One client (one Session, one token) per account, kept for the life of the process however
    many accounts there are; it is rebuilt only when the account's endpoints or credentials
    change (in admin, or the settings), which is seen without decrypting anything.
    """
    if account is None or account.from_settings:
        config = config_from_settings()
        return _cached("settings", config, lambda: config)
    fingerprint = (
        account.api_url,
        account.auth_url,
        account.client_id,
        account.api_user,
        account.client_secret_encrypted,
        account.api_password_encrypted,
    )
    return _cached(account.pk, fingerprint, lambda: config_for(account))


_clients: dict = {}  # account pk (or "settings") -> (fingerprint, client)
_clients_lock = threading.Lock()


def _cached(key, fingerprint, config) -> ContaboClient:
    with _clients_lock:
        known = _clients.get(key)
        if known is not None and known[0] == fingerprint:
            return known[1]
    from images import metrics

    client = ContaboClient(config(), token_store=DjangoCacheTokenStore(), on_call=metrics.api_call)
    with _clients_lock:
        known = _clients.get(key)
        if known is not None and known[0] == fingerprint:  # another thread was first
            client.close()
            return known[1]
        _clients[key] = (fingerprint, client)  # a replaced client may still be in use elsewhere
    return client
