"""Laoyuan settings, read from the environment.

Every secret has a development default only while DEBUG is on; outside DEBUG the app refuses to
start without it, so a production deployment can never run on a key that is public in this file.
"""

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP  # type: ignore[import-not-found,unused-ignore]

BASE_DIR = Path(__file__).resolve().parent.parent


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=True)
TESTING = env_bool("LAOYUAN_TESTING", default="pytest" in sys.modules)


def secret(name: str, dev_default: str) -> str:
    """A secret from the environment; the development default is only allowed with DEBUG on."""
    value = os.environ.get(name, "")
    if value:
        return value
    if DEBUG:
        return dev_default
    raise ImproperlyConfigured(f"{name} must be set in the environment when DEBUG is off.")


SECRET_KEY = secret("SECRET_KEY", "dev-only-secret-key-not-for-production-0123456789abcdef")
# Fernet key (urlsafe base64 of 32 bytes) that encrypts national ID numbers at rest.
ID_NUMBER_KEY = secret("ID_NUMBER_KEY", "ZGV2LW9ubHktaWQta2V5LW5vdC1mb3ItcHJvZHVjdGlvbg==")
# Key of the HMAC that finds duplicate ID numbers without decrypting them.
ID_HASH_KEY = secret("ID_HASH_KEY", "dev-only-id-hash-key")
# Online payments (billing.services.online): the provider, and the key the built-in simulator
# signs its callbacks with (HMAC-SHA256). The simulator credits money no bank has moved, so outside
# DEBUG it runs only when named on purpose (a demo site), and then needs a secret of its own.
ONLINE_PAYMENT_PROVIDER = os.environ.get("ONLINE_PAYMENT_PROVIDER", "simulator" if DEBUG else "")
ONLINE_SIMULATOR_SECRET = (
    secret("ONLINE_SIMULATOR_SECRET", "dev-only-online-simulator-secret")
    if ONLINE_PAYMENT_PROVIDER == "simulator"
    else ""
)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in the environment when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "laoyuan.core",
    "laoyuan.places",
    "laoyuan.people",
    "laoyuan.orgs",
    "laoyuan.accounts",
    "laoyuan.inbox",
    "laoyuan.imports",
    "laoyuan.billing",
    "laoyuan.workorders",
    "laoyuan.timebank",
    "laoyuan.ratings",
    "laoyuan.dashboard",
    "laoyuan.api",
    "laoyuan.open311",
    "laoyuan.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "laoyuan.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "laoyuan.urls"
WSGI_APPLICATION = "laoyuan.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "laoyuan" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "laoyuan.core.context_processors.laoyuan",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the in-process server and a management command share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login lockout: this many failures for one user name within the window lock that user name;
# an address is locked only after many more, since people behind one NAT or proxy share it.
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_FAILURE_LIMIT_PER_ADDRESS = int(os.environ.get("LOGIN_FAILURE_LIMIT_PER_ADDRESS", "50"))
LOGIN_LOCKOUT_MINUTES = int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15"))
# How many reverse proxies of ours append to X-Forwarded-For in front of the app. 0: the header
# is the caller's to forge and is ignored; n: the caller is the n-th entry from the right.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "laoyuan" / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "laoyuan" / "static"]
# In development and tests WhiteNoise serves straight from the app folders (no collectstatic).
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

# Security headers. Cookies are secure outside DEBUG; a strict CSP allows only our own origin.
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if not DEBUG else None
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# The time bank: minutes earned expire after this many months; a volunteer's claims above this
# many minutes in one day need a second verifier; claims unverified after this many working days
# are flagged to the verifiers' superiors.
TIMEBANK_EXPIRY_MONTHS = env_int("TIMEBANK_EXPIRY_MONTHS", 24)
TIMEBANK_SECOND_VERIFIER_MINUTES = env_int("TIMEBANK_SECOND_VERIFIER_MINUTES", 240)
TIMEBANK_VERIFY_WORKING_DAYS = 10
# A volunteer claims an activity themself within this many days of its end; later, only staff
# on their behalf (from a paper sign-in sheet, logged as such).
TIMEBANK_CLAIM_WINDOW_DAYS = env_int("TIMEBANK_CLAIM_WINDOW_DAYS", 30)

# Background work: Celery when a broker is configured, otherwise eagerly in process.
# CELERY_TASK_ALWAYS_EAGER=1 keeps tasks in process even with a broker: the test suite's second
# pass has Redis, and only its worker test sends a task to a real worker, on purpose.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
# Long tasks (billing runs) acknowledge late: a worker takes one at a time.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", REDIS_URL or None)
CELERY_TIMEZONE = TIME_ZONE
# Periodic work, run by `celery beat` when a broker is configured (without one, cron runs
# `manage.py escalate_overdue`, which does both).
CELERY_BEAT_SCHEDULE = (
    {
        "workorders-escalate-overdue": {
            "task": "laoyuan.workorders.tasks.escalate_overdue",
            "schedule": 15 * 60,
        },
        "workorders-auto-close": {
            "task": "laoyuan.workorders.tasks.auto_close",
            "schedule": 60 * 60,
        },
        "timebank-daily": {
            "task": "laoyuan.timebank.tasks.daily",
            "schedule": 6 * 60 * 60,
        },
    }
    if CELERY_BROKER_URL
    else {}
)

if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Outgoing messages go through backends so a real provider can be plugged in by path.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "laoyuan.core.sms.ConsoleSmsBackend")
if not DEBUG and not TESTING and SMS_BACKEND.startswith("laoyuan.core.sms."):
    # The console and memory backends would write sign-up codes and invitation links (bearer
    # secrets) into the logs; production needs a real provider.
    raise ImproperlyConfigured("SMS_BACKEND must name a real SMS provider when DEBUG is off.")
MAILERS = {
    "default": {
        "BACKEND": os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "laoyuan@localhost")
# A one-time sign-up code lives this long and allows this many guesses.
PHONE_CODE_MINUTES = 10
PHONE_CODE_ATTEMPTS = 5

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous call answers 401 with "WWW-Authenticate: Token".
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: the browsable API's pages would need inline script the CSP forbids; the
    # documentation lives at /api/v1/docs/.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "laoyuan.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "laoyuan.api.exceptions.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Laoyuan API",
    "DESCRIPTION": (
        "Property services and community governance for old residential compounds. "
        "Get a token from /api/v1/auth/token/ and send it as `Authorization: Token <key>`. "
        "Every list and object is limited to the caller's scope; another scope's object is a "
        "404. Errors are JSON: `detail`, and for invalid input `errors` by field."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No online validator badge: the docs page works without internet and inside the CSP.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ManagementModeEnum": "laoyuan.places.enums.ManagementMode",
        "HouseStatusEnum": "laoyuan.places.enums.HouseStatus",
        "CompanyKindEnum": "laoyuan.orgs.enums.CompanyKind",
        "WorkOrderStatusEnum": "laoyuan.workorders.enums.Status",
        "WorkOrderChannelEnum": "laoyuan.workorders.enums.Channel",
        # Billing's payment channel keeps the name it had before work orders had channels.
        "ChannelEnum": "laoyuan.billing.enums.Channel",
        "PaymentChannelEnum": "laoyuan.billing.enums.PAYMENT_CHANNEL_CHOICES",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
