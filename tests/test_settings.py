"""The settings a deployment turns from the environment, read by a fresh interpreter each time."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import json
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
}))
"""
# What the test run itself sets must not leak into the probe.
CLEARED = ("DATABASE_URL", "REDIS_URL", "VIEW_BUFFER_URL", "PAGE_CACHE_SECONDS", "SECRET_KEY", "DEBUG", "EMAIL_BACKEND")


def run_settings(**environment: str) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if name not in CLEARED} | environment
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


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
    assert found["engine"] == "django.db.backends.postgresql"
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
    assert read_settings(DEBUG="0", SECRET_KEY="a-real-secret-" * 4)["debug"] is False


@pytest.mark.parametrize(("ci", "code"), [("true", 1), ("", 2)])
def test_an_unreachable_postgres_fails_under_ci_and_is_skipped_loudly_elsewhere(ci, code):
    # Port 9 (discard) on loopback: nothing listens there.
    env = dict(os.environ, PG_DATABASE_URL="postgres://root@127.0.0.1:9/test", CI=ci)
    result = subprocess.run(
        [sys.executable, "scripts/check_postgres.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == code
    assert "PostgreSQL at postgres://root@127.0.0.1:9/test cannot be reached" in result.stderr
