"""Queues: user actions, polls and the rest each have a queue, and the Procfile a worker each."""

import re
from pathlib import Path

import pytest

from dashboard.celery import USER_TASKS, app

PROCFILE = Path(__file__).resolve().parents[2] / "Procfile"


def _queue(task: str) -> str:
    return app.amqp.router.route({}, f"images.tasks.{task}")["queue"].name


def _workers() -> dict[str, set[str]]:
    """Procfile worker name -> the queues it consumes."""
    workers = {}
    for line in PROCFILE.read_text().splitlines():
        name, _, command = line.partition(":")
        if " worker " in command:
            workers[name] = set(re.search(r"--queues (\S+)", command)[1].split(","))
    return workers


@pytest.mark.parametrize("task", USER_TASKS)
def test_user_actions_go_to_the_user_queue(task):
    assert _queue(task) == "user"


@pytest.mark.parametrize(
    ("task", "queue"),
    [("poll_downloads", "poll"), ("sync_images", "celery"), ("refresh_stats", "celery")],
)
def test_background_work_stays_off_the_user_queue(task, queue):
    assert _queue(task) == queue


def test_the_procfile_serves_every_queue_and_the_user_queue_alone():
    workers = _workers()
    consumed = set().union(*workers.values())
    assert consumed == {q.name for q in app.conf.task_queues}
    assert workers["worker"] == {"user"}


def test_the_poll_worker_runs_accounts_concurrently():
    poller = next(line for line in PROCFILE.read_text().splitlines() if "--queues poll" in line)
    assert "--pool threads" in poller and "POLL_CONCURRENCY" in poller
