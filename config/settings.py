"""The one settings module. Every value comes from the environment.

Defaults give the embedded mode (SQLite, Celery on the filesystem transport)
so `make run` works on a machine with only Python. Production sets DEBUG=false,
SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and CELERY_BROKER_URL. A malformed
value stops the process at import time with a message naming the variable
(environs raises EnvError "Environment variable "X" invalid: ...").
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
import django_stubs_ext
from bootstrap_wrapper import get_bootstrap_dir
from django.utils.translation import gettext_lazy as _
from environs import Env, EnvError

# Lets annotations such as ModelForm[Area] work at run time (django-stubs).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
env = Env()
env.read_env(str(BASE_DIR / ".env"), recurse=False)

DEBUG = env.bool("DEBUG", default=False)
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # SQLite file, queue folders, beat state

_INSECURE_DEV_KEY = "django-insecure-dev-only-key-never-use-in-production-0000000000"
if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default=_INSECURE_DEV_KEY)
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if len(SECRET_KEY) < 50 or SECRET_KEY == _INSECURE_DEV_KEY:
        raise EnvError(
            'Environment variable "SECRET_KEY" invalid: with DEBUG=false it must be set '
            "to a random string of at least 50 characters. For development on this "
            "machine set DEBUG=true instead (every make target does)."
        )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "treebeard",
    "django_htmx",
    "core",
    "governance",
    "grids",
    "partyorg",
    "services",
    "integrations",
]

MIDDLEWARE = [
    "core.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "django.template.context_processors.i18n",
                "governance.context_processors.portal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# DATABASE_URL selects PostgreSQL (postgres://...) in production and CI; the
# default is an SQLite file under VAR_DIR for the embedded mode.
_default_db = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
try:
    _db = dj_database_url.parse(
        env.str("DATABASE_URL", default=_default_db),
        conn_max_age=env.int("DB_CONN_MAX_AGE", default=60),
        conn_health_checks=True,
    )
except ValueError as exc:  # unknown scheme, malformed URL
    raise EnvError(f'Environment variable "DATABASE_URL" invalid: {exc}') from exc
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # web, worker and beat share one file: WAL lets readers run beside the
    # writer, IMMEDIATE transactions take the write lock up front instead of
    # failing with "database is locked" on upgrade, and the timeout waits.
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DATABASES = {"default": _db}
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default=None)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------
CACHE_URL = env.str("CACHE_URL", default="locmem://")
if CACHE_URL.startswith("redis://") or CACHE_URL.startswith("rediss://"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
elif CACHE_URL == "locmem://":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise EnvError('Environment variable "CACHE_URL" invalid: use redis://… or locmem://')

# --- Auth -----------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# No guardian "AnonymousUser" row: anonymous visitors never get object grants.
ANONYMOUS_USER_NAME = None
GUARDIAN_MONKEY_PATCH_USER = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- I18n -----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------
# Every asset is installed from a package registry (see
# docs/decisions/0003-offline-assets.md) and served by WhiteNoise: no CDN.
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static", ("vendor/bootstrap", str(get_bootstrap_dir()))]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            # Hashed, compressed files need `collectstatic` first (the
            # container image runs it); DEBUG and the test suite use finders.
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Without the manifest (DEBUG, tests) WhiteNoise serves straight from the finders.
WHITENOISE_USE_FINDERS = STORAGES["staticfiles"]["BACKEND"].startswith("django.")
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

# --- Security -------------------------------------------------------------
# Secure by default whenever DEBUG is off; an intranet without TLS
# termination must say so explicitly (SECURE_SSL_REDIRECT=false).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https")
    if env.bool("TRUST_X_FORWARDED_PROTO", default=False)
    else None
)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- REST framework -------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: DRF answers an anonymous call with the first class's
    # WWW-Authenticate header, which turns "not logged in" into a 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        # Other systems: ``Authorization: Api-Key …`` (docs/decisions/0013).
        "integrations.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "integrations.auth.KeyAccess",
    ],
    # Rates come from API_RATE_* below; counters live in the Django cache.
    "DEFAULT_THROTTLE_CLASSES": [
        "integrations.auth.ApiKeyRateThrottle",
        "integrations.auth.UserRateThrottle",
        "integrations.auth.AnonRateThrottle",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.DefaultCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "integrations.schema.AutoSchema",
    "DEFAULT_METADATA_CLASS": "integrations.metadata.Metadata",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Grid governance portal API",
    "DESCRIPTION": "党建引领网格化治理 — REST API. Every error is {code, message, extra}.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every /api/v1/ operation documents the shared error responses.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "integrations.schema.add_error_responses",
    ],
    # Several models have a field called kind/role/state with different
    # choices: name each enum after its own choice class.
    "ENUM_NAME_OVERRIDES": {
        "CategoryKindEnum": "services.models.CategoryKind",
        "SupervisionKindEnum": "services.models.SupervisionKind",
        "ClockKindEnum": "services.models.ClockKind",
        "GridKindEnum": "grids.geography.models.GridKind",
        "PartyOrgKindEnum": "partyorg.models.OrgKind",
        "VisitKindEnum": "grids.rosters.models.VisitKind",
        "PostRoleEnum": "governance.models.Role",
        "DispatchRoleEnum": "services.models.DispatchRole",
        "RosterRoleEnum": "grids.rosters.models.RosterRole",
        "TicketStateEnum": "services.models.TicketState",
        "DispatchStateEnum": "services.models.DispatchState",
        "ReviewStateEnum": "services.models.ReviewState",
        "GenderEnum": "grids.rosters.models.Gender",
        "AreaLevelEnum": "governance.models.AreaLevel",
    },
}

# --- Celery ---------------------------------------------------------------
# Embedded default: the filesystem transport under VAR_DIR (no server).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if not CELERY_BROKER_URL.startswith(("filesystem://", "redis://", "rediss://", "memory://")):
    raise EnvError(
        'Environment variable "CELERY_BROKER_URL" invalid: use redis://…, filesystem:// or memory://'
    )
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
    for _folder in ("queue", "control"):
        (VAR_DIR / "celery" / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Queue the portal's tasks go to and its workers read ("celery"); a test run
# or a second deployment sharing one Redis database sets its own.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Seconds between the clock and delivery sweeps (the integration tests use 2).
CLOCK_SWEEP_SECONDS = env.float("CLOCK_SWEEP_SECONDS", default=60.0)
if CLOCK_SWEEP_SECONDS <= 0:
    raise EnvError('Environment variable "CLOCK_SWEEP_SECONDS" invalid: a positive number')
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Shows that beat, broker and worker are alive (one log line a minute).
    "heartbeat": {"task": "core.heartbeat", "schedule": 60.0},
    # Sends outbox deliveries whose task never ran (broker down) or failed.
    "sweep-deliveries": {"task": "core.sweep_deliveries", "schedule": CLOCK_SWEEP_SECONDS},
    # Reminds and escalates due clocks (services.clocks.sweep).
    "sweep-clocks": {"task": "services.sweep_clocks", "schedule": CLOCK_SWEEP_SECONDS},
}
# Publishing must not hang a request when the broker is down: fail fast and
# let the outbox sweep send later.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Logging --------------------------------------------------------------
# json: one JSON object per line (production, log shippers);
# console: readable lines for a developer's terminal.
LOG_FORMAT = env.str("LOG_FORMAT", default="console" if DEBUG else "json")
if LOG_FORMAT not in ("json", "console"):
    raise EnvError('Environment variable "LOG_FORMAT" invalid: use json or console')
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise EnvError('Environment variable "LOG_LEVEL" invalid: use DEBUG, INFO, WARNING or ERROR')
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_pii": {"()": "core.logging.MaskPersonalDataFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "console": {"format": "%(asctime)s %(levelname)-7s %(name)s %(message)s"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["mask_pii"],
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # RequestLogMiddleware writes the one line per request; Django's own
        # request/server loggers would duplicate it.
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}

# --- Notifications ----------------------------------------------------------
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
# Folder for EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend.
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="gridgov@localhost")
SMS_BACKEND = env.str("SMS_BACKEND", default="console")
if SMS_BACKEND not in ("console", "file", "http"):
    raise EnvError('Environment variable "SMS_BACKEND" invalid: use console, file or http')
SMS_HTTP_URL = env.str("SMS_HTTP_URL", default="")
if SMS_BACKEND == "http" and not SMS_HTTP_URL.startswith(("http://", "https://")):
    raise EnvError(
        'Environment variable "SMS_HTTP_URL" invalid: an http(s) URL is needed with SMS_BACKEND=http'
    )
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=5.0)
WEBHOOK_SIGNING_SECRET = env.str("WEBHOOK_SIGNING_SECRET", default=SECRET_KEY[:32])

# --- Portal ---------------------------------------------------------------
# Share of a deadline after which the reminder goes out (0.75 = at 75 %).
CLOCK_REMIND_SHARE = env.float("CLOCK_REMIND_SHARE", default=0.75)
if not 0 < CLOCK_REMIND_SHARE < 1:
    raise EnvError('Environment variable "CLOCK_REMIND_SHARE" invalid: a number between 0 and 1')
# Default working hours of a working day (Asia/Shanghai), for working-hour
# deadlines and the end of a working day; a calendar day can override them.
WORKING_HOURS = env.str("WORKING_HOURS", default="08:30-12:00,13:30-17:30")
try:
    from core.workcalendar import parse_periods as _parse_periods

    _parse_periods(WORKING_HOURS)
except ValueError as exc:
    raise EnvError(f'Environment variable "WORKING_HOURS" invalid: {exc}') from exc
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="GridDemo#2026")
HEALTHZ_BROKER_TIMEOUT = env.float("HEALTHZ_BROKER_TIMEOUT", default=2.0)

# --- Connected systems (docs/decisions/0013) ----------------------------------
# Request rates, "N/second|minute|hour|day"; empty switches a limit off. The
# counters live in the Django cache: with CACHE_URL=locmem:// (embedded mode)
# each process counts for itself; production shares them through Redis.
_RATE_RE = r"^(\d+/(s|sec|second|m|min|minute|h|hour|d|day))?$"


def _rate(name: str, value: str) -> str:
    import re

    value = value.strip()
    if not re.match(_RATE_RE, value):
        raise EnvError(
            f'Environment variable "{name}" invalid: use N/second, N/minute, N/hour or N/day'
        )
    return value


API_RATE_PER_KEY = _rate("API_RATE_PER_KEY", env.str("API_RATE_PER_KEY", default="600/minute"))
API_RATE_PER_USER = _rate("API_RATE_PER_USER", env.str("API_RATE_PER_USER", default="300/minute"))
API_RATE_ANON = _rate("API_RATE_ANON", env.str("API_RATE_ANON", default="60/minute"))
# Open311: the jurisdiction_id this endpoint answers to (empty: accept any)
# and the contact shown in discovery.
OPEN311_JURISDICTION_ID = env.str("OPEN311_JURISDICTION_ID", default="")
OPEN311_CONTACT = env.str("OPEN311_CONTACT", default="")
