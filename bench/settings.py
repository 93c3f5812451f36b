"""Bench settings: the project's own (from the environment the harness sets), plain static files.

The harness (bench/harness.py) sets DATABASE_URL, REDIS_URL, SANDBOX_PORT and DASHBOARD_VAR_DIR
before Django starts; gunicorn and the Celery processes it starts inherit them.
"""

import os

os.environ.setdefault("DJANGO_ENV", "local")  # keys generated into the bench's var/ folder

from dashboard.settings import *  # noqa: F403

STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Each database's bench run keeps its broker queues and cache keys apart in the one Redis db, so
# the two can run at once (harness.flush_redis deletes only this prefix).
KEY_PREFIX = os.environ.get("BENCH_KEY_PREFIX", "")
if KEY_PREFIX and REDIS_URL:  # noqa: F405
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
        "global_keyprefix": KEY_PREFIX,
    }
    CACHES["default"]["KEY_PREFIX"] = KEY_PREFIX  # noqa: F405
