"""`make run`'s process manager: honcho, stopping each process the way it asks to be stopped.

Two changes to honcho's defaults:

* On Ctrl-C honcho SIGTERMs each process's whole process group. A Celery worker's idle pool
  children then die of that signal instead of being closed by their master's warm shutdown.
  Here SIGTERM goes to the process alone (the Procfile `exec`s each command, so that is the
  Celery, gunicorn or sandbox main process), which stops its own children.
* honcho SIGKILLs whatever still runs 5 s after the first process stopped (its fixed KILL_WAIT).
  A warm shutdown lets running tasks finish (a create call may wait out its read timeout), so
  STOP_GRACE_SECONDS (default 30) replaces those 5 s. The SIGKILL still goes to the group.

    python -m dashboard.stack start web worker beat sandbox
"""

import errno
import os
import signal
import sys
from pathlib import Path

from honcho import manager
from honcho.command import main
from honcho.environ import parse_procfile

DEFAULT_GRACE_SECONDS = 30.0
PROCFILE = Path(__file__).resolve().parent.parent / "Procfile"


def procfile() -> dict[str, str]:
    """The Procfile's processes, name -> command, read as honcho reads them."""
    return dict(parse_procfile(PROCFILE.read_text()).processes)


class LeaderFirst(manager.ProcessManager):
    """SIGTERM to the process itself, not its group."""

    def terminate(self, pid):
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError as e:
            if e.errno not in (errno.EPERM, errno.ESRCH):
                raise


def run(argv: list[str] | None = None) -> None:
    manager.KILL_WAIT = float(os.environ.get("STOP_GRACE_SECONDS", DEFAULT_GRACE_SECONDS))
    manager.ProcessManager = LeaderFirst
    main(argv)


if __name__ == "__main__":
    run(sys.argv[1:])
