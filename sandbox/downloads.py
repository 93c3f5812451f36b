"""Background downloads of custom images: real HTTP, throttled, progress and errors stored."""

import http.client
import logging
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from sandbox.faults import Faults
from sandbox.store import Store

MB = 1024 * 1024
PROGRESS_INTERVAL_S = 0.2
CHUNK_BYTES = 64 * 1024
ERROR_PREFIX = "Error downloading image from provided URL"
RESTART_MESSAGE = "Download interrupted: the sandbox restarted while the image was downloading"

log = logging.getLogger(__name__)


def megabytes(n_bytes: int) -> float:
    """Bytes as MB (1 MB = 1,048,576 bytes), rounded to 2 decimals."""
    return round(n_bytes / MB, 2)


class DownloadFailed(Exception):
    """Ends a download with status `error` and this message as errorMessage."""


class _Gone(Exception):
    """The image was deleted while downloading: stop quietly."""


class Downloads:
    """Starts one daemon thread per created custom image."""

    def __init__(self, store: Store, faults: Faults):
        self._store = store
        self._faults = faults
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def start(self, image_id: str, url: str) -> None:
        thread = threading.Thread(
            target=self._run, args=(image_id, url), name=f"download-{image_id}", daemon=True
        )
        thread.start()

    def _run(self, image_id: str, url: str) -> None:
        try:
            size_mb = self._fetch(image_id, url)
        except _Gone:
            log.info("image %s deleted during download", image_id)
            return
        except DownloadFailed as failure:
            log.info("image %s download failed: %s", image_id, failure)
            self._store.update(image_id, status="error", errorMessage=str(failure))
            return
        except Exception:
            log.exception("image %s: unexpected download failure", image_id)
            message = f"{ERROR_PREFIX}: internal error"
            self._store.update(image_id, status="error", errorMessage=message)
            return
        self._store.update(
            image_id, status="downloaded", sizeMb=size_mb, uploadedSizeMb=size_mb, errorMessage=""
        )
        log.info("image %s downloaded (%s MB)", image_id, size_mb)

    def _check_quota(self, image_id: str, size_mb: float) -> None:
        _, used_by_others = self._store.custom_usage(exclude=image_id)
        quota = self._faults.knobs.quota_mb
        if used_by_others + size_mb > quota:
            free = max(0.0, round(quota - used_by_others, 2))
            raise DownloadFailed(
                f"Quota exceeded: the image needs {size_mb} MB but only {free} MB of "
                f"{quota} MB custom image storage is free"
            )

    def _fetch(self, image_id: str, url: str) -> float:
        """Stream `url`, keeping the store up to date; return the final size in MB."""
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            raise DownloadFailed(f"{ERROR_PREFIX}: only http and https URLs are supported")
        if self._faults.knobs.download_mode == "fail":
            raise DownloadFailed(f"{ERROR_PREFIX}: connection reset by peer (injected fault)")
        request = urllib.request.Request(url, headers={"User-Agent": "contabo-sandbox/1.0"})  # noqa: S310
        timeout = self._faults.knobs.stall_timeout_s
        try:
            with self._opener.open(request, timeout=timeout) as response:
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                if total is not None:
                    self._check_quota(image_id, megabytes(total))
                    if not self._store.update(image_id, sizeMb=megabytes(total)):
                        raise _Gone
                received = self._stream(image_id, response, total)
        except urllib.error.HTTPError as error:
            raise DownloadFailed(f"{ERROR_PREFIX}: HTTP {error.code} {error.reason}") from None
        except urllib.error.URLError as error:
            raise DownloadFailed(f"{ERROR_PREFIX}: {error.reason}") from None
        except TimeoutError:
            raise DownloadFailed(f"Download stalled: no data received for {timeout:g} s") from None
        except (OSError, http.client.HTTPException) as error:
            raise DownloadFailed(f"{ERROR_PREFIX}: {error or type(error).__name__}") from None
        if total is not None and received != total:
            got, expected = megabytes(received), megabytes(total)
            raise DownloadFailed(f"{ERROR_PREFIX}: connection closed after {got} of {expected} MB")
        return megabytes(received)

    def _stream(self, image_id: str, response, total: int | None) -> int:
        """Read the body at the configured bandwidth; return the number of bytes received."""
        received = 0
        next_report = time.monotonic() + PROGRESS_INTERVAL_S
        allowed_at = time.monotonic()
        while True:
            knobs = self._faults.knobs
            self._wait_while_stalled()
            if knobs.download_mode == "fail":
                raise DownloadFailed(f"{ERROR_PREFIX}: connection reset by peer (injected fault)")
            rate = knobs.bandwidth_mbps * MB
            chunk_size = CHUNK_BYTES if rate <= 0 else max(1024, min(CHUNK_BYTES, int(rate / 20)))
            chunk = response.read(chunk_size)
            if not chunk:
                return received
            received += len(chunk)
            now = time.monotonic()
            if rate > 0:
                allowed_at = max(allowed_at, now - 1) + len(chunk) / rate
                if allowed_at > now:
                    time.sleep(allowed_at - now)
            if time.monotonic() >= next_report:
                next_report = time.monotonic() + PROGRESS_INTERVAL_S
                self._report(image_id, received, total)

    def _report(self, image_id: str, received: int, total: int | None) -> None:
        fields = {"uploadedSizeMb": megabytes(received)}
        if total is None:
            fields["sizeMb"] = megabytes(received)
            self._check_quota(image_id, megabytes(received))
        elif self._faults.knobs.quota_mb < self._store.custom_usage()[1]:
            self._check_quota(image_id, megabytes(total))
        if not self._store.update(image_id, **fields):
            raise _Gone

    def _wait_while_stalled(self) -> None:
        """In `stall` mode read nothing; give up once the stall outlasts stall_timeout_s."""
        started = time.monotonic()
        while self._faults.knobs.download_mode == "stall":
            timeout = self._faults.knobs.stall_timeout_s
            if time.monotonic() - started >= timeout:
                raise DownloadFailed(f"Download stalled: no data received for {timeout:g} s")
            time.sleep(0.05)
