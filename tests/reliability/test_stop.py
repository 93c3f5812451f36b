"""Ctrl-C on `make run`: every process stops by itself, the worker with a warm shutdown; the
process manager never has to SIGKILL anything and no pool process dies of a signal.

The stack is started as `make run` starts it (`python -m dashboard.stack start` with the names
`manage.py stack_processes` prints, the Procfile's commands), on a fresh state folder with the
embedded defaults (SQLite, filesystem broker, sandbox), and SIGINT goes to the manager's process
group as a terminal's Ctrl-C does.
"""

import os
import signal
import subprocess
import sys
import time

import pytest

from dashboard.stack import procfile
from sandbox.testing import free_port
from testkit.processes import ROOT
from testkit.waiting import wait_for

pytestmark = pytest.mark.slow
WORKERS = [name for name, command in procfile().items() if " worker " in command]


def _started(log: str, names: list[str]) -> bool:
    """Every Celery worker the stack runs says ready, and the beat has started."""
    workers = sum(name in names for name in WORKERS)
    return log.count(" ready.") >= workers and "beat: Starting" in log


def _env(var_dir) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DJANGO_ENV="local",
        DASHBOARD_VAR_DIR=str(var_dir),
        WEB_PORT=str(free_port()),
        SANDBOX_PORT=str(free_port()),
        PATH=f"{ROOT / '.venv' / 'bin'}:{env.get('PATH', '')}",
    )
    return env


def test_ctrl_c_stops_the_worker_with_a_warm_shutdown(tmp_path):
    env = _env(tmp_path / "var")
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    names = subprocess.run(
        [*manage, "stack_processes"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.split()
    assert "worker" in names
    log_path = tmp_path / "stack.log"
    with open(log_path, "w") as log:
        stack = subprocess.Popen(
            [sys.executable, "-m", "dashboard.stack", "start", *names],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(
            lambda: _started(log_path.read_text(), names),
            timeout=120,
            message=lambda: f"the stack to start:\n{log_path.read_text()}",
        )
        pressed = time.monotonic()
        os.killpg(stack.pid, signal.SIGINT)
        stack.wait(timeout=90)
        took = time.monotonic() - pressed
    finally:
        if stack.poll() is None:
            os.killpg(stack.pid, signal.SIGKILL)
            stack.wait()
    out = log_path.read_text()
    print(f"\nstack stopped {took:.1f} s after Ctrl-C")
    assert "worker: Warm shutdown" in out
    assert "SIGKILL" not in out, out
    assert "exited with signal" not in out and "exited with 'signal" not in out, out
    for name in names:
        assert f"{name}.1 stopped" in out, out
