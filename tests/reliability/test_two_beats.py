"""Two beats started by mistake cost no extra API calls: at most one poll cycle per interval-long
slot of the clock (polling.poll's `spacing`), so the list calls per window stay those of one
beat at its best, one per slot (they used to double: 10 → 20 per 30 s). One beat alone may miss
a slot now and then (its ticks drift), so the bound is the slot count, not one beat's figure.

Real worker and beat processes, 20 downloads in flight at the sandbox (they never finish),
POLL_INTERVAL_SECONDS=1 to fill the window quickly. The figures per minute with the default
3 s interval are in docs/RELIABILITY.md.
"""

import math
import os
import time

import pytest

from images.contabo.django import get_client
from images.models import SyncRun
from images.services import sync
from images.services.accounts import settings_account
from testkit.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
WINDOW = float(os.environ.get("TWO_BEATS_WINDOW_SECONDS", "20"))
INTERVAL = os.environ.get("TWO_BEATS_POLL_INTERVAL", "1")


def _list_calls_in_window(contabo) -> tuple[int, int]:
    """(list calls, the most slots the window touched)."""
    contabo.reset_calls()
    began = time.monotonic()
    wait_for(lambda: time.monotonic() >= began + WINDOW, timeout=WINDOW + 5, interval=0.2)
    calls = contabo.calls()["retrieveImageList"]
    return calls, math.floor((time.monotonic() - began) / float(INTERVAL)) + 2


def _start_sync_done(before: int) -> None:
    """The sync each beat asks for at start has run (its list calls are not the poll's)."""
    wait_for(
        lambda: SyncRun.objects.filter(finished_at__isnull=False).count() > before,
        timeout=60,
        message="the beat's start-up sync",
    )


def test_a_second_beat_adds_no_list_calls(stack, contabo):
    contabo.seed(20, status="downloading", sizeMb=1000.0, uploadedSizeMb=1.0)
    sync.sync_images(get_client(), settings_account())
    stack.env.update(
        POLL_INTERVAL_SECONDS=INTERVAL, SYNC_INTERVAL_SECONDS="600", STATS_INTERVAL_SECONDS="600"
    )
    stack.start_worker()
    runs = SyncRun.objects.count()
    stack.start_beat("beat-1")
    _start_sync_done(runs)
    one, _ = _list_calls_in_window(contabo)

    runs = SyncRun.objects.count()
    stack.start_beat("beat-2")
    _start_sync_done(runs)
    two, slots = _list_calls_in_window(contabo)
    per_minute = 60 / WINDOW
    print(
        f"\nlist calls per {WINDOW:g} s at a {INTERVAL} s interval: one beat {one}, two beats "
        f"{two} (per minute {one * per_minute:.0f} / {two * per_minute:.0f}), slots {slots}"
    )
    assert one >= WINDOW / float(INTERVAL) / 2  # the poll really ran
    assert two <= slots  # one cycle per slot at most: two beats never double it
