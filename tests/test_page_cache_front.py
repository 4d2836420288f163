"""Cache hits answered in front of Django's handler, each view counted once (blogsite/page_cache_front.py).

These requests go through the site's WSGI application, as gunicorn sends
them, on a real Redis: the page cache in database 14, the view buffer in
database 15 of the same server, so the front counts views in its lookup.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie

import pytest
import redis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory

from articles import view_counts
from articles.models import Article
from articles.signals import article_viewed
from blogsite import page_cache, page_cache_front
from blogsite.page_cache_front import PageCacheFront
from comments.models import Comment
from tests.conftest import FRAGMENTS, require_redis

pytestmark = pytest.mark.django_db

CACHE_URL = "redis://127.0.0.1:6379/14"
BUFFER_URL = "redis://127.0.0.1:6379/15"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture(autouse=True)
def on_redis(settings, site):
    require_redis(CACHE_URL)
    settings.CACHES = {
        "default": {"BACKEND": "blogsite.redis_cache.SharedClientRedisCache", "LOCATION": CACHE_URL},
        "fragments": FRAGMENTS,
    }
    settings.PAGE_CACHE_SECONDS = 60
    settings.VIEW_BUFFER_URL = BUFFER_URL
    settings.VIEW_BUFFER_PREFIX = f"test:front:{uuid.uuid4().hex}"
    page_cache.register()
    cache.clear()
    yield
    redis.Redis.from_url(CACHE_URL).flushdb()  # a test may have pointed the cache elsewhere
    buffer = redis.Redis.from_url(BUFFER_URL)
    leftovers = list(buffer.scan_iter(f"{settings.VIEW_BUFFER_PREFIX}:*"))
    if leftovers:
        buffer.delete(*leftovers)


@pytest.fixture
def front() -> PageCacheFront:
    return PageCacheFront(WSGIHandler())


@contextmanager
def transaction_kept():
    # As django.test.Client does: a request's signals would close the
    # connection that holds this test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: str

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)

    @property
    def is_hit(self) -> bool:
        return self.header(page_cache.HIT_HEADER) == "hit"

    @property
    def csrf_token(self) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.body).group(1)


class Reader:
    """One reader's browser, talking to the WSGI application as gunicorn would, with its own cookies."""

    def __init__(self, application, user_agent: str = BROWSER) -> None:
        self.application, self.user_agent = application, user_agent
        self.cookies = SimpleCookie()

    def get(self, path: str, method: str = "GET", **headers: str) -> Answer:
        return self.send(RequestFactory().generic(method, path, headers=headers).environ)

    def post(self, path: str, data: dict) -> Answer:
        return self.send(RequestFactory().post(path, data).environ)

    def send(self, environ: dict) -> Answer:
        environ["HTTP_USER_AGENT"] = self.user_agent
        if self.cookies:
            environ["HTTP_COOKIE"] = "; ".join(f"{name}={morsel.value}" for name, morsel in self.cookies.items())
        answer = {}

        def start_response(status, headers, exc_info=None):
            answer.update(status=int(status.split()[0]), headers=headers)

        with transaction_kept():
            chunks = self.application(environ, start_response)
            body = b"".join(chunks)
            if hasattr(chunks, "close"):
                chunks.close()
        for name, value in answer["headers"]:
            if name == "Set-Cookie":
                self.cookies.load(value)
        for name in [name for name, morsel in self.cookies.items() if morsel["max-age"] == "0"]:
            del self.cookies[name]  # deleted by the site, as a browser would
        return Answer(answer["status"], answer["headers"], body.decode())


def counted_views(article: Article) -> int:
    stored = Article.objects.values_list("view_count", flat=True).get(pk=article.pk)
    return stored + view_counts.pending_views([article.pk]).get(article.pk, 0)


def test_a_hit_is_answered_in_front_of_django_and_counted_in_the_same_round_trip(front, site, monkeypatch):
    reader = Reader(front)
    assert not reader.get(site.get_absolute_url()).is_hit  # rendered, stored, counted
    commands = []
    real_send_once = page_cache_front.send_once
    monkeypatch.setattr(page_cache_front, "send_once", lambda *args: commands.append(args[1]) or real_send_once(*args))
    # Django's handler is never reached on a hit.
    monkeypatch.setattr(front, "handler", lambda environ, start_response: pytest.fail("reached Django"))
    answers = [Reader(front).get(site.get_absolute_url()) for _ in range(4)]
    assert all(answer.is_hit and site.title in answer.body for answer in answers)
    assert set(commands) <= {"EVALSHA", "EVAL"} and len(commands) in (4, 5)  # one EVAL once Redis lacks the script
    assert counted_views(site) == 5


def test_a_hit_carries_the_headers_django_would_have_given_it(front, site):
    Reader(front).get(site.get_absolute_url())
    through_front = Reader(front).get(site.get_absolute_url())
    through_django = Reader(WSGIHandler()).get(site.get_absolute_url())
    assert through_front.is_hit and through_django.is_hit
    names = {name.lower() for name, _ in through_front.headers}
    assert names == {name.lower() for name, _ in through_django.headers}
    for name in ("X-Content-Type-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy", "X-Frame-Options"):
        assert through_front.header(name) == through_django.header(name) is not None
    assert "Cookie" in through_front.header("Vary")
    assert through_front.header("Content-Security-Policy") == through_django.header("Content-Security-Policy")


def test_no_two_readers_share_a_token_and_a_comment_posted_from_a_hit_is_taken(front, site):
    first, second = Reader(front), Reader(front)
    miss, hit = first.get(site.get_absolute_url()), second.get(site.get_absolute_url())
    assert not miss.is_hit and hit.is_hit
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value
    assert miss.csrf_token != hit.csrf_token
    form = {"csrfmiddlewaretoken": hit.csrf_token, "name": "Guest", "email": "g@example.com", "body": "From a hit"}
    assert second.post(f"{site.get_absolute_url()}comments/", form).status == 302
    assert Comment.objects.filter(body="From a hit").exists()
    # Back on the page, the reader's message ("awaits moderation") is theirs alone: a live page.
    secret = second.cookies["csrftoken"].value
    live = second.get(site.get_absolute_url())
    assert not live.is_hit and "moderat" in live.body
    # Then the cache again, keeping the secret their cookie holds.
    again = second.get(site.get_absolute_url())
    assert again.is_hit and second.cookies["csrftoken"].value == secret
    form["body"] = "Back again"
    form["csrfmiddlewaretoken"] = again.csrf_token
    assert second.post(f"{site.get_absolute_url()}comments/", form).status == 302


def test_crawlers_heads_and_prefetches_are_served_the_hit_but_count_nothing(front, site):
    Reader(front).get(site.get_absolute_url())
    assert Reader(front, "Googlebot/2.1 (+http://www.google.com/bot.html)").get(site.get_absolute_url()).is_hit
    assert Reader(front).get(site.get_absolute_url(), method="HEAD").is_hit
    assert Reader(front).get(site.get_absolute_url(), **{"Sec-Purpose": "prefetch"}).is_hit
    assert counted_views(site) == 1


def test_signed_in_readers_go_to_django(front, site, reader, client):
    Reader(front).get(site.get_absolute_url())
    client.force_login(reader)
    signed_in = Reader(front)
    signed_in.cookies["sessionid"] = client.cookies["sessionid"].value
    answer = signed_in.get(site.get_absolute_url())
    assert not answer.is_hit and reader.get_username() in answer.body
    assert counted_views(site) == 2


def test_a_page_retired_by_a_change_is_rendered_again_and_counted_once(front, site):
    Reader(front).get(site.get_absolute_url())
    page_cache.invalidate_pages()
    answer = Reader(front).get(site.get_absolute_url())
    assert not answer.is_hit
    assert counted_views(site) == 2


def test_without_the_article_keys_the_hook_counts_the_hit(front, site):
    Reader(front).get(site.get_absolute_url())
    server = redis.Redis.from_url(CACHE_URL)
    server.delete(*server.keys("*page_cache:page:*:article"))  # evicted, say
    assert Reader(front).get(site.get_absolute_url()).is_hit
    assert counted_views(site) == 2


def test_a_script_redis_has_forgotten_is_sent_again(front, site):
    Reader(front).get(site.get_absolute_url())
    redis.Redis.from_url(CACHE_URL).script_flush()
    assert Reader(front).get(site.get_absolute_url()).is_hit
    assert counted_views(site) == 2


def test_a_lost_reply_is_not_counted_again(front, site, monkeypatch, caplog):
    Reader(front).get(site.get_absolute_url())
    real_send_once = page_cache_front.send_once

    def reply_lost(*args):
        real_send_once(*args)  # Redis ran it: found the page and counted the view
        raise redis.TimeoutError("no reply in time")

    monkeypatch.setattr(page_cache_front, "send_once", reply_lost)
    with caplog.at_level(logging.ERROR, logger="blogsite.page_cache_front"):
        answer = Reader(front).get(site.get_absolute_url())
    assert answer.status == 200 and site.title in answer.body  # served by Django's handler instead
    assert "may be lost" in caplog.text
    assert counted_views(site) == 2


def test_with_the_buffer_on_another_server_the_hook_counts(front, site, settings):
    settings.VIEW_BUFFER_URL = "redis://localhost:6379/15"  # not the cache's "127.0.0.1": not known to be the same
    Reader(front).get(site.get_absolute_url())
    assert Reader(front).get(site.get_absolute_url()).is_hit
    assert page_cache_front.one_trip_lookup().buffer_database == ""
    assert counted_views(site) == 2


def test_views_counted_in_the_row_are_counted_by_the_hook_inside_a_request(front, site, settings):
    settings.VIEW_BUFFER_URL = ""
    Reader(front).get(site.get_absolute_url())
    started = []

    def receiver(sender, **kwargs):
        started.append(sender)

    request_started.connect(receiver)
    try:
        assert Reader(front).get(site.get_absolute_url()).is_hit
    finally:
        request_started.disconnect(receiver)
    assert len(started) == 1  # Django's request signals, around the hook's UPDATE
    assert counted_views(site) == 2


def test_another_receiver_of_article_viewed_hears_of_every_hit(front, site):
    heard = []

    def receiver(sender, article, **kwargs):
        heard.append(article.pk)

    article_viewed.connect(receiver, sender=Article)
    try:
        for _ in range(3):
            Reader(front).get(site.get_absolute_url())
    finally:
        article_viewed.disconnect(receiver, sender=Article)
    assert heard == [site.pk] * 3
    assert counted_views(site) == 3


def test_an_unreachable_cache_serves_the_page_live_and_counts_it(front, site, settings, caplog):
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"},
    }
    with caplog.at_level(logging.WARNING):
        answer = Reader(front).get(site.get_absolute_url())
    assert answer.status == 200 and not answer.is_hit
    assert "Page cache unavailable" in caplog.text
    assert counted_views(site) == 1


def test_a_bad_host_is_refused_by_django(front, site):
    Reader(front).get(site.get_absolute_url())
    assert Reader(front).get(site.get_absolute_url(), Host="evil.example").status == 400


def test_a_middleware_stack_it_does_not_know_sends_everything_to_django(settings, site, caplog):
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if "whitenoise" not in name]
    with caplog.at_level(logging.WARNING, logger="blogsite.page_cache_front"):
        front = PageCacheFront(WSGIHandler())
    assert "go through Django's handler" in caplog.text
    Reader(front).get(site.get_absolute_url())
    assert Reader(front).get(site.get_absolute_url()).is_hit  # the middleware's hit
    assert counted_views(site) == 2
