"""Django settings, read entirely from the environment (see .env.example).

With nothing configured the project runs on embedded defaults: SQLite and a
filesystem broker under var/, and the local Contabo sandbox as the API.
"""

import base64
import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from dashboard import logs

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

VAR_DIR = Path(env.str("DASHBOARD_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _plan_disks(items: list[str]) -> dict[str, float]:
    """["Cloud VPS 10=75", ...] -> {"Cloud VPS 10": 75.0}; a malformed item says which."""
    plans = {}
    for item in items:
        name, _, size = item.rpartition("=")
        try:
            gb = float(size)
        except ValueError:
            gb = 0.0
        if not name.strip() or not gb > 0:
            raise ImproperlyConfigured(
                f"PREFLIGHT_PLAN_DISKS: “{item}” is not “plan name=disk GB”."
            )
        plans[name.strip()] = gb
    return plans


DEBUG = env.bool("DJANGO_DEBUG", default=False)
# "local": one machine (`make run`, `make test`): keys left unset are generated into var/.
# "production" (the default): every node must be given the same keys, or start-up stops.
DJANGO_ENV = env.str("DJANGO_ENV", default="production")
if DJANGO_ENV not in ("local", "production"):
    raise ImproperlyConfigured(f"DJANGO_ENV must be 'local' or 'production', not {DJANGO_ENV!r}.")
LOCAL_KEYS = DEBUG or DJANGO_ENV == "local"


def _required_keys() -> None:
    """Fail closed: a production node without its keys would generate its own, and could then
    read no other node's sessions or account secrets."""
    missing = [
        name for name in ("DJANGO_SECRET_KEY", "ACCOUNTS_ENCRYPTION_KEYS") if not env.str(name, "")
    ]
    if missing and not LOCAL_KEYS:
        raise ImproperlyConfigured(
            f"{' and '.join(missing)} not set while DJANGO_DEBUG is false. Set "
            f"{'them' if len(missing) > 1 else 'it'} in the environment or .env, the same on "
            "every web and worker node (see .env.example for how to make one); or, for a single "
            "development machine only, set DJANGO_ENV=local to generate keys into var/ "
            "(`make run` and `make test` do)."
        )


def _local_key(name: str, make) -> str:
    """A per-checkout key kept in var/<name>, made on first use (DJANGO_ENV=local only)."""
    path = VAR_DIR / name
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


_required_keys()
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or _local_key(
    "secret_key", lambda: secrets.token_urlsafe(50)
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "images",
]

MIDDLEWARE = [
    "dashboard.health.ProbeMiddleware",  # first: /healthz, /readyz answer any Host, plain HTTP
    "dashboard.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the 429 page
]

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "dashboard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "images.context_processors.accounts",
            ],
        },
    },
]

# --- Database: SQLite in var/ unless DATABASE_URL is set -------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while a worker writes; IMMEDIATE transactions and a busy
    # timeout make concurrent writers wait their turn instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker and cache when REDIS_URL is set ---------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Estimated counts of big lists (past the exact-count cap), per process, a minute each: the list
# says "about" this many (see images/pagination.py).
CACHES["counts"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "counts",
    "TIMEOUT": 60,
    "OPTIONS": {"MAX_ENTRIES": 1000},
}

# --- Celery --------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        "polling_interval": 0.2,  # seconds between looks at the queue folder
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Every task is bounded. At the soft limit SoftTimeLimitExceeded is raised in it: the run fails with
# that reason (logged, counted in dashboard_task_failures_total, and for poll, sync and stats shown
# as the job's last failure); at the hard limit the worker kills the process running it. A full
# sync of a large account gets longer limits of its own.
TASK_SOFT_TIME_LIMIT_SECONDS = env.float("TASK_SOFT_TIME_LIMIT_SECONDS", default=300.0)
TASK_TIME_LIMIT_SECONDS = env.float(
    "TASK_TIME_LIMIT_SECONDS", default=TASK_SOFT_TIME_LIMIT_SECONDS + 30
)
SYNC_SOFT_TIME_LIMIT_SECONDS = env.float("SYNC_SOFT_TIME_LIMIT_SECONDS", default=1800.0)
SYNC_TIME_LIMIT_SECONDS = env.float(
    "SYNC_TIME_LIMIT_SECONDS", default=SYNC_SOFT_TIME_LIMIT_SECONDS + 60
)
if (
    TASK_SOFT_TIME_LIMIT_SECONDS >= TASK_TIME_LIMIT_SECONDS
    or SYNC_SOFT_TIME_LIMIT_SECONDS >= SYNC_TIME_LIMIT_SECONDS
):
    raise ImproperlyConfigured(
        "Each soft time limit (TASK_SOFT_TIME_LIMIT_SECONDS, SYNC_SOFT_TIME_LIMIT_SECONDS) must be "
        "below its hard one (TASK_TIME_LIMIT_SECONDS, SYNC_TIME_LIMIT_SECONDS)."
    )
CELERY_TASK_SOFT_TIME_LIMIT = TASK_SOFT_TIME_LIMIT_SECONDS
CELERY_TASK_TIME_LIMIT = TASK_TIME_LIMIT_SECONDS

# --- Contabo API: the embedded sandbox unless credentials are configured -------------------------
SANDBOX_PORT = env.int("SANDBOX_PORT", default=8100)
CONTABO_USES_SANDBOX = not env.str("CONTABO_CLIENT_ID", default="")
if CONTABO_USES_SANDBOX:
    _sandbox = f"http://127.0.0.1:{SANDBOX_PORT}"
    CONTABO_API_URL = _sandbox
    CONTABO_AUTH_URL = f"{_sandbox}/auth/realms/contabo/protocol/openid-connect/token"
    CONTABO_CLIENT_ID = "sandbox"
    CONTABO_CLIENT_SECRET = "sandbox-secret"  # noqa: S105 - the local sandbox's published default
    CONTABO_API_USER = "admin@sandbox.local"
    CONTABO_API_PASSWORD = "sandbox-password"  # noqa: S105
else:
    CONTABO_API_URL = env.str("CONTABO_API_URL", default="https://api.contabo.com")
    CONTABO_AUTH_URL = env.str(
        "CONTABO_AUTH_URL",
        default="https://auth.contabo.com/auth/realms/contabo/protocol/openid-connect/token",
    )
    CONTABO_CLIENT_ID = env.str("CONTABO_CLIENT_ID")
    CONTABO_CLIENT_SECRET = env.str("CONTABO_CLIENT_SECRET")
    CONTABO_API_USER = env.str("CONTABO_API_USER")
    CONTABO_API_PASSWORD = env.str("CONTABO_API_PASSWORD")
CONTABO_CONNECT_TIMEOUT = env.float("CONTABO_CONNECT_TIMEOUT", default=5.0)
CONTABO_READ_TIMEOUT = env.float("CONTABO_READ_TIMEOUT", default=30.0)
# A directory to record every API exchange in (secrets left out), to hand over a real trace.
CONTABO_RECORD_DIR = env.str("CONTABO_RECORD_DIR", default="")

CONTABO_ACCOUNT_NAME = env.str("CONTABO_ACCOUNT_NAME", default="Default")

# --- Accounts added under /admin/: their secrets are encrypted with these Fernet keys ------------
# Comma-separated, newest first: the first encrypts, every one decrypts (rotation).
ACCOUNTS_ENCRYPTION_KEYS = env.list("ACCOUNTS_ENCRYPTION_KEYS", default=[]) or [
    _local_key("accounts_key", lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
]

# --- Upload preflight: a worker asks the file's server for its size, then reads its first bytes
PREFLIGHT_TIMEOUT_SECONDS = env.float("PREFLIGHT_TIMEOUT_SECONDS", default=5.0)
# Private, loopback, link-local and reserved addresses are refused, except in sandbox mode (its
# synthetic files are on 127.0.0.1) or when set explicitly.
PREFLIGHT_ALLOW_PRIVATE = env.bool("PREFLIGHT_ALLOW_PRIVATE", default=CONTABO_USES_SANDBOX)
# Disk sizes (GB) of the plans images are meant for: a qcow2 whose virtual disk is larger than
# one of them is a warning before upload. "name=GB,name=GB".
PREFLIGHT_PLAN_DISKS = _plan_disks(
    env.list(
        "PREFLIGHT_PLAN_DISKS",
        default=["Cloud VPS 10=75", "Cloud VPS 20=100", "Cloud VPS 30=200"],
    )
)

# --- Product behaviour ------------------------------------------------------------------------
POLL_INTERVAL_SECONDS = env.float("POLL_INTERVAL_SECONDS", default=3.0)
SYNC_INTERVAL_SECONDS = env.float("SYNC_INTERVAL_SECONDS", default=300.0)
# A full sync asks for pages this big (an account whose API answers smaller pages is asked for
# its size from then on) and, once the first page told the total, fetches this many at once.
SYNC_PAGE_SIZE = env.int("SYNC_PAGE_SIZE", default=1000)
SYNC_CONCURRENCY = env.int("SYNC_CONCURRENCY", default=4)
STATS_INTERVAL_SECONDS = env.float("STATS_INTERVAL_SECONDS", default=300.0)
SWEEP_INTERVAL_SECONDS = env.float("SWEEP_INTERVAL_SECONDS", default=10.0)
PAGE_REFRESH_SECONDS = env.float("PAGE_REFRESH_SECONDS", default=2.0)
STALL_AFTER_SECONDS = env.float("STALL_AFTER_SECONDS", default=300.0)
# A submit claim older than this is taken over (the worker holding it is presumed dead); it must
# outlast the slowest create call (list + POST with read timeouts and retries).
SUBMIT_CLAIM_SECONDS = env.float("SUBMIT_CLAIM_SECONDS", default=120.0)
# The sweeper leaves a fresh intent alone this long: its own task is most likely on the way.
SWEEP_GRACE_SECONDS = env.float("SWEEP_GRACE_SECONDS", default=30.0)
# Each worker's main process records that it is alive every WORKER_BEAT_SECONDS; the intent a
# worker silent for WORKER_DEAD_SECONDS was carrying (even mid-submit) is sent again at once.
WORKER_BEAT_SECONDS = env.float("WORKER_BEAT_SECONDS", default=2.0)
WORKER_DEAD_SECONDS = env.float("WORKER_DEAD_SECONDS", default=10.0)
# A second identical upload by the same user within this window is the same request (double
# submit), not a new image.
UPLOAD_DUPLICATE_WINDOW_SECONDS = env.float("UPLOAD_DUPLICATE_WINDOW_SECONDS", default=10.0)
CONTABO_PAGE_SIZE = env.int("CONTABO_PAGE_SIZE", default=100)
DASHBOARD_URL = env.str("DASHBOARD_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Notifications: e-mail to users who opted in, and a signed webhook --------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10.0)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="images-dashboard@localhost")
NOTIFY_WEBHOOK_URL = env.str("NOTIFY_WEBHOOK_URL", default="")
NOTIFY_WEBHOOK_SECRET = env.str("NOTIFY_WEBHOOK_SECRET", default="")
NOTIFY_WEBHOOK_TIMEOUT = env.float("NOTIFY_WEBHOOK_TIMEOUT", default=10.0)

# --- JSON API under /api/v1/ (images.api) ------------------------------------------------------
# Requests per token (or per signed-in user) and period: "120/minute"; over it, 429 + Retry-After.
API_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="600/minute")
# How long a create's Idempotency-Key is remembered (a retry with it gets the same image).
API_IDEMPOTENCY_HOURS = env.float("API_IDEMPOTENCY_HOURS", default=24.0)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "images.api.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["images.api.throttling.PerTokenThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "images.api.negotiation.JsonRatherThan406",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "images.api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Contabo images dashboard API",
    "DESCRIPTION": "Everything the dashboard's pages do, for scripts (see the README).",
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "images.api.schema.add_problems_and_account",
    ],
}

# --- Auth, i18n, static -------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out client before the password
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one username from
# one client address, that pair is locked out for LOGIN_COOLOFF_MINUTES (429 page). The address is
# REMOTE_ADDR: behind a proxy that does not rewrite it, this becomes a per-username limit.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "images:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024

# --- Production hardening (on whenever DEBUG is off and HTTPS is declared) ---------------------
SECURE_SSL = env.bool("DJANGO_SECURE_SSL", default=False)
if SECURE_SSL:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp) on every response: scripts, styles and everything else from
# this site only, no inline script or style (htmx is configured by its meta tag, without eval or
# indicator styles), no framing, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Metrics: /metrics in Prometheus text format (images/metrics.py) ----------------------------
# prometheus_client's multiprocess files: every web, worker and beat process of this machine
# writes its counters here, and /metrics adds them up. Set before prometheus_client is imported.
METRICS_DIR = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(VAR_DIR / "prometheus")))
METRICS_DIR.mkdir(parents=True, exist_ok=True)
# Who may scrape: a request with `Authorization: Bearer <METRICS_TOKEN>`, or from an address in
# METRICS_ALLOWED_IPS (addresses or networks; loopback by default). Anyone else gets a 403.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
try:
    METRICS_ALLOWED_NETWORKS = [
        ipaddress.ip_network(a, strict=False)
        for a in env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
    ]
except ValueError as exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS: {exc}") from exc

# --- Logs: readable text, or one JSON object per line (see dashboard/logs.py) --------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOGGING = logs.config(LOG_LEVEL, LOG_FORMAT)
