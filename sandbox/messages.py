"""Plain request/response values passed between the HTTP layer and the handlers."""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import Message

from sandbox.errors import ApiError


@dataclass
class Request:
    """One parsed HTTP request."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    client_host: str
    params: dict[str, str] = field(default_factory=dict)

    def json(self) -> object:
        """The body as JSON; ApiError 400 when it is empty or malformed."""
        if not self.body.strip():
            raise ApiError(400, "Request body is required")
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "Request body is not valid JSON") from None


@dataclass
class Response:
    """One HTTP answer; `body` is bytes, or an iterable of bytes for streamed files."""

    status: int
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    length: int | None = None

    @classmethod
    def json(cls, status: int, payload: object, headers: dict | None = None) -> "Response":
        body = json.dumps(payload, separators=(",", ":")).encode()
        return cls(status, body, {"Content-Type": "application/json", **(headers or {})})

    @classmethod
    def error(cls, error: ApiError) -> "Response":
        payload = {"statusCode": error.status, "message": error.message}
        return cls.json(error.status, payload, error.headers)
