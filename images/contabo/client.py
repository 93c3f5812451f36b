"""``ContaboClient``: the six Images operations of the Contabo API over ``requests``.

Each call gets a fresh uuid4 ``x-request-id`` (returned on every result and error), an
optional ``x-trace-id``, a bearer token from :class:`TokenProvider` and ``(connect, read)``
timeouts. Retries are done by urllib3's ``Retry`` on the session's adapter: GET, PATCH and
DELETE are retried on connection errors, read timeouts, 429, 502, 503 and 504 with
exponential backoff, honouring ``Retry-After`` (capped); POST is never retried. Retries
happen below ``requests``, so all attempts of one logical call share its ``x-request-id``.
A 401 drops the token and repeats the call once, with a new token and a new request id.
"""

import email.utils
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .auth import InMemoryTokenStore, TokenProvider, TokenStore
from .config import ContaboConfig
from .errors import (
    AuthenticationError,
    ClientError,
    ContaboError,
    NotFound,
    ProtocolError,
    RateLimited,
    TransientError,
    UnsupportedMediaType,
    redact,
)
from .recorder import Recorder
from .types import (
    CreatedImage,
    Deleted,
    Image,
    ImagePage,
    Stats,
    UpdatedImage,
    parse_created,
    parse_image,
    parse_image_page,
    parse_stats,
    parse_updated,
)

log = logging.getLogger("images.contabo")

IMAGES_PATH = "/v1/compute/images"
STATS_PATH = "/v1/compute/images/stats"

RETRY_METHODS = frozenset({"GET", "PATCH", "DELETE"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
#: Longest single wait between retries (backoff or Retry-After), in seconds; one call
#: therefore waits at most ``max_retries * MAX_RETRY_WAIT`` seconds in total.
MAX_RETRY_WAIT = 30


class IdempotentRetry(Retry):
    """``Retry`` that never repeats a method outside ``allowed_methods``.

    Plain urllib3 retries connection errors for any method; a POST is not repeated
    here at all, so a create can never run twice.
    """

    # urllib3 would also retry a 413 that carries Retry-After; for this API 413 is final.
    RETRY_AFTER_STATUS_CODES = frozenset({429, 503})

    def increment(self, method: str | None = None, url: str | None = None, *args, **kwargs):
        if method and self.allowed_methods and method.upper() not in self.allowed_methods:
            return Retry.increment(self.new(total=0), method, url, *args, **kwargs)
        return super().increment(method, url, *args, **kwargs)


def build_session(config: ContaboConfig) -> requests.Session:
    """A Session whose adapters retry idempotent calls as described in the module doc."""
    retry = IdempotentRetry(
        total=config.max_retries,
        connect=config.max_retries,
        read=config.max_retries,
        status=config.max_retries,
        other=0,
        allowed_methods=RETRY_METHODS,
        status_forcelist=RETRY_STATUSES,
        backoff_factor=config.backoff_factor,
        backoff_max=MAX_RETRY_WAIT,
        retry_after_max=MAX_RETRY_WAIT,
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class ContaboClient:
    """Client for the Images endpoints; its repr holds no secret."""

    def __init__(
        self,
        config: ContaboConfig,
        *,
        token_store: TokenStore | None = None,
        session: requests.Session | None = None,
        on_call: Callable[[str, int | str, float], None] | None = None,
    ) -> None:
        """`on_call(operation, status, seconds)` is told of every call sent: the HTTP status, or
        the connection error's class name (for metrics)."""
        self._on_call = on_call or (lambda *_: None)
        self._config = config
        self._base = config.api_url.rstrip("/")
        self._session = session or build_session(config)
        self._tokens = TokenProvider(config, self._session, token_store or InMemoryTokenStore())
        self._recorder = Recorder(config.record_dir) if config.record_dir else None

    def __repr__(self) -> str:
        return f"ContaboClient(api_url={self._base!r}, api_user={self._config.api_user!r})"

    @property
    def worst_call_seconds(self) -> float:
        """The longest one logical call can take: every attempt timing out (connect + read)
        with the longest wait between them, then once more after a 401 with a token grant
        before each (tokens are not retried here)."""
        config = self._config
        attempt = config.connect_timeout + config.read_timeout
        call = (config.max_retries + 1) * attempt + config.max_retries * MAX_RETRY_WAIT
        return 2 * (attempt + call)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> "ContaboClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- operations ----------------------------------------------------------------

    def list_images(self, *, page: int = 1, size: int = 100, **filters: Any) -> ImagePage:
        """One page of images (retrieveImageList); see fetch_image_page for the filters."""
        return self.fetch_image_page(page=page, size=size, **filters)()

    def fetch_image_page(
        self,
        *,
        page: int = 1,
        size: int = 100,
        order_by: Sequence[str] | None = None,
        name: str | None = None,
        standard_image: bool | None = None,
        search: str | None = None,
        trace_id: str | None = None,
    ) -> Callable[[], ImagePage]:
        """Call retrieveImageList now; the returned function reads the answer into a page.

        Lets a caller fetch pages on several threads but parse them one at a time where it
        uses them: a parsed page is several times the size of its body, and parsing holds the
        GIL anyway. ``order_by`` items are ``field:asc|desc``."""
        params: list[tuple[str, str | int]] = [("page", page), ("size", size)]
        if isinstance(order_by, str):
            order_by = [order_by]
        params += [("orderBy", item) for item in order_by or ()]
        if name is not None:
            params.append(("name", name))
        if standard_image is not None:
            params.append(("standardImage", "true" if standard_image else "false"))
        if search is not None:
            params.append(("search", search))
        resp, request_id = self._call(
            "list_images", "GET", IMAGES_PATH, params=params, trace_id=trace_id
        )

        def parse() -> ImagePage:
            body = self._json(resp, request_id)
            return parse_image_page(body, resp.status_code, request_id, page=page, size=size)

        return parse

    def iter_pages(self, *, size: int = 100, start: int = 1, **filters: Any) -> Iterator[ImagePage]:
        """Every page matching ``filters`` (see list_images) from page ``start``, fetched lazily.

        It ends on the last page by the API's totals, or without totals on a short page, or
        when a page repeats the one before (an API that ignores ``page``); only that page's ids
        are held, whatever the number of pages.
        """
        page, previous = start, set()
        while True:
            result = self.list_images(page=page, size=size, **filters)
            yield result
            ids = {image.image_id for image in result.images}
            if result.is_last(size) or (ids and ids <= previous):
                return
            previous = ids
            page += 1

    def iter_images(self, *, size: int = 100, **filters: Any) -> Iterator[Image]:
        """Every readable image matching ``filters``, once each even if the API's order moves
        one onto two pages."""
        seen: set[str] = set()
        for page in self.iter_pages(size=size, **filters):
            for image in page.images:
                if image.image_id not in seen:
                    seen.add(image.image_id)
                    yield image

    def get_image(self, image_id: str, *, trace_id: str | None = None) -> Image:
        """One standard or custom image (retrieveImage), e.g. to watch a download."""
        resp, request_id = self._call("get_image", "GET", _image_path(image_id), trace_id=trace_id)
        return parse_image(self._json(resp, request_id), resp.status_code, request_id)

    def create_image(
        self,
        *,
        name: str,
        url: str,
        os_type: str,
        version: str,
        description: str | None = None,
        trace_id: str | None = None,
    ) -> CreatedImage:
        """Ask Contabo to download a custom image (createCustomImage); never retried.

        ``url`` must be a direct link to an ``.iso`` or ``.qcow2`` file (else 415,
        :class:`UnsupportedMediaType`); ``os_type`` is ``"Linux"`` or ``"Windows"``.
        """
        body = {"name": name, "url": url, "osType": os_type, "version": version}
        if description is not None:
            body["description"] = description
        resp, request_id = self._call(
            "create_image", "POST", IMAGES_PATH, json=body, trace_id=trace_id
        )
        return parse_created(self._json(resp, request_id), resp.status_code, request_id)

    def update_image(
        self,
        image_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        trace_id: str | None = None,
    ) -> UpdatedImage:
        """Rename and/or re-describe a custom image (updateImage); sends given fields only."""
        body = {k: v for k, v in (("name", name), ("description", description)) if v is not None}
        if not body:
            raise ValueError("update_image needs name and/or description")
        resp, request_id = self._call(
            "update_image", "PATCH", _image_path(image_id), json=body, trace_id=trace_id
        )
        return parse_updated(self._json(resp, request_id), resp.status_code, request_id)

    def delete_image(self, image_id: str, *, trace_id: str | None = None) -> Deleted:
        """Delete a custom image (deleteImage, 204 without body)."""
        _, request_id = self._call(
            "delete_image", "DELETE", _image_path(image_id), trace_id=trace_id
        )
        return Deleted(image_id, request_id)

    def get_stats(self, *, trace_id: str | None = None) -> Stats:
        """Custom-image count and disk usage (retrieveCustomImagesStats)."""
        resp, request_id = self._call("get_stats", "GET", STATS_PATH, trace_id=trace_id)
        return parse_stats(self._json(resp, request_id), resp.status_code, request_id)

    # -- plumbing ------------------------------------------------------------------

    def _call(
        self, operation: str, method: str, path: str, *, trace_id: str | None = None, **kwargs: Any
    ) -> tuple[requests.Response, str]:
        """Send one logical call; on a 401 renew the token and send it once more."""
        token = self._tokens.access_token()
        resp, request_id = self._send(operation, method, path, token, trace_id, **kwargs)
        if resp.status_code == 401:
            log.info("contabo %s %s got 401; renewing the token once", method, path)
            self._tokens.invalidate(token)
            token = self._tokens.access_token()
            resp, request_id = self._send(operation, method, path, token, trace_id, **kwargs)
        if not resp.ok:
            raise self._error(resp, request_id, token)
        return resp, request_id

    def _send(
        self,
        operation: str,
        method: str,
        path: str,
        token: str,
        trace_id: str | None,
        **kwargs: Any,
    ) -> tuple[requests.Response, str]:
        request_id = str(uuid.uuid4())
        headers = {
            "Authorization": f"Bearer {token}",
            "x-request-id": request_id,
            "Accept": "application/json",
        }
        if trace_id:
            headers["x-trace-id"] = trace_id
        started = time.monotonic()
        try:
            resp = self._session.request(
                method,
                self._base + path,
                headers=headers,
                timeout=self._config.timeout,
                **kwargs,
            )
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
        ) as exc:
            log.info(
                "contabo %s %s failed: %s request_id=%s trace_id=%s %.3fs",
                method,
                path,
                type(exc).__name__,
                request_id,
                trace_id,
                time.monotonic() - started,
                extra={"request_id": request_id},
            )
            self._on_call(operation, type(exc).__name__, time.monotonic() - started)
            message = redact(str(exc), self._secrets(token))
            raise TransientError(None, message, request_id, reason=type(exc).__name__) from exc
        retries = getattr(resp.raw, "retries", None)
        self._on_call(operation, resp.status_code, time.monotonic() - started)
        log.log(
            logging.DEBUG if resp.ok else logging.INFO,
            "contabo %s %s -> %s request_id=%s trace_id=%s retries=%d %.3fs",
            method,
            path,
            resp.status_code,
            request_id,
            trace_id,
            len(retries.history) if retries else 0,
            time.monotonic() - started,
            extra={"request_id": request_id},
        )
        if self._recorder is not None:
            self._recorder.record(
                resp,
                request_id=request_id,
                request_body=kwargs.get("json"),
                secrets=self._secrets(token),
            )
        return resp, request_id

    def _json(self, resp: requests.Response, request_id: str) -> Any:
        try:
            return resp.json()
        except ValueError:
            raise ProtocolError(
                resp.status_code, "bad response: body is not JSON", request_id
            ) from None

    def _error(self, resp: requests.Response, request_id: str, token: str) -> ContaboError:
        """Map an error response (``{statusCode, message}`` JSON, or anything) to a type."""
        status = resp.status_code
        reason = resp.reason or ""
        try:
            body = resp.json()
        except ValueError:
            body = None
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(message, str) or not message:
            message = reason
        message = redact(message, self._secrets(token))
        if status == 429:
            retry_after = _retry_after(resp.headers.get("Retry-After"))
            return RateLimited(status, message, request_id, retry_after=retry_after)
        error_type = {
            401: AuthenticationError,
            403: AuthenticationError,
            404: NotFound,
            415: UnsupportedMediaType,
        }.get(status, TransientError if status >= 500 else ClientError)
        return error_type(status, message, request_id)

    def _secrets(self, token: str) -> tuple[str, ...]:
        return (token, self._config.client_secret, self._config.api_password)


def _image_path(image_id: str) -> str:
    if not image_id or image_id in {".", ".."}:
        raise ValueError(f"invalid image id: {image_id!r}")
    return f"{IMAGES_PATH}/{quote(image_id, safe='')}"


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date), if parseable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
