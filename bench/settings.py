"""Bench settings: the project's own (from the environment the harness sets), plain static files.

The harness (bench/harness.py) sets DATABASE_URL, REDIS_URL, SANDBOX_PORT and DASHBOARD_VAR_DIR
before Django starts; gunicorn and the Celery processes it starts inherit them.
"""

from dashboard.settings import *  # noqa: F403

STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
