"""Upload preflight: what the file's own server says about an image URL, before it is queued.

The web process never contacts the URL. `request_preflight` stores a pending entry under a random
token in the shared cache and enqueues `tasks.preflight_url`; a worker runs `run`, which makes a
HEAD request, then reads the file's first bytes (a Range request; a bounded read where ranges are
not served) for images.filekinds to say what the file is, and stores the outcome under the same
token; the page polls `read` until it is there.

Every request goes to http(s) only, to public addresses only (every address the host resolves to
is checked, and the connection is pinned to a checked address so a second DNS answer cannot
differ), follows at most MAX_REDIRECTS redirects (each hop checked the same way) and gives up
after PREFLIGHT_TIMEOUT_SECONDS (the HEAD request, then the read, each). PREFLIGHT_ALLOW_PRIVATE
lifts the address check (the sandbox serves its files on 127.0.0.1). Entries expire from the
cache after RESULT_TTL seconds. With the cache unreachable (Redis down) nothing is stored: the
page says the check is unavailable and the upload itself stays possible.
"""

import ipaddress
import logging
import secrets
import socket
import time
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import requests
from django.conf import settings
from django.core.cache import cache
from requests.adapters import HTTPAdapter

from images import filekinds
from images.services import enqueue

log = logging.getLogger(__name__)

RESULT_TTL = 300  # seconds a pending or finished check stays readable
MAX_REDIRECTS = 3
QUEUE_GRACE = 30  # seconds a worker may take to pick the check up before the page gives up
SCHEMES = ("http", "https")
REDIRECT_CODES = (301, 302, 303, 307, 308)
MB = 1024 * 1024  # Contabo's MB, as in sizeMb
USER_AGENT = "contabo-images-dashboard preflight"


class Unchecked(Exception):
    """The URL cannot be checked; the text says why (the upload stays possible)."""


def _key(token: str) -> str:
    return f"images:preflight:{token}"


# --- what the URL itself says -------------------------------------------------------------------


def file_of(url: str) -> tuple[str, str]:
    """The file name and its extension ('.qcow2'), from the URL's path (never its query)."""
    path = unquote(urlsplit(url).path)
    name = path.rstrip("/").rsplit("/", 1)[-1]
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return name, extension


# --- addresses ----------------------------------------------------------------------------------


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (tests replace this)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0].split("%", 1)[0] for info in infos))


def address_refusal(address: str) -> str | None:
    """Why a server at this address is not asked, or None for a public address."""
    ip = ipaddress.ip_address(address)
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private network address"
    if not ip.is_global:
        return "a reserved address"
    return None


def checked_addresses(host: str, port: int, *, allow_private: bool) -> list[str]:
    """The addresses of `host`, all of them public unless `allow_private`."""
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise Unchecked(f"The host name “{host}” does not resolve.") from exc
    if not addresses:
        raise Unchecked(f"The host name “{host}” does not resolve.")
    if not allow_private:
        for address in addresses:
            why = address_refusal(address)
            if why:
                raise Unchecked(
                    f"“{host}” is {why} ({address}), so it was not asked; Contabo downloads "
                    "from the internet and will most likely not reach it either."
                )
    return addresses


# --- the HEAD request ---------------------------------------------------------------------------


class _PinnedAdapter(HTTPAdapter):
    """Connects to the address it is given while TLS checks the certificate of `hostname`."""

    def __init__(self, hostname: str) -> None:
        self._hostname = hostname
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs):
        # Both are TLS-only keywords; urllib3 drops them for plain http pools.
        kwargs["server_hostname"] = self._hostname
        kwargs["assert_hostname"] = self._hostname
        super().init_poolmanager(*args, **kwargs)


def _send(
    method: str, url: str, deadline: float, allow_private: bool, headers: dict, read: int
) -> tuple[requests.Response, bytes]:
    """One request to `url`'s checked, pinned address; with `read`, also at most that many
    bytes of the body (the connection is closed after, whatever the server meant to send)."""
    timeout = deadline - time.monotonic()
    if timeout <= 0:
        raise requests.Timeout
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise Unchecked(f"Only http and https links are checked; this one is “{parts.scheme}:”.")
    try:
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        ascii_host = host.encode("idna").decode("ascii") if host else ""
    except (ValueError, UnicodeError) as exc:
        raise Unchecked("The link's host or port is not valid.") from exc
    if not ascii_host:
        raise Unchecked("The link has no host name.")
    addresses = checked_addresses(ascii_host, port, allow_private=allow_private)
    literal = f"[{ascii_host}]" if ":" in ascii_host else ascii_host
    host_header = literal if parts.port is None else f"{literal}:{parts.port}"
    auth = (unquote(parts.username), unquote(parts.password or "")) if parts.username else None
    error: requests.ConnectionError | None = None
    for address in addresses:
        pinned = f"[{address}]" if ":" in address else address
        target = urlunsplit((parts.scheme, f"{pinned}:{port}", parts.path or "/", parts.query, ""))
        with requests.Session() as session:
            session.trust_env = False  # no proxies or .netrc from the worker's environment
            session.mount(f"{parts.scheme}://", _PinnedAdapter(ascii_host))
            try:
                response = session.request(
                    method,
                    target,
                    headers={
                        "Host": host_header,
                        "User-Agent": USER_AGENT,
                        "Accept-Encoding": "identity",
                        **headers,
                    },
                    auth=auth,
                    timeout=(timeout, timeout),
                    allow_redirects=False,
                    stream=bool(read),
                )
            except requests.Timeout:
                raise
            except requests.ConnectionError as exc:
                error = exc  # try the host's next address
                continue
            with response:
                return response, _first_bytes(response, read, deadline) if read else b""
    assert error is not None
    raise error


def _first_bytes(response: requests.Response, limit: int, deadline: float) -> bytes:
    """Up to `limit` bytes of the body as sent (no decoding), stopping at the deadline."""
    if response.status_code in REDIRECT_CODES:
        return b""
    head = b""
    for block in response.raw.stream(16 * 1024, decode_content=False):
        head += block
        if len(head) >= limit or time.monotonic() > deadline:
            break
    return head[:limit]


def _follow(
    method: str,
    url: str,
    deadline: float,
    headers: dict | None = None,
    read: int = 0,
    trail: dict | None = None,
) -> tuple[requests.Response, bytes]:
    """`method` on `url`, following redirects by hand (each hop checked again): the answer and
    up to `read` bytes of its body. `trail` gets each hop's `final_url` and `redirects`."""
    trail = {} if trail is None else trail
    allow_private = settings.PREFLIGHT_ALLOW_PRIVATE
    current = url
    for hop in range(MAX_REDIRECTS + 1):
        response, body = _send(method, current, deadline, allow_private, headers or {}, read)
        location = response.headers.get("Location")
        if response.status_code in REDIRECT_CODES and location:
            if hop == MAX_REDIRECTS:
                raise Unchecked(f"More than {MAX_REDIRECTS} redirects; stopped following them.")
            current = urljoin(current, location)
            trail.update(final_url=current, redirects=hop + 1)
            continue
        return response, body
    raise AssertionError("unreachable")


def inspect(url: str) -> dict:
    """HEAD `url` (following redirects by hand), then read its first bytes: what the server
    said and what the file is (`content`), or why it is unknown."""
    budget = settings.PREFLIGHT_TIMEOUT_SECONDS
    result = {
        "final_url": url,
        "redirects": 0,
        "status": None,
        "size_bytes": None,
        "size_mb": None,
        "problem": "",
        "content": None,
    }
    try:
        response, _ = _follow("HEAD", url, time.monotonic() + budget, trail=result)
        result["status"] = response.status_code
        result["problem"] = _problem(response)
        if response.ok and not result["problem"]:
            result["size_bytes"] = int(response.headers["Content-Length"].strip())
    except Unchecked as exc:
        result["problem"] = str(exc)
    except requests.RequestException as exc:
        result["problem"] = _failure(exc, budget)
    if result["status"] is not None and (response.ok or response.status_code in (405, 501)):
        result["content"] = _content(url, result)
    if result["size_bytes"] is not None:
        result["size_mb"] = result["size_bytes"] / MB
    return result


def _failure(exc: requests.RequestException, budget: float) -> str:
    if isinstance(exc, requests.Timeout):
        return f"The server did not answer within {budget:g} s."
    if isinstance(exc, requests.exceptions.SSLError):
        return "The server's HTTPS certificate could not be verified."
    if isinstance(exc, requests.ConnectionError):
        return "Could not connect to the server."
    return f"The request failed ({type(exc).__name__})."


def _content(url: str, result: dict) -> dict:
    """What the file's first bytes say it is (a Range request; a bounded read where ranges are
    not served), judged for `url`'s extension; {"unread": why} when they could not be read.
    A total size in Content-Range fills in a size the HEAD request did not give."""
    budget = settings.PREFLIGHT_TIMEOUT_SECONDS
    wanted = {"Range": f"bytes=0-{filekinds.HEAD_BYTES - 1}"}
    try:
        response, head = _follow(
            "GET", result["final_url"], time.monotonic() + budget, wanted, filekinds.HEAD_BYTES
        )
    except Unchecked as exc:
        return {"unread": str(exc)}
    except requests.RequestException as exc:
        return {"unread": _failure(exc, budget)}
    if response.status_code not in (200, 206):
        return {"unread": f"Reading its first bytes was answered {response.status_code}."}
    total = response.headers.get("Content-Range", "").rpartition("/")[2].strip()
    if result["size_bytes"] is None and response.status_code == 206 and total.isdigit():
        result["size_bytes"] = int(total)
        result["problem"] = ""
    found = filekinds.identify(head, response.headers.get("Content-Type", ""))
    verdict = filekinds.judge(found, file_of(url)[1], settings.PREFLIGHT_PLAN_DISKS)
    return {**found, **verdict}


def _problem(response: requests.Response) -> str:
    code = response.status_code
    if code in (405, 501):
        return f"The server does not answer HEAD requests ({code}), so the size is unknown."
    if not response.ok:
        reason = f" {response.reason}" if response.reason else ""
        return f"The server answered {code}{reason}: Contabo will most likely fail to download it."
    length = response.headers.get("Content-Length", "").strip()
    if not length.isdigit():
        return "The server did not say how large the file is."
    return ""


# --- the pending and finished entries in the cache ----------------------------------------------


UNAVAILABLE = "The check is unavailable right now (the shared cache cannot be reached)."


def _cache_get(key: str):
    """The cached value, or None when the cache (Redis) cannot be reached."""
    try:
        return cache.get(key)
    except Exception:  # any backend's connection error: no check, never a 500
        log.warning("cache unreachable; preflight entry not read")
        return None


def _cache_set(key: str, value: dict) -> bool:
    try:
        cache.set(key, value, RESULT_TTL)
    except Exception:
        log.warning("cache unreachable; preflight entry not stored")
        return False
    return True


def unavailable(url: str) -> dict:
    """What the page shows when no check can be made: the upload itself stays possible."""
    name, extension = file_of(url)
    return {
        "state": "done",
        "url": url,
        "name": name,
        "extension": extension,
        "problem": UNAVAILABLE,
    }


def request_preflight(url: str, *, user) -> str | None:
    """Store a pending check of `url` for `user`, enqueue it for a worker; returns its token,
    or None when the cache cannot hold it (see `unavailable`)."""
    token = secrets.token_urlsafe(16)
    name, extension = file_of(url)
    entry = {
        "state": "pending",
        "url": url,
        "name": name,
        "extension": extension,
        "user_id": user.pk,
        "created": time.time(),
    }
    if not _cache_set(_key(token), entry):
        return None
    if not enqueue.send("preflight_url", token, url):
        store(token, {"problem": "The check could not be queued (no task broker); try again."})
    return token


def run(token: str, url: str) -> None:
    """The worker's part: check `url` and store the outcome under `token` (repeatable)."""
    store(token, inspect(url))


def store(token: str, result: dict) -> None:
    entry = _cache_get(_key(token))
    if entry is None:
        return  # expired (or the cache is down): nobody can read it
    _cache_set(_key(token), {**entry, **result, "state": "done"})


def read(token: str, *, user) -> dict | None:
    """The entry under `token` if it is this user's, with a check nobody picked up given up;
    None when unknown, expired or the cache cannot be reached."""
    entry = _cache_get(_key(token)) if token else None
    if not entry or entry.get("user_id") != user.pk:
        return None
    waited = time.time() - entry["created"]
    if entry["state"] == "pending" and waited > settings.PREFLIGHT_TIMEOUT_SECONDS + QUEUE_GRACE:
        entry = {
            **entry,
            "state": "done",
            "problem": f"No worker answered within {waited:.0f} s, so the size is unknown.",
        }
    return entry
