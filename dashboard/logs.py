"""Logging: one line per event, readable text by default or JSON with LOG_FORMAT=json.

Every line carries what it is about where known: `account`, `image`, `request_id` (the
x-request-id of a Contabo call, or of the web request) and, in a worker, `task` and `task_id`.
They come from a context the code binds (`bound`, `bind`) or from a call's `extra`. The beat's
routine work (its own "Sending due task" lines, and Celery's "received" / "succeeded" lines of the
periodic tasks, and the access lines of successful probes) is logged at DEBUG: an idle dashboard
says nothing at INFO, and those tasks log at INFO themselves when they changed something.
"""

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from types import MappingProxyType

from pythonjsonlogger.json import JsonFormatter

FIELDS = ("account", "image", "request_id", "task", "task_id")
_context: ContextVar[MappingProxyType | dict] = ContextVar(
    "log_context", default=MappingProxyType({})
)  # replaced, never mutated

# Periodic tasks sent by the beat (or for each account by it): their "received" and "succeeded"
# lines are routine.
ROUTINE_TASKS = frozenset(
    f"images.tasks.{name}"
    for name in (
        "poll_downloads",
        "sweep_intents",
        "for_each_account",
        "sync_images",
        "refresh_stats",
    )
)
_ROUTINE_MESSAGES = ("] received", "] succeeded in ")
# A load balancer or Prometheus asks these every few seconds: their access lines are routine.
PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def _with(fields: dict) -> dict:
    return {**_context.get(), **{k: v for k, v in fields.items() if v is not None}}


def push(**fields) -> Token:
    """Add fields (None values are left out) until `pop(token)`."""
    return _context.set(_with(fields))


def pop(token: Token) -> None:
    """Back to the fields before the `push` that gave `token`, whatever was bound since."""
    _context.reset(token)


def bind(**fields) -> None:
    """Add fields for the rest of the current `push` (a task's, say)."""
    _context.set(_with(fields))


@contextmanager
def bound(**fields) -> Iterator[None]:
    """Fields for the lines logged inside the block."""
    token = push(**fields)
    try:
        yield
    finally:
        pop(token)


class ContextFilter(logging.Filter):
    """Puts the bound fields on each record (a field given as `extra` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class RoutineFilter(logging.Filter):
    """The beat's routine lines become DEBUG: shown only when their logger allows DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO and _routine(record):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


def _routine(record: logging.LogRecord) -> bool:
    if record.name == "gunicorn.access" and isinstance(record.args, dict):
        return record.args.get("U") in PROBE_PATHS and str(record.args.get("s")) == "200"
    if record.name == "celery.beat":
        return record.msg.startswith("Scheduler: Sending due task")
    if record.name in ("celery.app.trace", "celery.worker.strategy") and isinstance(
        record.args, dict
    ):
        return record.args.get("name") in ROUTINE_TASKS and any(
            m in record.msg for m in _ROUTINE_MESSAGES
        )
    return False


class TextFormatter(logging.Formatter):
    """`time LEVEL logger message key=value ...`: the context after the message, one line."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        extra = "".join(f" {k}={getattr(record, k)}" for k in FIELDS if hasattr(record, k))
        return super().formatMessage(record) + extra


def config(level: str, fmt: str, loggers: dict | None = None) -> dict:
    """A dictConfig for Django's LOGGING, Celery's processes and gunicorn's `logconfig_dict`."""
    if fmt not in ("text", "json"):
        raise ValueError(f"LOG_FORMAT must be 'text' or 'json', not {fmt!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": ContextFilter},
            "routine": {"()": RoutineFilter},
        },
        "formatters": {
            "text": {
                "()": TextFormatter,
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            },
            "json": {
                "()": JsonFormatter,
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": fmt,
                "filters": ["context", "routine"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": loggers or {},
    }


# --- the web request's id --------------------------------------------------------------------

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


class RequestIdMiddleware:
    """Binds the request's X-Request-ID (the proxy's, when it is a plain token; else a new
    uuid4) to every line logged while serving it, and returns it in the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _REQUEST_ID.fullmatch(given) else str(uuid.uuid4())
        with bound(request_id=request_id):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
