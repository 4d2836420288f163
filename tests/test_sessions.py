"""Sessions: a crafted cookie is no session (sessions.py); read from Redis, failing closed (cached_sessions.py)."""

from importlib import import_module

import pytest
import redis
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import FRAGMENTS, require_redis

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("key", ["abcdefgh\x00ijklmnop", "ABCDEFGHIJKLMNOP", "abc'; DROP TABLE x;--"])
def test_a_malformed_session_cookie_is_treated_as_signed_out(client, key):
    # On PostgreSQL a NUL in the lookup was a DataError: a 500 on every page.
    client.cookies["sessionid"] = key
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.get(reverse("home")).status_code == 200


def test_a_real_session_still_signs_in(client, author):
    client.force_login(author.user)
    assert client.get(reverse("dashboard")).status_code == 200


# --- Sessions read from Redis (blogsite/cached_sessions.py) ------------------------

REDIS_TEST_URL = "redis://127.0.0.1:6379/14"
# Nothing listens on port 1: a Redis that is down, refusing connections.
REDIS_DOWN_URL = "redis://127.0.0.1:1/0"


def redis_caches(url: str) -> dict:
    return {
        "default": {"BACKEND": "blogsite.redis_cache.SharedClientRedisCache", "LOCATION": url},
        "fragments": FRAGMENTS,
    }


@pytest.fixture
def cached_sessions(settings):
    require_redis(REDIS_TEST_URL)
    settings.SESSION_ENGINE = "blogsite.cached_sessions"
    settings.CACHES = redis_caches(REDIS_TEST_URL)
    cache.clear()
    yield settings
    settings.CACHES = redis_caches(REDIS_TEST_URL)
    cache.clear()


def session_queries(queries) -> list[str]:
    return [query["sql"] for query in queries if "django_session" in query["sql"]]


def test_a_signed_in_page_reads_its_session_from_redis_not_the_database(cached_sessions, client, author):
    client.force_login(author.user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("dashboard")).status_code == 200
    assert session_queries(queries) == []
    # Redis restarted empty: the session is read from the database, and cached again.
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("dashboard")).status_code == 200
    assert len(session_queries(queries)) == 1
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("dashboard")).status_code == 200
    assert session_queries(queries) == []


def test_with_redis_down_a_signed_in_reader_stays_signed_in(cached_sessions, client, author, caplog):
    client.force_login(author.user)
    cached_sessions.CACHES = redis_caches(REDIS_DOWN_URL)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200 and author.user.get_username() in response.content.decode()
    assert "Session cache unavailable: session read from the database" in caplog.text


def test_a_logout_deletes_the_session_everywhere(cached_sessions, client, author):
    client.force_login(author.user)
    key = client.cookies["sessionid"].value
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()
    assert cache.get(f"django.contrib.sessions.cached_db{key}") is None
    client.cookies["sessionid"] = key  # the old cookie, replayed
    assert client.get(reverse("dashboard")).status_code == 302


def test_a_logout_with_redis_down_fails_and_never_leaves_a_session_that_comes_back(cached_sessions, author):
    client = Client(raise_request_exception=False)
    client.force_login(author.user)
    key = client.cookies["sessionid"].value
    cached_sessions.CACHES = redis_caches(REDIS_DOWN_URL)
    assert client.post(reverse("logout")).status_code == 500
    # Nothing was deleted: the session is what it was, in the database and in
    # Redis once it is back, and the reader was told the logout failed.
    assert Session.objects.filter(session_key=key).exists()
    cached_sessions.CACHES = redis_caches(REDIS_TEST_URL)
    assert client.get(reverse("dashboard")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("dashboard")).status_code == 302
    assert not Session.objects.filter(session_key=key).exists()


def test_a_delete_that_cannot_reach_redis_deletes_nothing(cached_sessions, client, author):
    # What a logout does once the session is loaded: the entry first, and a
    # failure there leaves the row, so no signed-out session is left in Redis
    # to be served again once it is back.
    client.force_login(author.user)
    key = client.cookies["sessionid"].value
    store = import_module(cached_sessions.SESSION_ENGINE).SessionStore(key)
    assert store.load()
    cached_sessions.CACHES = redis_caches(REDIS_DOWN_URL)
    store = import_module(cached_sessions.SESSION_ENGINE).SessionStore(key)
    with pytest.raises(redis.ConnectionError):
        store.flush()
    assert Session.objects.filter(session_key=key).exists()
