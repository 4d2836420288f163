"""Settings for blogsite, read from the environment with safe development defaults.

Every knob a deployment turns is an environment variable; nothing here needs editing
to move from the SQLite demo to PostgreSQL + Redis behind gunicorn.
"""

import os
from pathlib import Path

import dj_database_url
import xstatic.pkg.bootstrap
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

# Absolute links in emails need the site's public address.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django_tasks",
    "django_tasks_db",
    "crispy_forms",
    "crispy_bootstrap5",
    "authors",
    "articles",
    "comments",
    # Last, so it sees every FileField of the apps above.
    "django_cleanup.apps.CleanupConfig",
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
]

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
# Django's database sessions, refusing a crafted session key before the query.
SESSION_ENGINE = "blogsite.sessions"

# SQLite file by default (zero set-up); DATABASE_URL=postgres://… switches to
# PostgreSQL through psycopg 3.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
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
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Article views are counted in Redis and flushed into the rows by
# `manage.py flush_views --loop`; empty: one UPDATE per view in the request.
VIEW_BUFFER_URL = os.environ.get("VIEW_BUFFER_URL", REDIS_URL)
VIEW_BUFFER_PREFIX = os.environ.get("VIEW_BUFFER_PREFIX", "blogsite:views")

# Email leaves the request through the Tasks API: the immediate backend runs the
# task right after commit (so the console shows the mail at once); a site with
# several processes sets TASKS_BACKEND=database and runs `manage.py db_worker`.
_TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
    "dummy": "django_tasks.backends.dummy.DummyBackend",
}
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[os.environ.get("TASKS_BACKEND", "immediate")]}}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "blogsite <noreply@blogsite.local>")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Bootstrap comes from a pinned pip package, not a CDN: the site works offline.
STATICFILES_DIRS = [BASE_DIR / "static", ("bootstrap", xstatic.pkg.bootstrap.BASE_DIR)]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
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

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        **{
            app: {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")}
            for app in ("blogsite", "articles", "authors", "comments")
        },
        # Failed email tasks, failing signal receivers and after-commit callbacks
        # are logged by these, whatever DEBUG says.
        "django_tasks": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "django.dispatch": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.db.backends.base": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# Lets two test runs share one PostgreSQL server without dropping each
# other's test database.
if os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}
