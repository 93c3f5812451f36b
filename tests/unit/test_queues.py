"""Queues: user actions, polls and the rest each have a queue, and the Procfile a worker each."""

import io
import re

import pytest
from django.core.management import call_command

from dashboard.celery import USER_TASKS, app
from dashboard.stack import procfile


def _queue(task: str) -> str:
    return app.amqp.router.route({}, f"images.tasks.{task}")["queue"].name


def _workers() -> dict[str, set[str]]:
    """Procfile worker name -> the queues it consumes."""
    return {
        name: set(re.search(r"--queues (\S+)", command)[1].split(","))
        for name, command in procfile().items()
        if " worker " in command
    }


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


def test_two_poll_workers_each_run_accounts_concurrently():
    pollers = [command for command in procfile().values() if "--queues poll" in command]
    assert len(pollers) == 2
    assert all("--pool threads" in line and "POLL_CONCURRENCY" in line for line in pollers)
    assert len({re.search(r"--hostname (\S+)", line)[1] for line in pollers}) == 2


@pytest.mark.parametrize(("uses_sandbox", "sandbox"), [(True, True), (False, False)])
def test_make_run_starts_every_procfile_process_and_the_sandbox_only_without_credentials(
    settings, uses_sandbox, sandbox
):
    settings.CONTABO_USES_SANDBOX = uses_sandbox
    out = io.StringIO()
    call_command("stack_processes", stdout=out)
    names = out.getvalue().split()
    assert names == [name for name in procfile() if sandbox or name != "sandbox"]
    assert ("sandbox" in names) is sandbox
    assert {"web", "worker", "poller-1", "poller-2", "background", "beat"} <= set(names)
