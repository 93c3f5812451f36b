"""The poll's beat entry ticks at the start of each slot of the clock, the slots in which
polling.poll runs at most one cycle, so a tick's cycles are never refused as the slot's second."""

from datetime import UTC, datetime, timedelta

import pytest

from dashboard.celery import ClockSlots, app

SLOT = datetime(2026, 12, 1, 12, 0, 3, tzinfo=UTC)  # a 3 s slot of the clock begins


def _at(seconds: float) -> ClockSlots:
    return ClockSlots(timedelta(seconds=3), nowfun=lambda: SLOT + timedelta(seconds=seconds))


def test_due_once_per_slot_and_checked_again_when_the_next_begins():
    assert _at(0.5).is_due(SLOT - timedelta(seconds=0.1)) == (True, pytest.approx(2.5))
    assert _at(0.5).is_due(SLOT + timedelta(seconds=0.01)) == (False, pytest.approx(2.5))
    assert _at(2.9).is_due(SLOT - timedelta(seconds=3)) == (True, pytest.approx(0.1))  # late


def test_the_poll_entry_uses_the_slots_of_its_interval(settings):
    app.finalize()  # the beat entries are set once the tasks are known
    entry = app.conf.beat_schedule["poll-downloads"]
    assert isinstance(entry["schedule"], ClockSlots)
    assert entry["schedule"].run_every == timedelta(seconds=settings.POLL_INTERVAL_SECONDS)
