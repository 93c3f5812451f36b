"""gunicorn's settings, read from the working directory by `gunicorn dashboard.wsgi`: its own
error and access lines in the dashboard's log format (LOG_LEVEL, LOG_FORMAT)."""

import os
from pathlib import Path

import environ

from dashboard import logs

environ.Env.read_env(Path(__file__).resolve().parent / ".env")  # as the settings do

logconfig_dict = logs.config(
    os.environ.get("LOG_LEVEL", "INFO"),
    os.environ.get("LOG_FORMAT", "text"),
    loggers={
        name: {"handlers": ["console"], "propagate": False}
        for name in ("gunicorn.error", "gunicorn.access")
    },
)
