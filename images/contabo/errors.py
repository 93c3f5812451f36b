"""Exception hierarchy for Contabo API failures.

Every error carries the HTTP ``status`` (``None`` for network failures), a human
``message`` and the ``request_id`` (the ``x-request-id`` we sent) that admins quote to
Contabo support. ``retryable`` tells background jobs whether trying later may help.
"""

from collections.abc import Iterable
from http import HTTPStatus


class ContaboError(Exception):
    """Base class for every error raised by the Contabo client."""

    retryable = False

    def __init__(
        self, status: int | None, message: str, request_id: str = "", *, reason: str = ""
    ) -> None:
        self.status = status
        self.message = message
        self.request_id = request_id
        self.reason = reason or _phrase(status)
        super().__init__(status, message, request_id)

    def __str__(self) -> str:
        head = f"{self.status} {self.reason}".strip() if self.status else self.reason
        text = message if (message := self.message) and message != self.reason else ""
        parts = ": ".join(p for p in (head, text) if p) or type(self).__name__
        return f"{parts} (request {self.request_id})" if self.request_id else parts

    def __reduce__(self):
        # Keep keyword-only attributes (reason, retry_after) when pickled, e.g. by Celery.
        return (type(self), (self.status, self.message, self.request_id), self.__dict__)


class AuthenticationError(ContaboError):
    """401/403 from the API, or the token endpoint refused the credentials."""


class TokenRefused(AuthenticationError):
    """The token endpoint refused to sign in (``error`` is Keycloak's code, e.g. invalid_grant).

    The account cannot authenticate right now: work waiting for it should wait, not fail.
    """

    error = ""


def signin_failing(exc: ContaboError) -> bool:
    """Whether `exc` says the account cannot authenticate now (token refused, or the API's 401
    after a fresh token): the work should wait for sign-in to work again."""
    return isinstance(exc, TokenRefused) or (
        isinstance(exc, AuthenticationError) and exc.status == 401
    )


class NotFound(ContaboError):
    """404: the image (or path) does not exist."""


class UnsupportedMediaType(ContaboError):
    """415: the image URL is not a direct link to an ``.iso`` or ``.qcow2`` file."""


class ClientError(ContaboError):
    """Any other 4xx (400, 402, 409, 413, ...): the request itself must change."""


class RateLimited(ContaboError):
    """429: too many requests; ``retry_after`` is the server's hint in seconds, if any."""

    retryable = True

    def __init__(
        self,
        status: int | None,
        message: str,
        request_id: str = "",
        *,
        reason: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status, message, request_id, reason=reason)
        self.retry_after = retry_after


class TransientError(ContaboError):
    """5xx, connection failure or timeout (``status`` is ``None`` for network errors)."""

    retryable = True


class ProtocolError(ContaboError):
    """The response did not have the shape the API specification promises."""


def _phrase(status: int | None) -> str:
    if status is None:
        return ""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every non-empty secret in ``text`` (e.g. echoed by a server) with ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
