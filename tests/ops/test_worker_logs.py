"""Worker and beat logs as an operator reads them: JSON lines (LOG_FORMAT=json) that name the
account, image, task and Contabo x-request-id; nothing at INFO while the dashboard is idle."""

import json

import pytest

from images.models import Account, Heartbeat, Image, Status
from images.services import intents
from images.services.accounts import settings_account
from testkit.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _records(text: str) -> list[dict]:
    """The JSON records of a log (Celery's start-up banner is printed, not logged)."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _poll_ticks(account: Account, n: int) -> None:
    """Wait until the account's poll has succeeded `n` more times."""
    seen = []

    def ticked():
        beat = Heartbeat.objects.filter(name=account.job_key("poll")).first()
        if beat and beat.ok_at and (not seen or beat.ok_at != seen[-1]):
            seen.append(beat.ok_at)
        return len(seen) > n

    wait_for(ticked, timeout=60, message=f"{n} poll ticks")


def test_json_logs_name_what_they_are_about_and_idle_is_quiet(stack, contabo, django_user_model):
    stack.env.update(LOG_FORMAT="json", LOG_LEVEL="DEBUG")
    worker = stack.start_worker()
    beat = stack.start_beat()
    account = settings_account()
    user = django_user_model.objects.create_user("manu")
    image = intents.request_upload(
        account=account,
        user=user,
        name="logged",
        url=contabo.file_url("logged.qcow2", 1),
        os_type="Linux",
        version="1",
    )
    wait_for(
        lambda: Image.objects.get(pk=image.pk).status == Status.DOWNLOADED,
        timeout=60,
        message="the upload to finish",
    )
    records = _records(worker.log())
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    post = [r for r in records if r["message"].startswith("contabo POST /v1/compute/images ->")]
    assert post, "the create call was not logged"
    assert post[0]["image"] == image.pk and post[0]["account"] == account.pk
    assert post[0]["task"] == "images.tasks.submit_upload"
    assert post[0]["request_id"] in post[0]["message"]
    # The cycle that saw the download end logs it at INFO (just after its commit).
    finished = wait_for(
        lambda: [
            r
            for r in _records(worker.log())
            if r["message"].startswith("poll:") and r["level"] == "INFO"
        ],
        timeout=30,
        message="the poll cycle's INFO line",
    )
    assert finished[-1]["account"] == account.pk

    # Idle: nothing in flight. Some ticks later, only DEBUG lines were added.
    _poll_ticks(account, 2)
    offsets = {p.name: len(p.log()) for p in (worker, beat)}
    _poll_ticks(account, 4)
    added = [r for p in (worker, beat) for r in _records(p.log()[offsets[p.name] :])]
    assert any("poll_downloads" in r["message"] for r in added), "no tick was logged at DEBUG"
    assert [r for r in added if r["level"] != "DEBUG"] == []
