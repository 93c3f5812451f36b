"""Hand work to Celery after the intent is committed, surviving a broker outage."""

import logging

from django.db import transaction

log = logging.getLogger(__name__)


def after_commit(task, *args) -> None:
    """Enqueue `task(*args)` once the current transaction commits.

    If the broker cannot be reached the intent is already stored; the sweeper re-enqueues it
    when the broker is back, so the user's request is never lost and the page never errors.
    """

    def send() -> None:
        try:
            task.apply_async(args=args, retry=True, retry_policy={"max_retries": 2})
        except Exception:  # kombu raises various connection errors; all mean "later"
            log.warning("broker unreachable; %s%r left for the sweeper", task.name, args)

    transaction.on_commit(send)
