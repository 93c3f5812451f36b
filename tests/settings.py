"""Test settings: the project's own, with state under var/test/run-PID/ and a free sandbox port.

Worker processes started by the tests use this module too, with DATABASE_URL pointing at the
test database.
"""

import os
from pathlib import Path

from sandbox.testing import free_port

# Each test run gets its own database file and broker folder, so two runs never share a queue.
_RUN_DIR = Path(__file__).resolve().parent.parent / "var" / "test" / f"run-{os.getpid()}"
os.environ.setdefault("DASHBOARD_VAR_DIR", str(_RUN_DIR))
os.environ.setdefault("SANDBOX_PORT", str(free_port()))
os.environ.setdefault("DJANGO_ENV", "local")  # keys generated into the run's folder
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop
os.environ.pop("CONTABO_CLIENT_ID", None)  # tests always talk to the sandbox

from dashboard.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
POLL_INTERVAL_SECONDS = float(os.environ.get("POLL_INTERVAL_SECONDS", "0.5"))
PAGE_REFRESH_SECONDS = float(os.environ.get("PAGE_REFRESH_SECONDS", "0.5"))
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise warns when it is missing
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Requests per token or user in the whole run, where ids repeat from test to test (the
# throttling test sets its own small rate).
API_THROTTLE_RATE = "100000/minute"
