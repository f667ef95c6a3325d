"""The one settings module. Every value comes from the environment.

Defaults give the embedded mode (SQLite, Celery on the filesystem transport)
so `make run` works on a machine with only Python. Production sets DEBUG=false,
SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and CELERY_BROKER_URL. A malformed
value stops the process at import time with a message naming the variable
(environs raises EnvError "Environment variable "X" invalid: ...").
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext
from bootstrap_wrapper import get_bootstrap_dir
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
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
    # django.contrib.admin with the two-factor-aware site (core.twofactor).
    "core.adminsite.PortalAdminConfig",
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
    # Logins and headers (docs/decisions/0027-logins-and-headers.md).
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
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
    "core.security.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.security.NoStoreMiddleware",
    "core.security.SessionIdleTimeoutMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.twofactor.RequireOTPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Idempotency-Key on unsafe API requests; after auth and CSRF because it
    # calls the view itself from process_view (core/idempotency.py).
    "core.idempotency.IdempotencyMiddleware",
    # Last, as django-axes asks: turns a locked login into its answer.
    "axes.middleware.AxesMiddleware",
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
    # First: refuses any login, even with the right password, while locked.
    "axes.backends.AxesStandaloneBackend",
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

# --- Logins (docs/decisions/0027-logins-and-headers.md) ---------------------
# Reverse proxies in front of the portal that append to X-Forwarded-For. The
# client address (core.clientip, used by rate limits, logs and lockouts) is
# the entry the outermost of them wrote; 0 ignores the header: REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise EnvError('Environment variable "TRUSTED_PROXY_COUNT" invalid: 0 or more proxies')
# django-axes: this many failed logins for one username, or from one address,
# lock further logins (right password included) for the cool-off time.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_COOLOFF_MINUTES = env.int("LOGIN_COOLOFF_MINUTES", default=15)
if LOGIN_FAILURE_LIMIT < 1 or LOGIN_COOLOFF_MINUTES < 1:
    raise EnvError(
        'Environment variable "LOGIN_FAILURE_LIMIT" invalid: it and LOGIN_COOLOFF_MINUTES '
        "must be at least 1"
    )
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]  # either one locks
AXES_CLIENT_IP_CALLABLE = "core.clientip.client_ip"
AXES_LOCKOUT_CALLABLE = "core.security.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # failures and lockouts are still logged as warnings
# Two-factor login (core.twofactor): who must give a TOTP code after the
# password: superuser, staff and/or role names (leader, sysadmin, …). Anyone
# else may opt in by enrolling an authenticator app.
OTP_REQUIRED_FOR: list[str] = env.list("OTP_REQUIRED_FOR", default=[])
OTP_TOTP_ISSUER = "GridGov"
# Sessions end 12 hours after login, or after SESSION_IDLE_TIMEOUT seconds
# without a request (core.security.SessionIdleTimeoutMiddleware; 0 = off).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
if SESSION_COOKIE_AGE < 60 or SESSION_IDLE_TIMEOUT < 0:
    raise EnvError(
        'Environment variable "SESSION_IDLE_TIMEOUT" invalid: 0 (off) or more seconds, '
        "with SESSION_COOKIE_AGE at least 60"
    )

# --- I18n -----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------
# Every asset is installed from a package registry (see
# docs/decisions/0003-offline-assets-and-translations.md) and served by WhiteNoise: no CDN.
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
# django-csp (core.security.ContentSecurityPolicyMiddleware): scripts and
# styles from the portal's own static files only; no inline script, handler
# attribute or eval (docs/decisions/0027). data: images are Bootstrap's SVG icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF],
        "style-src": [CSP_SELF],
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_SELF],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
    }
}

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
    # Bodies bounded in size and JSON nesting (core/parsers.py; issue 18, finding 8).
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "core.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.DefaultCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "integrations.schema.AutoSchema",
    "DEFAULT_METADATA_CLASS": "integrations.metadata.Metadata",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # DRF's own reading of X-Forwarded-For agrees with core.clientip.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
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
    # Forgets Idempotency-Key answers older than 24 h (core/idempotency.py).
    "expire-idempotency-keys": {"task": "core.expire_idempotency_keys", "schedule": 3600.0},
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
# SMS (docs/decisions/0024): empty = off, the escalation ladder texts nobody;
# console:// (a masked log line) and file:// (VAR_DIR/sms.jsonl) for
# development; an http(s) URL is the provider's gateway, called with a signed
# request (core.channels.sms_request) and the four values below.
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="").strip()
if SMS_GATEWAY_URL not in ("", "console://", "file://") and not re.match(
    r"^https?://[^/\s]+", SMS_GATEWAY_URL
):
    raise EnvError(
        'Environment variable "SMS_GATEWAY_URL" invalid: use the gateway\'s http(s) URL, '
        "console://, file:// or nothing (SMS off)"
    )
SMS_ACCESS_KEY_ID = env.str("SMS_ACCESS_KEY_ID", default="")
SMS_ACCESS_KEY_SECRET = env.str("SMS_ACCESS_KEY_SECRET", default="")
SMS_SIGN_NAME = env.str("SMS_SIGN_NAME", default="")
SMS_TEMPLATE_CODE = env.str("SMS_TEMPLATE_CODE", default="")
if SMS_GATEWAY_URL.startswith(("http://", "https://")):
    for _name, _value in (
        ("SMS_ACCESS_KEY_ID", SMS_ACCESS_KEY_ID),
        ("SMS_ACCESS_KEY_SECRET", SMS_ACCESS_KEY_SECRET),
        ("SMS_SIGN_NAME", SMS_SIGN_NAME),
        ("SMS_TEMPLATE_CODE", SMS_TEMPLATE_CODE),
    ):
        if not _value.strip():
            raise EnvError(
                f'Environment variable "{_name}" invalid: required when SMS_GATEWAY_URL is a gateway'
            )
# Replaced by SMS_GATEWAY_URL: fail rather than ignore an old setting silently.
for _name in ("SMS_BACKEND", "SMS_HTTP_URL"):
    if os.environ.get(_name):
        raise EnvError(
            f'Environment variable "{_name}" invalid: replaced by SMS_GATEWAY_URL '
            "(docs/decisions/0024-escalation-top-and-sms.md)"
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
# Wrong API keys per client address; past it every key from there gets 429.
API_RATE_BAD_KEY = _rate("API_RATE_BAD_KEY", env.str("API_RATE_BAD_KEY", default="10/minute"))
# Open311: the jurisdiction_id this endpoint answers to (empty: accept any)
# and the contact shown in discovery.
OPEN311_JURISDICTION_ID = env.str("OPEN311_JURISDICTION_ID", default="")
OPEN311_CONTACT = env.str("OPEN311_CONTACT", default="")
