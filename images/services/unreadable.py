"""List items the API sent that could not be read: skipped, logged once, shown on the heartbeat.

One malformed item never fails its page or its job (images.contabo.types); the job that met it
logs it once per process (with the image id and the problem) and puts a count on its account's
health line, so an administrator sees that something is being skipped and why.
"""

import logging
from collections.abc import Iterable

from images.contabo.types import Skipped

log = logging.getLogger("images.contabo")

_LOGGED: set[tuple[int, str, str]] = set()
_LOGGED_MAX = 10_000


def report(account_id: int, job: str, skipped: Iterable[Skipped]) -> str:
    """Log the items not logged before; the heartbeat note for this run ("" when none)."""
    unique = list(dict.fromkeys(skipped))
    for item in unique:
        key = (account_id, item.image_id, item.problem)
        if key in _LOGGED:
            continue
        if len(_LOGGED) >= _LOGGED_MAX:
            _LOGGED.clear()
        _LOGGED.add(key)
        log.warning(
            "account %s %s: skipped an unreadable image %s: %s",
            account_id,
            job,
            item.image_id or "(no id)",
            item.problem,
        )
    if not unique:
        return ""
    ids = ", ".join(item.image_id or "(no id)" for item in unique[:5])
    more = f" and {len(unique) - 5} more" if len(unique) > 5 else ""
    noun = "image" if len(unique) == 1 else "images"
    return f"{len(unique)} unreadable {noun} skipped: {ids}{more} ({unique[0].problem})"
