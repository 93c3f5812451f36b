"""Logs: readable text by default, JSON with LOG_FORMAT=json; each line with the account, image,
request id and task it is about; the beat's routine lines at DEBUG, so an idle dashboard says
nothing at INFO. (Secrets: tests/reliability/test_secrets.py scans every worker log, these too.)"""

import io
import json
import logging
import logging.config

import pytest
from django.test import Client

from dashboard import logs


@pytest.fixture
def lines():
    """Configure a throwaway logger tree the way settings do; return (logger, read)."""

    def make(fmt: str, level: str = "INFO"):
        stream = io.StringIO()
        config = logs.config(level, fmt)
        config["handlers"]["console"]["stream"] = stream
        config["root"] = {"handlers": [], "level": "WARNING"}
        config["loggers"] = {
            name: {"handlers": ["console"], "level": level, "propagate": False}
            for name in ("ops-test", "celery.app.trace", "celery.beat", "gunicorn.access")
        }
        logging.config.dictConfig(config)
        return lambda: stream.getvalue().splitlines()

    yield make
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


def test_text_lines_carry_the_bound_context(lines):
    read = lines("text")
    with logs.bound(account=3, image=41):
        logging.getLogger("ops-test").info("downloaded %s", "x", extra={"request_id": "r-1"})
    logging.getLogger("ops-test").info("outside")
    inside, outside = read()
    assert inside.endswith("INFO ops-test downloaded x account=3 image=41 request_id=r-1")
    assert outside.endswith("INFO ops-test outside")


def test_json_lines_are_one_object_each_with_the_context(lines):
    read = lines("json")
    token = logs.push(task="images.tasks.submit_upload", task_id="t-9")
    logs.bind(image=7)
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("ops-test").exception("submit failed")
    logs.pop(token)
    logging.getLogger("ops-test").info("after")
    line, after = read()
    assert set(json.loads(after)) == {"time", "level", "logger", "message"}
    record = json.loads(line)
    assert record["level"] == "ERROR" and record["logger"] == "ops-test"
    assert record["message"] == "submit failed"
    assert record["image"] == 7 and record["task"] == "images.tasks.submit_upload"
    assert record["task_id"] == "t-9"
    assert "ValueError: boom" in record["exc_info"]


def _trace(name: str, message: str = logs._ROUTINE_MESSAGES[1]):
    logging.getLogger("celery.app.trace").info(
        "Task %(name)s[%(id)s]" + message + "%(runtime)ss", {"name": name, "id": "1", "runtime": 1}
    )


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_routine_lines_are_debug(lines, level):
    read = lines("text", level)
    _trace("images.tasks.poll_downloads")
    logging.getLogger("celery.beat").info("Scheduler: Sending due task %s (%s)", "poll", "x")
    logging.getLogger("gunicorn.access").info("%(U)s %(s)s", {"U": "/readyz", "s": "200"})
    _trace("images.tasks.submit_upload")
    logging.getLogger("gunicorn.access").info("%(U)s %(s)s", {"U": "/readyz", "s": "503"})
    got = read()
    kept = [line.split(" ", 2)[2] for line in got]
    if level == "INFO":
        assert [k.split()[0] for k in kept] == ["INFO", "INFO"]
        assert "submit_upload" in got[0] and "/readyz 503" in got[1]
    else:
        assert [k.split()[0] for k in kept] == ["DEBUG"] * 3 + ["INFO"] * 2


@pytest.mark.parametrize(
    ("given", "kept"), [("lb-4f2a.9", True), ("bad id\nINFO forged", False), ("", False)]
)
def test_web_requests_get_an_x_request_id(db, given, kept):
    response = Client().get("/accounts/login/", HTTP_X_REQUEST_ID=given)
    assert response.status_code == 200
    if kept:
        assert response["X-Request-ID"] == given
    else:
        assert len(response["X-Request-ID"]) == 36 and "\n" not in response["X-Request-ID"]
