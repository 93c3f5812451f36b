"""Child processes of a test or benchmark (Celery workers and beats, web servers): each in its
own session, so it is stopped with everything it started, its output kept in a log file."""

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from testkit.waiting import wait_for

ROOT = Path(__file__).resolve().parent.parent
CELERY = [sys.executable, "-m", "celery", "-A", "dashboard"]
READY = {"worker": "ready.", "beat": "beat: Starting"}


class ChildProcess:
    """A child process in its own session, its output in `log_path`."""

    def __init__(self, name: str, args: list[str], *, env: dict, log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def running(self) -> bool:
        return self.proc.poll() is None

    def wait_ready(self, marker: str, timeout: float = 60) -> None:
        """Until `marker` shows in the log; fails at once if the process exits first."""
        wait_for(
            lambda: marker in self.log() or not self.running(),
            timeout=timeout,
            message=f"{self.name} to start",
        )
        assert self.running(), f"{self.name} exited:\n{self.log()[-3000:]}"

    def kill(self) -> None:
        """SIGKILL the whole process group: no clean shutdown, as in a crash."""
        if self.running():
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self, grace: float = 10) -> None:
        """End the process group: SIGTERM, SIGKILL after `grace` seconds (at once with 0)."""
        if grace and self.running():
            os.killpg(self.proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=grace)
        self.kill()
        self._log.close()


def start_celery(role: str, name: str, *, env: dict, log_path: Path, extra=()) -> ChildProcess:
    """`celery worker` (named `name`, no mingle or gossip) or `celery beat`, started and ready."""
    args = [*CELERY, role, "--loglevel", "INFO", *extra]
    if role == "worker":
        args += ["--hostname", f"{name}@%h", "--without-mingle", "--without-gossip"]
    proc = ChildProcess(name, args, env=env, log_path=log_path)
    proc.wait_ready(READY[role])
    return proc


def purge_celery(env: dict | None = None) -> None:
    """Drop every message waiting in the broker."""
    subprocess.run([*CELERY, "purge", "-f"], cwd=ROOT, env=env, check=True, capture_output=True)
