"""Hand work to Celery, by task name, surviving a broker outage.

Services name tasks instead of importing images.tasks, which imports the services: one
direction of imports, no cycle.
"""

import logging

from celery import current_app
from django.db import transaction

log = logging.getLogger(__name__)


def send(name: str, *args, expires: float | None = None) -> bool:
    """Send `images.tasks.<name>(*args)` now; False when the broker cannot be reached."""
    options = {"expires": expires} if expires else {}
    try:
        current_app.send_task(
            f"images.tasks.{name}",
            args=args,
            retry=True,
            retry_policy={"max_retries": 2},
            **options,
        )
    except Exception:  # kombu raises various connection errors; all mean "later"
        log.warning("broker unreachable; %s%r not sent", name, args)
        return False
    return True


def after_commit(name: str, *args) -> None:
    """Send the task once the current transaction commits.

    If the broker cannot be reached the intent is already stored; the sweeper re-enqueues it
    when the broker is back, so the user's request is never lost and the page never errors.
    """
    transaction.on_commit(lambda: send(name, *args))
