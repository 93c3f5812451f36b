"""A recorder of API exchanges, so a user can hand over a real trace (CONTABO_RECORD_DIR).

Each call to the Images API becomes one JSON file in the directory: method, path, query, the
request's JSON body (image fields only), status, response headers and the response body. What
could give access is never written: no Authorization, Cookie or Set-Cookie header, no token
request at all (its form holds the password), and every secret the client knows (the token,
client secret, API password) is replaced by `***` anywhere it might be echoed.
"""

import itertools
import json
import logging
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from .errors import redact

log = logging.getLogger("images.contabo")

SENSITIVE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "www-authenticate"}
)
_sequence = itertools.count(1)


class Recorder:
    """Writes one file per exchange under `directory` (created if needed)."""

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"Recorder({str(self.directory)!r})"

    def record(
        self,
        resp: requests.Response,
        *,
        request_id: str,
        request_body: Any,
        secrets: tuple[str, ...],
    ) -> Path | None:
        """Write the exchange; a failure to write is logged, never raised (it is a side job)."""
        url = urlsplit(resp.request.url or "")
        entry = {
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "method": resp.request.method,
            "path": url.path,
            "query": parse_qsl(url.query, keep_blank_values=True),
            "request_id": request_id,
            "request_body": request_body,
            "status": resp.status_code,
            "headers": {
                k: v for k, v in resp.headers.items() if k.lower() not in SENSITIVE_HEADERS
            },
            "body": _body(resp),
        }
        text = redact(json.dumps(entry, indent=1, ensure_ascii=False), secrets)
        name = f"{time.time_ns()}-{os.getpid()}-{next(_sequence):06d}.json"
        path = self.directory / name
        try:
            path.write_text(text + "\n")
        except OSError as exc:
            log.warning("CONTABO_RECORD_DIR: could not write %s: %s", path, exc)
            return None
        return path


def _body(resp: requests.Response) -> Any:
    if not resp.content:
        return None
    try:
        return resp.json()
    except ValueError:
        return {"text": resp.text[:2000]}


def load(directory: str | os.PathLike) -> list[dict]:
    """A recorded trace, in the order it was written."""
    files = sorted(Path(directory).glob("*.json"), key=lambda p: tuple(map(int, p.stem.split("-"))))
    return [json.loads(p.read_text()) for p in files]
