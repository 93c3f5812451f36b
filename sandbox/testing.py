"""`SandboxServer`: `python -m sandbox` as a test subprocess, helpers for its control API, and
`free_port` (the one free-port helper of the tests and the benchmarks)."""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from sandbox.auth import TOKEN_PATH
from sandbox.config import Settings

_PROJECT_ROOT = Path(__file__).resolve().parent.parent
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class SandboxServer:
    """A sandbox subprocess on a free port with its own state file (kept across stop/start)."""

    def __init__(
        self,
        *,
        state: str | os.PathLike | None = None,
        port: int | None = None,
        bandwidth_mbps: float = 1000,
        extra_args: tuple[str, ...] = (),
        startup_timeout_s: float = 20,
    ):
        defaults = Settings()
        self.host = "127.0.0.1"
        self.port = port or free_port(self.host)
        self._tempdir = None if state else tempfile.TemporaryDirectory(prefix="sandbox-")
        self.state = Path(state) if state else Path(self._tempdir.name) / "sandbox.sqlite3"
        self.log_path = self.state.with_suffix(".log")
        self.client_id = defaults.client_id
        self.client_secret = defaults.client_secret
        self.username = defaults.username
        self.password = defaults.password
        self._args = ("--bandwidth-mbps", str(bandwidth_mbps), *extra_args)
        self._startup_timeout_s = startup_timeout_s
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    @property
    def pid(self) -> int | None:
        """The subprocess's id while it runs."""
        return self._process.pid if self._process is not None else None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> "SandboxServer":
        """Start (or restart) the subprocess on the same port and state; wait until it answers."""
        if self._process is not None:
            return self
        command = [
            sys.executable,
            "-m",
            "sandbox",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--state",
            str(self.state),
            *self._args,
        ]
        self.state.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(  # noqa: S603 - fixed command line
                command, cwd=_PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + self._startup_timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                raise RuntimeError(f"sandbox exited during start-up:\n{self._log_tail()}")
            try:
                self._control("GET", "/_sandbox/faults", timeout=1)
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"sandbox did not answer within {self._startup_timeout_s} s")

    def stop(self) -> None:
        """Stop the subprocess (SIGTERM, then SIGKILL); the state file stays."""
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def close(self) -> None:
        """Stop and delete the temporary state directory if this object made one."""
        self.stop()
        if self._tempdir is not None:
            self._tempdir.cleanup()

    def __enter__(self) -> "SandboxServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    # -- control API ------------------------------------------------------------------------

    def _control(self, method: str, path: str, payload: object = None, timeout: float = 30):
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(  # noqa: S310 - our own loopback URL
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with _NO_PROXY.open(request, timeout=timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"{method} {path}: {error.code} {error.read().decode()}") from None

    def faults(self) -> dict:
        return self._control("GET", "/_sandbox/faults")

    def set_faults(self, **knobs) -> dict:
        """Change run-time knobs, e.g. `set_faults(error_rate=0.5, download_mode="stall")`."""
        return self._control("POST", "/_sandbox/faults", knobs)

    def reset(self) -> dict:
        """Wipe custom images; counters and knobs back to their start-up values."""
        return self._control("POST", "/_sandbox/reset", {})

    def seed(self, count: int, **fields) -> list[str]:
        """Bulk-insert `count` custom images; returns the ids of the first 1000."""
        return self._control("POST", "/_sandbox/seed", {"count": count, **fields})["imageIds"]

    def calls(self) -> dict[str, int]:
        return self._control("GET", "/_sandbox/calls")

    def reset_calls(self) -> dict[str, int]:
        return self._control("POST", "/_sandbox/calls/reset", {})

    def force(self, image_id: str, **fields) -> dict:
        """Overwrite image fields (status, uploadedSizeMb, errorMessage, ...); returns the image."""
        quoted = urllib.parse.quote(image_id, safe="")
        return self._control("POST", f"/_sandbox/images/{quoted}", fields)

    # -- API conveniences -------------------------------------------------------------------

    def access_token(self) -> str:
        """A fresh access token from the password grant."""
        form = urllib.parse.urlencode(
            {
                "grant_type": "password",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "username": self.username,
                "password": self.password,
            }
        ).encode()
        request = urllib.request.Request(self.token_url, data=form)  # noqa: S310
        with _NO_PROXY.open(request, timeout=30) as response:
            return json.loads(response.read())["access_token"]

    def file_url(self, name: str, size_mb: float, **params: str) -> str:
        """URL of a synthetic file served by this sandbox; `params` as in sandbox.files
        (content=html, backing=base.qcow2, ranges=none, ...)."""
        query = urllib.parse.urlencode({"size_mb": f"{size_mb:g}", **params})
        return f"{self.url}/files/{name}?{query}"
