"""The one settings module, read from the environment (12-factor).

Every value comes from an environment variable with a typed parser; a
malformed value fails at start-up rather than at the first request. The
defaults describe the embedded demo (eager Celery, console email); the
database is always PostgreSQL + PostGIS via DATABASE_URL (the run command
points it at a project-local cluster). Production sets CELERY_BROKER_URL,
EMAIL_URL and a real DJANGO_SECRET_KEY.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

# A secret with a default is only acceptable for a local demo; anything
# else must set it explicitly.
if DEBUG:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="insecure-demo-key-do-not-use-in-production")
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "rest_framework_simplejwt.token_blacklist",
    "core",
    "directory",
    "credentials",
    "portal",
    "fhirapi",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.RejectNulInPathMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
            ],
        },
    },
]

# Database: PostgreSQL + PostGIS everywhere (the demo, the tests, production); no default,
# so a missing or mistyped DATABASE_URL stops the process at start-up.
DATABASES = {"default": env.db_url("DATABASE_URL")}
if not DATABASES["default"]["ENGINE"].endswith("postgis"):
    raise ImproperlyConfigured("DATABASE_URL must be a PostGIS URL: postgis://user@host:port/name")
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
# Prepared statements: the search's plan takes longer to make (about
# 3 ms) than to run, and its SQL is the same for every place searched,
# so psycopg prepares a statement on its second run in a connection.
# Set DB_PREPARE_THRESHOLD=none behind a transaction-pooling PgBouncer.
_prepare = env.str("DB_PREPARE_THRESHOLD", default="2").lower()
DATABASES["default"].setdefault("OPTIONS", {}).update(
    server_side_binding=_prepare != "none",
    prepare_threshold=None if _prepare == "none" else int(_prepare),
)
# Name search: pg_trgm's default word-similarity cut-off (0.6) misses a
# dropped letter in a short surname ("Jonson" for "Johnson" scores 0.5).
# JIT off: the search's plan looks costly (a KNN walk the planner cannot
# bound) but touches a few hundred rows; compiling it took 118 of 448 ms
# at 1M practitioners (bench/search.py).
DATABASES["default"]["OPTIONS"].setdefault(
    "options",
    f"-c pg_trgm.word_similarity_threshold={env.float('NAME_SEARCH_THRESHOLD', default=0.5)} -c jit=off",
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Debian 12 ships GDAL 3.6, which cannot sandbox file/network access when
# parsing spatial references. The directory only builds points from numbers
# and never opens spatial files a user supplies, so the warning is noise.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Redis away: a miss instead of a 500 (core.cache); and a dead host answers within
    # half a second rather than hanging the request.
    CACHES["default"]["BACKEND"] = "core.cache.ResilientRedisCache"
    # Deployments (or test runs) sharing one Redis keep their counters apart.
    CACHES["default"]["KEY_PREFIX"] = env.str("CACHE_KEY_PREFIX", default="")
    CACHES["default"].setdefault("OPTIONS", {}).update(socket_connect_timeout=0.5, socket_timeout=0.5)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "/media/"

# Email: SMTP via EMAIL_URL in production. Without it, consultation requests (a patient's
# name, contact details and message) must not end up in a log: the demo (DEBUG) prints
# mail to its console and the run command says so; anything else writes each message to
# a private file under EMAIL_FILE_PATH for the operator to read.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="directory@localhost")

# Celery: in-process (eager) when no broker is configured.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
# Deployments (or test runs) sharing one Redis keep their tasks apart by queue.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
# The nightly expiry scan (credentials.tasks.scan_credentials), in CELERY_TIMEZONE.
SCAN_HOUR = env.int("SCAN_HOUR", default=2)
SCAN_MINUTE = env.int("SCAN_MINUTE", default=30)
# Exclusion screening (credentials.tasks.screen_exclusions) against the imported OIG list:
# monthly, on this day of the month at this time.
EXCLUSION_SCREEN_DAY = env.int("EXCLUSION_SCREEN_DAY", default=1)
EXCLUSION_SCREEN_HOUR = env.int("EXCLUSION_SCREEN_HOUR", default=3)
EXCLUSION_SCREEN_MINUTE = env.int("EXCLUSION_SCREEN_MINUTE", default=15)
# The consultation requests' outbox: requests whose clinic could not be mailed yet.
CONSULTATION_SWEEP_MINUTES = env.int("CONSULTATION_SWEEP_MINUTES", default=5)
CELERY_BEAT_SCHEDULE = {
    "scan-credentials": {
        "task": "credentials.tasks.scan_credentials",
        "schedule": crontab(hour=SCAN_HOUR, minute=SCAN_MINUTE),
    },
    "screen-exclusions": {
        "task": "credentials.tasks.screen_exclusions",
        "schedule": crontab(
            day_of_month=EXCLUSION_SCREEN_DAY, hour=EXCLUSION_SCREEN_HOUR, minute=EXCLUSION_SCREEN_MINUTE
        ),
    },
    "deliver-consultation-requests": {
        "task": "directory.tasks.deliver_consultation_requests",
        "schedule": CONSULTATION_SWEEP_MINUTES * 60.0,
    },
}
# Expired credentials are noticed for this many days after expiry (not years later).
EXPIRY_NOTICE_EXPIRED_DAYS = env.int("EXPIRY_NOTICE_EXPIRED_DAYS", default=30)
# How long a digest sender's claim holds before another may take the digest over.
DIGEST_CLAIM_SECONDS = env.int("DIGEST_CLAIM_SECONDS", default=600)

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Closed by default: a view anyone may use says AllowAny itself.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["core.filters.FilterBackend"],
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "core.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "core.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "core.throttling.SignedInRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="120/minute"),
        "user": env.str("THROTTLE_USER", default="600/minute"),
        # Failed logins per client address (core.auth), whatever the username.
        "login_failures": env.str("THROTTLE_LOGIN_FAILURES", default="10/hour"),
        # Consultation requests per client address: each one mails a clinic.
        "consultation_requests": env.str("THROTTLE_CONSULTATION", default="5/hour"),
        # New FHIR bulk exports per client address: each one writes the whole directory.
        "fhir_export": env.str("THROTTLE_FHIR_EXPORT", default="10/hour"),
    },
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    # Whose address a rate limit counts: the connection's (0 proxies trusted), or, behind
    # N trusted reverse proxies that each append to X-Forwarded-For, the address the
    # outermost of them saw. A client's own X-Forwarded-For is never believed beyond that.
    "NUM_PROXIES": env.int("TRUSTED_PROXY_COUNT", default=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    # A refresh token works once: each refresh hands out a new one and blacklists the old,
    # so a stolen refresh token dies the next time its owner refreshes.
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    # Tokens carry a digest of the password hash: a changed password kills them all.
    "CHECK_REVOKE_TOKEN": True,
    # Who may hold tokens at all: active admins, and active users with a clinic.
    "USER_AUTHENTICATION_RULE": "core.auth.may_hold_tokens",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Dry Needling Directory API",
    "DESCRIPTION": (
        "Find a qualified dry needling practitioner near a ZIP code, city or point; "
        "clinics maintain their therapists and credentials; admins verify them."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Serve Swagger UI from the bundled sidecar so the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.add_error_responses",
    ],
    # One schema name per choice set, however many fields use it.
    "ENUM_NAME_OVERRIDES": {
        "USStateEnum": "directory.states.USState",
        "ProfessionEnum": "directory.models.Profession",
        "VerificationStatusEnum": "credentials.models.Status",
    },
}

# Directory search bounds (the public API): default radius and the largest allowed.
SEARCH_DEFAULT_RADIUS_KM = env.float("SEARCH_DEFAULT_RADIUS_KM", default=40.0)
SEARCH_MAX_RADIUS_KM = env.float("SEARCH_MAX_RADIUS_KM", default=500.0)
# Anonymous searches and profiles are answered from the cache for up to this long, and
# afresh as soon as a write to these tables commits (core.public_cache); 0: never kept.
PUBLIC_CACHE_SECONDS = env.int("PUBLIC_CACHE_SECONDS", default=60)
PUBLIC_CACHE_TABLE_PREFIXES = ("directory_", "credentials_")

# The FHIR API (/fhir/): the directory's own code systems (conditions, professions, credential
# kinds, verification methods) are named "<base>:<name>"; bulk exports write their NDJSON here.
FHIR_CODE_SYSTEM_BASE = env.str("FHIR_CODE_SYSTEM_BASE", default="urn:dryneedling-directory")
FHIR_EXPORT_ROOT = env.path("FHIR_EXPORT_ROOT", default=VAR_DIR / "fhir-export")

# Patient pages: the map's tile server. The map library ships with the
# project (static files); only the background tiles come from here, and the
# markers and the list work without them.
MAP_TILE_URL = env.str("MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env.str(
    "MAP_TILE_ATTRIBUTION",
    default='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
)

# Credentials: a state without a rule of its own still needs a bar above
# zero; this is the minimum of verified dry needling training hours there
# (the API shows it next to the state rules).
PLATFORM_DEFAULT_MIN_TRAINING_HOURS = env.int("PLATFORM_DEFAULT_MIN_TRAINING_HOURS", default=50)
# The verification workspace's service level: a queue item waiting longer than this many
# business days is counted (and marked) as over it.
VERIFY_SLA_BUSINESS_DAYS = env.int("VERIFY_SLA_BUSINESS_DAYS", default=5)

# Roster import (CSV): bounded before a row is applied. The import is set-based and runs
# as a job: 10,000 new practitioners with licenses took 6.3 s (bench/roster.py), a
# re-import of them 1.4 s. Larger rosters are split, or run with
# `manage.py import_roster --max-rows`.
ROSTER_MAX_ROWS = env.int("ROSTER_MAX_ROWS", default=10_000)
ROSTER_MAX_BYTES = env.int("ROSTER_MAX_BYTES", default=4 * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# HTTPS. Production (DJANGO_DEBUG=false) is served over TLS only: redirects, HSTS and
# secure cookies are on unless switched off here; the demo (DEBUG) runs over plain HTTP.
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    # The reverse proxy terminates TLS and says so in this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
# Preloading is a promise to browsers that outlives this deployment: asked for, never assumed.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
