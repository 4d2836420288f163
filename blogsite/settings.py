"""Settings for blogsite, read from the environment with safe development defaults.

Every knob a deployment turns is an environment variable; nothing here needs editing
to move from the SQLite demo to PostgreSQL + Redis behind gunicorn.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
import xstatic.pkg.bootstrap
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

# The development key is only acceptable while DEBUG is on: a production process
# that forgot SECRET_KEY must refuse to start rather than sign sessions with it.
_DEV_SECRET_KEY = "django-insecure-blogsite-development-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", _DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == _DEV_SECRET_KEY:
    raise ImproperlyConfigured("Set SECRET_KEY in the environment when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# HTTPS is the operator's: TLS ends in front of gunicorn, or nowhere. HTTPS=1
# (the site is served over https://) makes the cookies secure-only, redirects
# http:// to https:// and sends HSTS; each can also be set on its own. Off by
# default: `make serve` is plain http://127.0.0.1, where a secure-only cookie
# never comes back (nobody could log in) and a redirect or HSTS would send
# browsers to a TLS server that does not exist.
HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", HTTPS)
# Browsers remember HSTS and refuse http:// for that long, whatever breaks: an
# hour while HTTPS is new, as Django's docs advise; a year (31536000) once it holds.
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "3600" if HTTPS else "0"))
# Subdomains and the browsers' preload list are commitments about the whole
# domain: the operator opts in (check --deploy says so until then).
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Behind a proxy that terminates TLS every request arrives as http:// (and the
# redirect would loop): the header the proxy sets, as a META key such as
# HTTP_X_FORWARDED_PROTO, tells https:// apart. Only where the proxy always sets
# or strips it: a client could otherwise forge it.
if os.environ.get("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = (os.environ["SECURE_PROXY_SSL_HEADER"], "https")
if not HTTPS:
    # Over plain HTTP these checks ask for what the site must not do: HSTS, the
    # redirect to https://, secure-only session and CSRF cookies. With HTTPS=1
    # the settings are on and the checks run.
    SILENCED_SYSTEM_CHECKS = ["security.W004", "security.W008", "security.W012", "security.W016"]

# Absolute links in emails need the site's public address.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# How long the unsubscribe link of a follower email works (authors/unsubscribe.py).
UNSUBSCRIBE_LINK_DAYS = int(os.environ.get("UNSUBSCRIBE_LINK_DAYS", "365"))

INSTALLED_APPS = [
    # First: its runserver (the periodic jobs of a site with no task worker) wins.
    "blogsite",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "authors",
    "articles",
    "comments",
    "audit",
    "autosaves",
    # Failed logins, counted per (username, IP) in the database (README, "Spam and abuse").
    "axes",
    # Last, so it sees every FileField of the apps above.
    "django_cleanup.apps.CleanupConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the session: a cache hit is answered without it (docs/page-cache.md).
    "blogsite.page_cache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who and where of a write, for its revision (articles/revision_records.py).
    "simple_history.middleware.HistoryRequestMiddleware",
    "blogsite.write_source.WriteSourceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: turns a locked-out login (the site's or the admin's) into the 429 page.
    "axes.middleware.AxesMiddleware",
]

# AxesStandaloneBackend first: a locked-out (username, IP) is refused before
# any password is checked; it authenticates nobody itself. Then Django's
# ModelBackend, with the signed-in user's row found by compiled SQL.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "blogsite.auth_backends.PreparedModelBackend",
]

# Only the site's own scripts, styles, images and fonts; no inline script or
# style, no plugin, no framing, forms posted only here. Bootstrap's CSS draws
# its form controls' icons with data: SVGs, hence data: for images. The
# browser tests fail on any violation (tests/browser/conftest.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

ROOT_URLCONF = "blogsite.urls"

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

WSGI_APPLICATION = "blogsite.wsgi.application"
# Django's database sessions, refusing a crafted session key before the query;
# read from Redis when every process shares it (REDIS_URL, below).
SESSION_ENGINE = "blogsite.sessions"

# SQLite file by default (zero set-up); DATABASE_URL=postgres://… switches to
# PostgreSQL through psycopg 3.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
        # A kept connection that the server closed meanwhile (a restart, an idle
        # timeout) is replaced at the next request instead of failing it.
        conn_health_checks=True,
    )
}
_ON_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if _ON_POSTGRES:
    # Django's backend, with a health check that costs no round trip (blogsite/postgres/base.py).
    DATABASES["default"]["ENGINE"] = "blogsite.postgres"
if _ON_POSTGRES and env_bool("DATABASE_PREPARED_STATEMENTS", True):
    # A page's queries are the same few statements with other parameters:
    # psycopg prepares one on the server after its PREPARE_THRESHOLD-th run
    # on a connection, and PostgreSQL then skips parsing and planning it
    # (listing pages 15-21 % faster, docs/benchmarks.md). That needs
    # server-side binding, which Django leaves off by default; off
    # (DATABASE_PREPARED_STATEMENTS=0) behind a transaction-pooling PgBouncer
    # that does not keep prepared statements.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=int(os.environ.get("PREPARE_THRESHOLD", "5"))
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a competing writer instead of failing at once with "database is locked".
    # Every write here reads its row first (the receivers' locked read) and
    # then writes: a deferred BEGIN would take the write lock only at the
    # first UPDATE, and two such transactions fail with "database is locked"
    # instead of waiting. BEGIN IMMEDIATE takes it at the start.
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # Django's backend with one redis-py client per pool instead of one per call (blogsite/redis_cache.py).
    CACHES = {"default": {"BACKEND": "blogsite.redis_cache.SharedClientRedisCache", "LOCATION": REDIS_URL}}
    SESSION_ENGINE = "blogsite.cached_sessions"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# HTML fragments keyed by everything they show (a listing's article cards:
# Article.listing_version), so they never go stale and need no invalidation.
# In each process's memory: no round trip, and a deploy with other templates
# starts with none.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
    "OPTIONS": {"MAX_ENTRIES": 4000},
}

# Article views are counted in Redis and flushed into the rows by
# the periodic task articles.tasks.flush_buffered_views; empty: one UPDATE per view in the request.
VIEW_BUFFER_URL = os.environ.get("VIEW_BUFFER_URL", REDIS_URL)
VIEW_BUFFER_PREFIX = os.environ.get("VIEW_BUFFER_PREFIX", "blogsite:views")

# What a write causes (email) and the periodic work (publishing due articles,
# flushing views, recovering the jobs of dead workers) run as procrastinate
# tasks on PostgreSQL: a job is deferred through Django's own connection, so it
# commits with the write or not at all (blogsite/effects.py). SQLite has no
# queue: the same task functions run in the process right after the commit, and
# `runserver` runs the periodic ones in a thread (TASK_QUEUE=in-process).
TASK_QUEUE = os.environ.get("TASK_QUEUE", "procrastinate" if _ON_POSTGRES else "in-process")
if TASK_QUEUE not in {"procrastinate", "in-process"}:
    raise ImproperlyConfigured("TASK_QUEUE is 'procrastinate' (PostgreSQL only) or 'in-process'.")
if TASK_QUEUE == "procrastinate":
    if not _ON_POSTGRES:
        raise ImproperlyConfigured("TASK_QUEUE=procrastinate needs PostgreSQL (DATABASE_URL=postgres://...).")
    INSTALLED_APPS.append("procrastinate.contrib.django")
    PROCRASTINATE_ON_APP_READY = "blogsite.task_engine.on_app_ready"


def env_seconds(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


# A worker writes a heartbeat every TASK_HEARTBEAT_SECONDS; one silent for
# TASK_STALLED_AFTER_SECONDS is dead, and the recovery sweep (every
# TASK_RECOVERY_EVERY_SECONDS) puts its jobs back in the queue: a job whose
# worker was killed runs again within STALLED_AFTER + RECOVERY_EVERY (30 s).
TASK_HEARTBEAT_SECONDS = env_seconds("TASK_HEARTBEAT_SECONDS", 5)
TASK_STALLED_AFTER_SECONDS = env_seconds("TASK_STALLED_AFTER_SECONDS", 20)
TASK_RECOVERY_EVERY_SECONDS = int(env_seconds("TASK_RECOVERY_EVERY_SECONDS", 10))
# Transient failures (SMTP refused, a timeout, a lost database connection) are
# retried after FIRST, 2×FIRST, 4×FIRST… seconds, never more than MAX apart,
# TASK_RETRY_ATTEMPTS times (about 2 hours by default); then the job is failed
# and shown to staff in the admin, where it can be retried.
TASK_RETRY_FIRST_SECONDS = int(env_seconds("TASK_RETRY_FIRST_SECONDS", 5))
TASK_RETRY_MAX_SECONDS = int(env_seconds("TASK_RETRY_MAX_SECONDS", 600))
TASK_RETRY_ATTEMPTS = int(env_seconds("TASK_RETRY_ATTEMPTS", 18))
# Periodic work, each run exactly once per period however many workers run.
PUBLISH_DUE_EVERY_SECONDS = int(env_seconds("PUBLISH_DUE_EVERY_SECONDS", 10))
FLUSH_VIEWS_EVERY_SECONDS = int(env_seconds("FLUSH_VIEWS_EVERY_SECONDS", 5))
PROCRASTINATE_WORKER_DEFAULTS = {
    "concurrency": int(os.environ.get("TASK_WORKER_CONCURRENCY", "2")),
    "update_heartbeat_interval": TASK_HEARTBEAT_SECONDS,
    "stalled_worker_timeout": TASK_STALLED_AFTER_SECONDS,
    # A stopping worker finishes its jobs for this long, then gives them back.
    "shutdown_graceful_timeout": env_seconds("TASK_SHUTDOWN_GRACE_SECONDS", 20),
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "blogsite <noreply@blogsite.local>")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
# A mail server that accepts the connection and then says nothing must not
# hold a worker forever: the send fails, and the job is retried later.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# --- Spam and abuse (README, "Spam and abuse") ---------------------------------
# The client's address is REMOTE_ADDR: gunicorn is the first hop under `make
# serve`. Behind N reverse proxies that each append to X-Forwarded-For, set
# TRUSTED_PROXIES=N; a client can write anything left of what they appended.
TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
# Login throttling (django-axes): FAILURE_LIMIT wrong passwords for one
# username from one IP lock that pair out for COOLOFF minutes; the same
# username from another IP, or the real owner elsewhere, still logs in.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=float(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "blogsite.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "authors.lockout.locked_out"
AXES_USERNAME_CALLABLE = "authors.lockout.attempted_username"
AXES_RESET_ON_SUCCESS = True
# Each attempt is kept in the failure log; the per-login access log would be one more write per login.
AXES_DISABLE_ACCESS_LOG = True
# Requests counted per window in the default cache (django-ratelimit's
# fixed windows): Redis in production, so every worker shares the counts; each
# process's memory under `make run`. RATE_LIMITS=0 turns them all off. A
# limited request is answered 429 with the form and what was typed in it.
RATELIMIT_ENABLE = env_bool("RATE_LIMITS", True)
RATELIMIT_USE_CACHE = "default"
RATELIMIT_IP_META_KEY = "blogsite.client_ip.client_ip"
# A count the cache could not give is no reason to refuse (blogsite/rate_limits.py logs it).
RATELIMIT_FAIL_OPEN = True
# For each action, (key, rate) pairs: "ip" the client's address, "user" the
# signed-in account, "email" the address a password reset is asked for (so
# nobody mail-bombs one person from many addresses).
RATE_LIMITS = {
    "comment": [
        ("ip", os.environ.get("COMMENT_RATE_PER_IP_MINUTE", "5/m")),
        ("ip", os.environ.get("COMMENT_RATE_PER_IP_HOUR", "30/h")),
        ("user", os.environ.get("COMMENT_RATE_PER_ACCOUNT_MINUTE", "5/m")),
        ("user", os.environ.get("COMMENT_RATE_PER_ACCOUNT_HOUR", "30/h")),
    ],
    "signup": [("ip", os.environ.get("SIGNUP_RATE_PER_IP", "10/h"))],
    "password_reset": [
        ("ip", os.environ.get("PASSWORD_RESET_RATE_PER_IP", "10/h")),
        ("email", os.environ.get("PASSWORD_RESET_RATE_PER_EMAIL", "3/h")),
    ],
}
# A comment with this many links or more waits for moderation, signed in or not.
COMMENT_HOLD_LINKS = int(os.environ.get("COMMENT_HOLD_LINKS", "3"))
# An Akismet-compatible checker, off by default: a dotted path to a callable
# taking a comments.spam_check.Submission and returning a Verdict
# ("comments.akismet.check_with_akismet" with AKISMET_API_KEY set).
COMMENT_SPAM_CHECKER = os.environ.get("COMMENT_SPAM_CHECKER") or None
COMMENT_SPAM_CHECK_TIMEOUT = float(os.environ.get("COMMENT_SPAM_CHECK_TIMEOUT", "3"))
AKISMET_API_KEY = os.environ.get("AKISMET_API_KEY", "")
AKISMET_URL = os.environ.get("AKISMET_URL", "https://{key}.rest.akismet.com/1.1/comment-check")
# Authors hear about pending comments in one email per round, at most every
# COMMENT_DIGEST_EVERY_MINUTES (must divide an hour).
COMMENT_DIGEST_EVERY_MINUTES = int(os.environ.get("COMMENT_DIGEST_EVERY_MINUTES", "10"))

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic puts the files whitenoise serves (and their manifest, which DEBUG off needs).
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# Bootstrap comes from a pinned pip package, not a CDN: the site works offline.
STATICFILES_DIRS = [BASE_DIR / "static", ("bootstrap", xstatic.pkg.bootstrap.BASE_DIR)]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "blogsite.static_storage.CompressedManifestStaticFilesStorageWithKnownURLs"
        )
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Django serves uploads itself while DEBUG is on, and in `make serve` (a
# production-like site on 127.0.0.1 with no web server in front); a public
# deployment leaves this off and serves media/ from its web server.
SERVE_MEDIA = env_bool("SERVE_MEDIA", DEBUG)

# Anonymous readers' list pages, feeds and sitemap are cached (blogsite/page_cache.py)
# and invalidated by every change they show; this bounds how old their view counts
# can be. 0 turns the page cache off. Off by default without Redis: a
# local-memory cache belongs to one process, and a change made by another one
# (`publish_due` from cron, a second server process) would not retire its pages.
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "60" if REDIS_URL else "0"))

# The admin's History lists revisions but never reverts one (articles/admin.py says why).
SIMPLE_HISTORY_REVERT_DISABLED = True
# How many revisions of each article `manage.py prune_revisions` keeps, the
# latest among them (articles/revision_retention.py). Unset or 0: every revision
# is kept while its article exists, and the command prunes only what its
# options ask for.
REVISIONS_KEPT_PER_ARTICLE = int(os.environ.get("REVISIONS_KEPT_PER_ARTICLE", "0")) or None

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"routine_tasks": {"()": "blogsite.task_engine.RoutineTaskLogFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "task_console": {"class": "logging.StreamHandler", "filters": ["routine_tasks"]},
    },
    "loggers": {
        **{
            app: {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")}
            for app in ("blogsite", "articles", "authors", "comments")
        },
        # Every 500, with its traceback and the request's path. Django's own
        # configuration gives it only to mail_admins when DEBUG is off (its
        # console handler speaks only while DEBUG is on), so a production error
        # would leave no trace; not propagated, so DEBUG on prints it once.
        # 4xx are warnings: the access log has them.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # The worker logs each job's outcome with its id, a failure or a retry
        # with its traceback (the routine lines of periodic work are filtered out).
        "procrastinate": {"handlers": ["task_console"], "level": "INFO", "propagate": False},
        # Failing signal receivers and after-commit callbacks, whatever DEBUG says.
        "django.dispatch": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.db.backends.base": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# Lets two test runs share one PostgreSQL server without dropping each
# other's test database.
if os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}
