"""The settings a deployment turns from the environment, read by a fresh interpreter each time."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HTTPS_SETTINGS = (
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
)
# The names of the HTTPS settings come as arguments.
PROBE = """
import json
import sys
from blogsite import settings as s
print(json.dumps({
    "engine": s.DATABASES["default"]["ENGINE"],
    "options": s.DATABASES["default"].get("OPTIONS", {}),
    "cache": s.CACHES["default"]["BACKEND"],
    "page_cache_seconds": s.PAGE_CACHE_SECONDS,
    "view_buffer_url": s.VIEW_BUFFER_URL,
    "email": s.EMAIL_BACKEND,
    "debug": s.DEBUG,
    "hosts": s.ALLOWED_HOSTS,
    "conn_max_age": s.DATABASES["default"]["CONN_MAX_AGE"],
    "conn_health_checks": s.DATABASES["default"]["CONN_HEALTH_CHECKS"],
    "https": {name: getattr(s, name, None) for name in sys.argv[1:]},
    "silenced": getattr(s, "SILENCED_SYSTEM_CHECKS", []),
}))
"""
# What the test run itself sets must not leak into the probe.
CLEARED = (
    *("DATABASE_URL", "REDIS_URL", "VIEW_BUFFER_URL", "PAGE_CACHE_SECONDS", "SECRET_KEY", "DEBUG", "EMAIL_BACKEND"),
    *("CONN_MAX_AGE", "HTTPS", "DJANGO_SETTINGS_MODULE", *HTTPS_SETTINGS),
)
A_SECRET_KEY = "a-real-secret-" * 4


def run_python(*arguments: str, **environment: str) -> subprocess.CompletedProcess:
    """``python *arguments`` in the project; of the variables the settings read, only ``environment``."""
    env = {name: value for name, value in os.environ.items() if name not in CLEARED} | environment
    return subprocess.run(
        [sys.executable, *arguments], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def run_settings(**environment: str) -> subprocess.CompletedProcess:
    return run_python("-c", PROBE, *HTTPS_SETTINGS, **environment)


def read_settings(**environment: str) -> dict:
    result = run_settings(**environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_defaults_are_a_safe_development_site_on_sqlite():
    found = read_settings()
    assert found["engine"] == "django.db.backends.sqlite3"
    # Writers wait for each other instead of failing with "database is locked".
    assert found["options"] == {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    assert found["cache"].endswith("LocMemCache")
    # A per-process cache would miss other processes' invalidations: no page cache.
    assert found["page_cache_seconds"] == 0
    assert found["view_buffer_url"] == ""
    assert found["email"] == "django.core.mail.backends.console.EmailBackend"
    assert found["debug"] is True
    assert "127.0.0.1" in found["hosts"]


def test_postgres_and_redis_come_from_the_environment():
    found = read_settings(DATABASE_URL="postgres://someone@db.example:5433/blog", REDIS_URL="redis://127.0.0.1:6379/3")
    # Django's PostgreSQL backend with a cheaper health check (blogsite/postgres/base.py).
    assert found["engine"] == "blogsite.postgres"
    assert found["cache"].endswith("RedisCache")
    assert found["page_cache_seconds"] == 60
    assert found["view_buffer_url"] == "redis://127.0.0.1:6379/3"


def test_view_buffering_and_the_page_cache_can_be_turned_off():
    found = read_settings(REDIS_URL="redis://127.0.0.1:6379/3", VIEW_BUFFER_URL="", PAGE_CACHE_SECONDS="0")
    assert (found["view_buffer_url"], found["page_cache_seconds"]) == ("", 0)


def test_debug_off_without_a_secret_key_refuses_to_start():
    result = run_settings(DEBUG="0")
    assert result.returncode != 0
    assert "Set SECRET_KEY in the environment when DEBUG is off." in result.stderr


def test_debug_off_with_a_secret_key_starts():
    assert read_settings(DEBUG="0", SECRET_KEY=A_SECRET_KEY)["debug"] is False


def test_persistent_connections_are_health_checked():
    found = read_settings(DATABASE_URL="postgres://someone@db.example:5433/blog", CONN_MAX_AGE="60")
    # A connection the server closed while it was kept is replaced, not failed on.
    assert (found["conn_max_age"], found["conn_health_checks"]) == (60, True)


# --- HTTPS is the operator's -------------------------------------------------------
# What `make serve` (scripts/serve.sh) exports: a production process on plain
# http://127.0.0.1.
SERVE_ENVIRONMENT = {
    "DEBUG": "0",
    "SECRET_KEY": A_SECRET_KEY,
    "DATABASE_URL": "postgres://root@127.0.0.1:5432/blogsite",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "VIEW_BUFFER_URL": "redis://127.0.0.1:6379/1",
    "CONN_MAX_AGE": "60",
    "SERVE_MEDIA": "1",
    "SITE_URL": "http://127.0.0.1:8000",
    "TASK_QUEUE": "procrastinate",
}
HTTPS_ONLY_CHECKS = ["security.W004", "security.W008", "security.W012", "security.W016"]


def check_deploy(**environment: str) -> subprocess.CompletedProcess:
    # Checks only, no connection: nothing here needs the servers to be up.
    return run_python("manage.py", "check", "--deploy", "--fail-level", "WARNING", **environment)


def test_over_plain_http_nothing_asks_browsers_for_https():
    found = read_settings(**SERVE_ENVIRONMENT)
    # Secure-only cookies would never come back over http://: nobody could log in.
    assert found["https"] == dict.fromkeys(HTTPS_SETTINGS, False) | {
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_PROXY_SSL_HEADER": None,
    }
    assert found["silenced"] == HTTPS_ONLY_CHECKS


def test_https_turns_on_secure_cookies_the_redirect_and_hsts_and_their_checks():
    found = read_settings(**SERVE_ENVIRONMENT, HTTPS="1")
    assert found["https"] == {
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 3600,  # short while HTTPS is new: browsers remember it
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
        "SECURE_PROXY_SSL_HEADER": None,
    }
    assert found["silenced"] == []


def test_each_https_setting_can_be_set_on_its_own_behind_a_proxy():
    found = read_settings(
        **SERVE_ENVIRONMENT,
        HTTPS="1",
        SECURE_SSL_REDIRECT="0",  # the proxy redirects
        SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="1",
        SECURE_HSTS_PRELOAD="1",
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO",
    )
    assert found["https"] == {
        "SECURE_SSL_REDIRECT": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }


def test_check_deploy_is_clean_under_the_serve_settings():
    result = check_deploy(**SERVE_ENVIRONMENT)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (4 silenced)." in result.stdout
    assert "WARNING" not in result.stderr


def test_check_deploy_with_https_leaves_only_the_operators_hsts_commitments():
    result = check_deploy(**SERVE_ENVIRONMENT, HTTPS="1")
    # The HTTPS-only checks run and pass; subdomains and preloading are the
    # operator's to commit to, so check --deploy keeps asking.
    assert result.returncode == 1
    assert sorted(set(re.findall(r"security\.W\d+", result.stderr))) == ["security.W005", "security.W021"]
    committed = check_deploy(
        **SERVE_ENVIRONMENT,
        HTTPS="1",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="1",
        SECURE_HSTS_PRELOAD="1",
    )
    assert committed.returncode == 0, committed.stderr
    assert "System check identified no issues (0 silenced)." in committed.stdout


# --- Errors leave a trace on stderr with DEBUG off ---------------------------------------

FAILING_REQUEST = """
import sys, types
import django
from django.test import Client, override_settings
from django.urls import path

def broken(request):
    raise RuntimeError("the view broke")

urls = types.ModuleType("broken_urls")
urls.urlpatterns = [path("broken/", broken)]
sys.modules[urls.__name__] = urls
django.setup()
with override_settings(ROOT_URLCONF=urls.__name__):
    print(Client(raise_request_exception=False).get("/broken/").status_code)
"""

FAILING_TASK = """
import django
import procrastinate
from procrastinate.testing import InMemoryConnector

django.setup()
app = procrastinate.App(connector=InMemoryConnector())

@app.task(name="works")
def works():
    pass

@app.task(name="breaks")
def breaks():
    raise RuntimeError("the task broke")

with app.open():
    works.defer()
    breaks.defer()
    app.run_worker(wait=False, install_signal_handlers=False, listen_notify=False)
"""


def run_with_debug_off(code: str) -> subprocess.CompletedProcess:
    return run_python("-c", code, DEBUG="0", SECRET_KEY=A_SECRET_KEY, DJANGO_SETTINGS_MODULE="blogsite.settings")


def test_with_debug_off_a_500_reaches_stderr_with_its_path_and_traceback():
    result = run_with_debug_off(FAILING_REQUEST)
    assert result.stdout.strip() == "500"
    assert "Internal Server Error: /broken/\nTraceback (most recent call last):" in result.stderr
    assert "line 8, in broken\nRuntimeError: the view broke" in result.stderr


def test_with_debug_off_a_failed_task_reaches_stderr_with_its_traceback():
    result = run_with_debug_off(FAILING_TASK)
    assert result.returncode == 0, result.stderr
    assert "Job works[1]() ended with status: Success" in result.stderr  # INFO: each job's outcome
    assert "Job breaks[2]() ended with status: Error" in result.stderr
    assert "line 15, in breaks\nRuntimeError: the task broke" in result.stderr


@pytest.mark.parametrize(("ci", "code"), [("true", 1), ("", 2)])
def test_an_unreachable_postgres_fails_under_ci_and_is_skipped_loudly_elsewhere(ci, code):
    # Port 9 (discard) on loopback: nothing listens there.
    env = dict(os.environ, PG_DATABASE_URL="postgres://root@127.0.0.1:9/test", CI=ci)
    result = subprocess.run(
        [sys.executable, "scripts/check_postgres.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == code
    assert "PostgreSQL at postgres://root@127.0.0.1:9/test cannot be reached" in result.stderr
