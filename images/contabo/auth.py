"""OAuth2 access tokens for the Contabo API: password and refresh-token grants, cached
in a pluggable :class:`TokenStore` so several processes can share one token.

Nothing in this module logs or formats a secret: the token call is logged with its grant
type, status and duration only.
"""

import functools
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import requests

from .config import ContaboConfig
from .errors import (
    AuthenticationError,
    ContaboError,
    ProtocolError,
    RateLimited,
    TokenRefused,
    TransientError,
    redact,
)

log = logging.getLogger("images.contabo")

#: Renew a token this many seconds (at most half its lifetime) before it expires.
RENEW_MARGIN = 30.0
#: Keycloak is known to answer `401 invalid_grant` now and then for valid credentials: the
#: password grant is tried again this many times, waiting FLAP_BACKOFF * 2**n s (0.5, 1, 2).
FLAP_RETRIES = 3
FLAP_BACKOFF = 0.5


@dataclass(frozen=True)
class Token:
    """An access token and, when issued, its refresh token; times are epoch seconds."""

    access_token: str = field(repr=False)
    issued_at: float
    expires_at: float
    refresh_token: str = field(default="", repr=False)
    refresh_expires_at: float = 0.0

    def usable(self, now: float) -> bool:
        return now < self._renew_at(self.expires_at)

    def refreshable(self, now: float) -> bool:
        return bool(self.refresh_token) and now < self._renew_at(self.refresh_expires_at)

    def _renew_at(self, expiry: float) -> float:
        return expiry - min(RENEW_MARGIN, (expiry - self.issued_at) / 2)


class TokenStore(Protocol):
    """Where tokens are cached between calls (and, for shared stores, processes)."""

    def get(self, key: str) -> Token | None: ...

    def set(self, key: str, token: Token) -> None: ...

    def delete(self, key: str) -> None: ...


class InMemoryTokenStore:
    """Per-process token cache; the default when no store is given."""

    def __init__(self) -> None:
        self._tokens: dict[str, Token] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Token | None:
        with self._lock:
            return self._tokens.get(key)

    def set(self, key: str, token: Token) -> None:
        with self._lock:
            self._tokens[key] = token

    def delete(self, key: str) -> None:
        with self._lock:
            self._tokens.pop(key, None)


def token_key(config: ContaboConfig) -> str:
    """Cache key for one (token URL, client, API user); no secret goes into it."""
    ident = "\n".join((config.auth_url, config.client_id, config.api_user))
    return "contabo-token:" + hashlib.sha256(ident.encode()).hexdigest()


class TokenProvider:
    """Hands out a valid access token, renewing it ``RENEW_MARGIN`` s before expiry."""

    def __init__(
        self,
        config: ContaboConfig,
        session: requests.Session,
        store: TokenStore,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._config = config
        self._session = session
        self._store = store
        self._clock = clock
        self._sleep = sleep
        self._key = token_key(config)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TokenProvider(auth_url={self._config.auth_url!r})"

    def access_token(self) -> str:
        """A cached token while it is fresh, else a renewed one (refresh grant first)."""
        token = self._store.get(self._key)
        if token and token.usable(self._clock()):
            return token.access_token
        with self._lock:  # one renewal per process at a time
            token = self._store.get(self._key)
            if token and token.usable(self._clock()):
                return token.access_token
            token = self._renew(token)
            self._store.set(self._key, token)
            return token.access_token

    def invalidate(self, access_token: str) -> None:
        """Drop ``access_token`` after the API rejected it, unless already replaced."""
        with self._lock:
            token = self._store.get(self._key)
            if token and token.access_token == access_token:
                self._store.delete(self._key)

    def _renew(self, token: Token | None) -> Token:
        cfg = self._config
        if token and token.refreshable(self._clock()):
            try:
                return self._grant(
                    "refresh_token",
                    refresh_token=token.refresh_token,
                    client_id=cfg.client_id,
                    client_secret=cfg.client_secret,
                )
            except AuthenticationError:
                log.info("contabo token refresh rejected; falling back to password grant")
        return self._password_grant()

    def _password_grant(self) -> Token:
        """The password grant, trying a `401 invalid_grant` again FLAP_RETRIES times."""
        cfg = self._config
        grant = functools.partial(
            self._grant,
            "password",
            client_id=cfg.client_id,
            client_secret=cfg.client_secret,
            username=cfg.api_user,
            password=cfg.api_password,
        )
        for attempt in range(FLAP_RETRIES):
            try:
                return grant()
            except TokenRefused as exc:
                if exc.status != 401 or exc.error != "invalid_grant":
                    raise
                wait = FLAP_BACKOFF * 2**attempt
                log.info("contabo token 401 invalid_grant; trying again in %.1f s", wait)
                self._sleep(wait)
        return grant()

    def _grant(self, grant_type: str, **form: str) -> Token:
        started = time.monotonic()
        try:
            resp = self._session.post(
                self._config.auth_url,
                data={"grant_type": grant_type, **form},
                headers={"Accept": "application/json"},
                timeout=self._config.timeout,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            log.info("contabo token grant=%s failed: %s", grant_type, type(exc).__name__)
            raise TransientError(
                None,
                f"token endpoint unreachable: {self._scrub(str(exc), form)}",
                reason="Network error",
            ) from exc
        log.debug(
            "contabo token grant=%s -> %s %.3fs",
            grant_type,
            resp.status_code,
            time.monotonic() - started,
        )
        try:
            body = resp.json()
        except ValueError:
            body = None
        if not resp.ok:
            raise self._error(resp, body, form)
        return _parse_token(body, resp.status_code, self._clock())

    def _error(self, resp: requests.Response, body: object, form: dict[str, str]) -> ContaboError:
        detail = code = ""
        if isinstance(body, dict):
            detail = str(body.get("error_description") or body.get("error") or "")
            code = str(body.get("error") or "")
        message = self._scrub(detail or resp.reason or "", form)
        status = resp.status_code
        if status == 429:
            return RateLimited(status, message)
        if status >= 500:
            return TransientError(status, message)
        refused = TokenRefused(status, message)
        refused.error = code
        return refused

    @staticmethod
    def _scrub(text: str, form: dict[str, str]) -> str:
        return redact(
            text, (form.get(k, "") for k in ("client_secret", "password", "refresh_token"))
        )


def _parse_token(body: object, status: int, now: float) -> Token:
    """Build a Token from a Keycloak token response, expiry taken from ``expires_in``."""
    data = body if isinstance(body, dict) else {}
    access = data.get("access_token")
    try:
        expires_in = float(data["expires_in"])
        refresh_in = float(data.get("refresh_expires_in") or 0)
    except (KeyError, TypeError, ValueError):
        access = None
    if not isinstance(access, str) or not access:
        raise ProtocolError(status, "bad token response: need access_token and expires_in")
    return Token(
        access_token=access,
        issued_at=now,
        expires_at=now + expires_in,
        refresh_token=str(data.get("refresh_token") or ""),
        refresh_expires_at=now + refresh_in,
    )
