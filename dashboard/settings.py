"""Django settings, read entirely from the environment (see .env.example).

With nothing configured the project runs on embedded defaults: SQLite and a
filesystem broker under var/, and the local Contabo sandbox as the API.
"""

import base64
import secrets
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

VAR_DIR = Path(env.str("DASHBOARD_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _local_secret_key() -> str:
    """A per-checkout key kept in var/, so development never needs a fixed secret."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def _local_accounts_key() -> str:
    """A per-checkout Fernet key kept in var/ for development; production sets its own."""
    path = VAR_DIR / "accounts_key"
    if not path.exists():
        path.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or _local_secret_key()
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
    "images",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
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

CONTABO_ACCOUNT_NAME = env.str("CONTABO_ACCOUNT_NAME", default="Default")

# --- Accounts added under /admin/: their secrets are encrypted with these Fernet keys ------------
# Comma-separated, newest first: the first encrypts, every one decrypts (rotation).
ACCOUNTS_ENCRYPTION_KEYS = env.list("ACCOUNTS_ENCRYPTION_KEYS", default=[]) or [
    _local_accounts_key()
]

# --- Upload preflight: a worker asks the file's server for its size (HEAD) ----------------------
PREFLIGHT_TIMEOUT_SECONDS = env.float("PREFLIGHT_TIMEOUT_SECONDS", default=5.0)
# Private, loopback, link-local and reserved addresses are refused, except in sandbox mode (its
# synthetic files are on 127.0.0.1) or when set explicitly.
PREFLIGHT_ALLOW_PRIVATE = env.bool("PREFLIGHT_ALLOW_PRIVATE", default=CONTABO_USES_SANDBOX)

# --- Product behaviour ------------------------------------------------------------------------
POLL_INTERVAL_SECONDS = env.float("POLL_INTERVAL_SECONDS", default=3.0)
SYNC_INTERVAL_SECONDS = env.float("SYNC_INTERVAL_SECONDS", default=300.0)
STATS_INTERVAL_SECONDS = env.float("STATS_INTERVAL_SECONDS", default=300.0)
SWEEP_INTERVAL_SECONDS = env.float("SWEEP_INTERVAL_SECONDS", default=60.0)
PAGE_REFRESH_SECONDS = env.float("PAGE_REFRESH_SECONDS", default=2.0)
STALL_AFTER_SECONDS = env.float("STALL_AFTER_SECONDS", default=300.0)
# A submit claim older than this is taken over (the worker holding it is presumed dead); it must
# outlast the slowest create call (list + POST with read timeouts and retries).
SUBMIT_CLAIM_SECONDS = env.float("SUBMIT_CLAIM_SECONDS", default=120.0)
# The sweeper leaves a fresh intent alone this long: its own task is most likely on the way.
SWEEP_GRACE_SECONDS = env.float("SWEEP_GRACE_SECONDS", default=30.0)
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
if NOTIFY_WEBHOOK_URL and not NOTIFY_WEBHOOK_SECRET:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("NOTIFY_WEBHOOK_URL needs NOTIFY_WEBHOOK_SECRET to sign its bodies.")

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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
