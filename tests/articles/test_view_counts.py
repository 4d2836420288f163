"""Views buffered in Redis and flushed into Article.view_count: each counted exactly once.

These tests talk to a real Redis (database 15, a fresh key prefix per test).
Without one they are skipped, except under CI=true where that is a failure.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from functools import partial
from multiprocessing.synchronize import Barrier
from typing import Any

import pytest
import redis
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from procrastinate.contrib.django import app

from articles import readers, view_counts
from articles.models import Article, ViewFlush
from articles.signals import article_viewed
from articles.tasks import flush_buffered_views
from articles.view_counts import ViewBuffer, flush_views, pending_views, record_view, with_total_views
from tests.conftest import require_redis
from tests.factories import ArticleFactory, UserFactory
from tests.test_concurrency_postgres import FORK, NO_PASSWORD, assert_workers_succeeded, run_in_processes

TEST_REDIS_URL = "redis://127.0.0.1:6379/15"
# Nothing listens on port 1: connecting is refused at once.
DEAD_REDIS_URL = "redis://127.0.0.1:1/0"


@pytest.fixture
def buffer(settings) -> ViewBuffer:
    require_redis(TEST_REDIS_URL)
    client = redis.Redis.from_url(TEST_REDIS_URL, decode_responses=True, socket_connect_timeout=1)
    prefix = f"test:views:{uuid.uuid4().hex}"
    settings.VIEW_BUFFER_URL = TEST_REDIS_URL
    settings.VIEW_BUFFER_PREFIX = prefix
    yield view_counts.view_buffer()
    leftovers = list(client.scan_iter(f"{prefix}:*"))
    if leftovers:
        client.delete(*leftovers)
    client.close()


@pytest.fixture
def no_buffer(settings) -> None:
    settings.VIEW_BUFFER_URL = ""


def published(**fields: Any) -> Article:
    return ArticleFactory(status=Article.Status.PUBLISHED, **fields)


def stored_views(*articles: Article) -> list[int]:
    by_pk = dict(Article.objects.filter(pk__in=[a.pk for a in articles]).values_list("pk", "view_count"))
    return [by_pk.get(a.pk) for a in articles]


def record(article: Article, times: int) -> None:
    for _ in range(times):
        record_view(article.pk)


def assert_buffer_empty(buffer: ViewBuffer) -> None:
    assert buffer.client.keys(f"{buffer.prefix}:*") == []


def statements(captured: CaptureQueriesContext, verb: str, table: str) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if q["sql"].startswith(verb) and table in q["sql"]]


def fail_once(real: Callable[..., Any]) -> Callable[..., Any]:
    """Stands in for a step of the flush: raises the first time, then does the real thing."""
    calls = Counter()

    def step(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("the flush died here")
        return real(*args, **kwargs)

    return step  # a function, so that it binds as a method too


# --- Recording a view ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_buffered_view_touches_no_database_row(buffer, django_assert_num_queries):
    article = published()
    with django_assert_num_queries(0):
        article_viewed.send(sender=Article, article=article, request=None)
        article_viewed.send(sender=Article, article=article, request=None)
    assert pending_views([article.pk]) == {article.pk: 2}
    assert stored_views(article) == [0]


@pytest.mark.django_db
def test_without_a_buffer_a_view_is_one_update_of_the_row(no_buffer, django_assert_num_queries):
    article = published()
    with django_assert_num_queries(1) as captured:
        article_viewed.send(sender=Article, article=article, request=None)
    assert captured.captured_queries[0]["sql"].startswith("UPDATE")
    assert stored_views(article) == [1]
    assert pending_views([article.pk]) == {}


@pytest.mark.django_db
def test_a_view_in_the_row_counts_its_article_only_and_one_gone_counts_nothing(no_buffer):
    read, other = published(), published()
    for _ in range(3):
        record_view(read.pk)
    gone = published()
    gone_pk = gone.pk
    gone.delete()
    record_view(gone_pk)  # a reader of a page cached before the delete: nothing to count, no error
    assert stored_views(read) == [3]
    assert stored_views(other) == [0]
    assert not Article.objects.filter(pk=gone_pk).exists()


@pytest.mark.django_db
def test_redis_down_counts_the_view_in_the_database_and_logs(settings, caplog, django_assert_num_queries):
    settings.VIEW_BUFFER_URL = DEAD_REDIS_URL
    article = published()
    with caplog.at_level(logging.WARNING, logger="articles.view_counts"), django_assert_num_queries(1):
        record_view(article.pk)
    assert stored_views(article) == [1]
    assert "counting the view in the database" in caplog.text


@pytest.mark.django_db
def test_redis_down_still_serves_and_counts_the_article_page(settings, client):
    settings.VIEW_BUFFER_URL = DEAD_REDIS_URL
    article = published()
    Article.objects.filter(pk=article.pk).update(view_count=4)

    response = client.get(article.get_absolute_url())
    home = client.get(reverse("home"))

    assert response.status_code == home.status_code == 200
    assert "4 views" in response.content.decode()  # the stored count, read before this view
    assert "5 views" in home.content.decode()
    assert stored_views(article) == [5]


@pytest.mark.django_db
def test_a_lost_reply_is_not_counted_again(buffer, monkeypatch, caplog, django_assert_num_queries):
    # Redis got the HINCRBY but the answer never came: it may have counted the
    # view, so the database must not count it a second time.
    article = published()
    assert pending_views([article.pk]) == {}  # leaves a connected connection in the pool
    real_read = redis.connection.Connection.read_response

    def reply_lost(self, *args, **kwargs):
        real_read(self, *args, **kwargs)
        raise redis.ConnectionError("connection reset while reading the reply")

    monkeypatch.setattr(redis.connection.Connection, "read_response", reply_lost)
    with caplog.at_level(logging.ERROR, logger="articles.view_counts"), django_assert_num_queries(0):
        record_view(article.pk)
    monkeypatch.undo()

    assert "may be lost" in caplog.text
    assert pending_views([article.pk]) == {article.pk: 1}
    assert stored_views(article) == [0]


# --- What pages show ---------------------------------------------------------------------


@pytest.mark.django_db
def test_with_total_views_adds_the_live_buffer_to_the_stored_count(buffer):
    seen, unseen = published(), published()
    Article.objects.filter(pk=seen.pk).update(view_count=10)
    record(seen, 3)

    articles = with_total_views(Article.objects.filter(pk__in=[seen.pk, unseen.pk]).order_by("pk"))

    assert [(a.view_count, a.total_views) for a in articles] == [(10, 13), (0, 0)]


@pytest.mark.django_db
def test_pages_show_stored_plus_buffered_views(buffer, client):
    author_user = UserFactory(password=NO_PASSWORD)
    article = published(author=author_user.author, title="Popular")
    other = published(author=author_user.author, title="Quiet")
    Article.objects.filter(pk=article.pk).update(view_count=1000)
    record(article, 234)
    record(other, 1)

    detail = client.get(article.get_absolute_url()).content.decode()  # a reader: one more view
    listings = [
        client.get(url).content.decode()
        for url in (reverse("home"), article.category.get_absolute_url(), article.author.get_absolute_url())
    ]
    client.force_login(author_user)
    dashboard = client.get(reverse("dashboard")).content.decode()

    # The page shows the views before its own, as without a buffer: its own is
    # counted only once it has rendered. The pages after it show that one too.
    assert "1,234 views" in detail
    for html in listings:
        assert "1,235 views" in html
    assert ">1,235<" in dashboard and ">1<" in dashboard
    assert 'data-stat="views">1,236<' in dashboard
    assert stored_views(article, other) == [1000, 0]


@pytest.mark.django_db
def test_buffering_adds_no_query_to_any_page(buffer, settings, client):
    author_user = UserFactory(password=NO_PASSWORD)
    article = published(author=author_user.author)
    record(article, 2)
    client.force_login(author_user)
    urls = [reverse("home"), article.category.get_absolute_url(), article.get_absolute_url(), reverse("dashboard")]

    def query_counts() -> list[int]:
        counts = []
        for url in urls:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            counts.append(len(captured.captured_queries))
        return counts

    query_counts()  # the listings' cards into memory (articles/cards.py): both runs find them there
    buffered = query_counts()
    settings.VIEW_BUFFER_URL = ""
    assert query_counts() == buffered


# --- Only pages that were served count --------------------------------------------------


@pytest.fixture(params=["no_buffer", "buffer"])
def counting(request) -> None:
    """Runs a test once counting views in the row, once buffering them in Redis."""
    request.getfixturevalue(request.param)


def counted_views(article: Article) -> int:
    return stored_views(article)[0] + pending_views([article.pk]).get(article.pk, 0)


def break_the_page_template(monkeypatch: pytest.MonkeyPatch) -> None:
    # Read by the template ("… min read"), so the page fails while it
    # renders, after the view itself has returned.
    def reading_minutes(self: Article) -> int:
        raise RuntimeError("the page broke while rendering")

    monkeypatch.setattr(Article, "reading_minutes", property(reading_minutes))


@pytest.mark.django_db
def test_reads_served_from_the_page_cache_count_exactly(counting, client, settings):
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.PAGE_CACHE_SECONDS = 60
    article = published()
    hits = [client.get(article.get_absolute_url()).get("X-Page-Cache") for _ in range(5)]
    assert hits == [None, "hit", "hit", "hit", "hit"]
    assert counted_views(article) == 5


@pytest.mark.django_db
def test_a_page_that_fails_while_rendering_counts_no_view(counting, client, monkeypatch):
    article = published()
    break_the_page_template(monkeypatch)
    client.raise_request_exception = False

    response = client.get(article.get_absolute_url())

    assert response.status_code == 500
    assert str(response.exc_info[1]) == "the page broke while rendering"
    assert counted_views(article) == 0


@pytest.mark.django_db
def test_a_page_that_was_served_counts_exactly_one_view(counting, client):
    article = published()
    assert client.get(article.get_absolute_url()).status_code == 200
    assert counted_views(article) == 1


# --- Flushing ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_flush_moves_every_buffered_view_with_one_update(buffer, django_assert_max_num_queries):
    articles = [published() for _ in range(3)]
    Article.objects.filter(pk=articles[0].pk).update(view_count=100)
    for article, views in zip(articles, (2, 1, 4), strict=True):
        record(article, views)

    with CaptureQueriesContext(connection) as captured:
        result = flush_views()

    assert (result.views, result.articles, result.batches, result.duplicates) == (7, 3, 1, 0)
    assert stored_views(*articles) == [102, 1, 4]
    assert len(statements(captured, "UPDATE", "articles_article")) == 1
    assert len(statements(captured, "INSERT", "articles_viewflush")) == 1
    # Beyond those two: the transaction's savepoint, and the prune of old flush records.
    assert len(captured.captured_queries) <= 5, [q["sql"] for q in captured.captured_queries]
    flush = ViewFlush.objects.get()
    assert (flush.views, flush.articles) == (7, 3)
    assert_buffer_empty(buffer)
    assert pending_views(a.pk for a in articles) == {}


@pytest.mark.django_db
def test_flush_issues_one_update_per_chunk(buffer, monkeypatch):
    monkeypatch.setattr(view_counts, "CHUNK_SIZE", 2)
    articles = [published() for _ in range(5)]
    for n, article in enumerate(articles, start=1):
        record(article, n)

    with CaptureQueriesContext(connection) as captured:
        flush_views()

    assert len(statements(captured, "UPDATE", "articles_article")) == 3
    assert stored_views(*articles) == [1, 2, 3, 4, 5]


@pytest.mark.django_db
def test_flush_with_nothing_buffered_writes_nothing(buffer):
    result = flush_views()
    assert (result.views, result.batches) == (0, 0)
    assert not ViewFlush.objects.exists()


@pytest.mark.django_db
def test_flush_without_a_buffer_does_nothing(no_buffer, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert flush_views().batches == 0


@pytest.mark.django_db
def test_a_flush_that_died_before_writing_is_applied_once_by_the_next(buffer, monkeypatch):
    article = published()
    record(article, 5)
    monkeypatch.setattr(view_counts, "add_views_to_articles", fail_once(view_counts.add_views_to_articles))

    with pytest.raises(RuntimeError):
        flush_views()
    assert stored_views(article) == [0]
    assert not ViewFlush.objects.exists()
    assert len(buffer.registered_batches()) == 1
    assert pending_views([article.pk]) == {}  # the batch in flight is not shown: never more than was made
    record(article, 2)  # readers go on meanwhile

    result = flush_views()

    assert (result.views, result.batches) == (7, 2)
    assert stored_views(article) == [7]
    assert_buffer_empty(buffer)


@pytest.mark.django_db
def test_a_flush_that_died_after_commit_is_not_counted_twice(buffer, monkeypatch):
    article = published()
    record(article, 5)
    monkeypatch.setattr(ViewBuffer, "forget_batch", fail_once(ViewBuffer.forget_batch))

    with pytest.raises(RuntimeError):
        flush_views()
    assert stored_views(article) == [5]
    assert len(buffer.registered_batches()) == 1
    record(article, 1)

    result = flush_views()

    assert (result.views, result.batches, result.duplicates) == (1, 1, 1)
    assert stored_views(article) == [6]
    assert ViewFlush.objects.count() == 2
    assert_buffer_empty(buffer)


@pytest.mark.django_db
def test_two_flushes_of_one_batch_apply_it_once(buffer, monkeypatch):
    # The first flush reads the batch; before it writes, a second flush reads,
    # applies and deletes the same batch. The first one's insert then meets
    # the second one's ViewFlush row and adds nothing.
    article = published()
    record(article, 3)
    real_read = ViewBuffer.read_batch
    inner: list[view_counts.FlushResult] = []

    def read_then_let_another_flush_run(self: ViewBuffer, batch_id: str) -> dict[int, int]:
        counts = real_read(self, batch_id)
        if not inner:
            monkeypatch.setattr(ViewBuffer, "read_batch", real_read)
            inner.append(flush_views())
        return counts

    monkeypatch.setattr(ViewBuffer, "read_batch", read_then_let_another_flush_run)
    outer = flush_views()

    assert (inner[0].views, inner[0].batches) == (3, 1)
    assert (outer.views, outer.batches, outer.duplicates) == (0, 0, 1)
    assert stored_views(article) == [3]
    assert ViewFlush.objects.count() == 1
    assert_buffer_empty(buffer)


@pytest.mark.django_db
def test_views_of_an_article_deleted_meanwhile_are_dropped(buffer):
    kept, deleted = published(), published()
    record(kept, 2)
    record(deleted, 3)
    deleted.delete()

    result = flush_views()

    assert (result.views, result.articles, result.batches) == (5, 1, 1)
    assert stored_views(kept) == [2]
    assert_buffer_empty(buffer)


@pytest.mark.django_db
def test_old_flush_records_are_pruned_unless_their_batch_is_still_pending(buffer, monkeypatch):
    old = timezone.now() - view_counts.KEEP_FLUSH_RECORDS - timezone.timedelta(minutes=1)
    still_pending = uuid.uuid4()
    buffer.client.sadd(buffer.batches_key, str(still_pending))
    ViewFlush.objects.create(batch_id=still_pending, views=1, articles=1)
    ViewFlush.objects.create(batch_id=uuid.uuid4(), views=1, articles=1)
    recent = ViewFlush.objects.create(batch_id=uuid.uuid4(), views=1, articles=1)
    ViewFlush.objects.exclude(pk=recent.pk).update(flushed_at=old)
    monkeypatch.setattr(ViewBuffer, "registered_batches", lambda self: [str(still_pending)])

    flush_views()

    assert set(ViewFlush.objects.values_list("batch_id", flat=True)) == {still_pending, recent.batch_id}


# --- The command and the task ---------------------------------------------------------


@pytest.mark.django_db
def test_flush_views_command_reports_what_it_moved(buffer):
    articles = [published(), published()]
    record(articles[0], 2)
    record(articles[1], 1)
    out = _call("flush_views")
    assert "3 view(s) on 2 article(s) in 1 batch(es) flushed." in out
    assert stored_views(*articles) == [2, 1]


@pytest.mark.django_db
def test_flush_views_command_says_when_buffering_is_off(no_buffer):
    assert "View buffering is off" in _call("flush_views")


@pytest.mark.django_db
def test_the_periodic_task_flushes_every_few_seconds(buffer, settings):
    article = published()
    record(article, 4)

    assert flush_buffered_views(timestamp=0) == {"views": 4, "articles": 1, "batches": 1, "duplicates": 0}

    assert stored_views(article) == [4]
    (periodic,) = [p for p in app.periodic_registry.periodic_tasks.values() if p.task is flush_buffered_views]
    assert periodic.cron == f"* * * * * */{settings.FLUSH_VIEWS_EVERY_SECONDS}"


def _call(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# --- Several processes at once (PostgreSQL) ---------------------------------------------

RECORDERS = 4
VIEWS_PER_RECORDER = 500
FLUSHERS = 2  # the second overlaps the first at random moments, and crashes now and then


def record_or_flush(article_ids: list[int], recorders_done: Any, index: int, barrier: Barrier) -> Any:
    barrier.wait(timeout=60)
    if index < RECORDERS:
        rng = random.Random(index)
        recorded: Counter[int] = Counter()
        for n in range(VIEWS_PER_RECORDER):
            pk = rng.choice(article_ids)
            record_view(pk)
            recorded[pk] += 1
            if n % 5 == 0:  # readers arrive in bursts, so flushes fall between views and amid them
                time.sleep(rng.uniform(0, 0.004))
        with recorders_done.get_lock():
            recorders_done.value += 1
        return recorded
    return flush_while_recording(index - RECORDERS, recorders_done)


def flush_while_recording(flusher: int, recorders_done: Any) -> dict[str, int]:
    rng = random.Random(100 + flusher)
    crashes = Counter()
    if flusher:
        # Dies (as far as the flush is concerned) before writing, or after
        # COMMIT before deleting the batch: the other flusher and later rounds
        # must pick the batch up without losing or doubling a view.
        real_add, real_forget = view_counts.add_views_to_articles, ViewBuffer.forget_batch

        def add_or_die(counts: dict[int, int]) -> int:
            if rng.random() < 0.2:
                raise ConnectionAbortedError("before writing")
            return real_add(counts)

        def forget_or_die(self: ViewBuffer, batch_id: str) -> None:
            if rng.random() < 0.2:
                raise ConnectionAbortedError("after commit")
            real_forget(self, batch_id)

        view_counts.add_views_to_articles = add_or_die
        ViewBuffer.forget_batch = forget_or_die
    rounds = 0
    while recorders_done.value < RECORDERS:
        try:
            flush_views()
        except ConnectionAbortedError as crash:
            crashes[str(crash)] += 1
        rounds += 1
        time.sleep(rng.uniform(0, 0.005))
    return {"rounds": rounds, **crashes}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_views_recorded_and_flushed_by_several_processes_are_each_counted_once(on_postgres, buffer):
    articles = [published() for _ in range(3)]
    Article.objects.filter(pk=articles[0].pk).update(view_count=50)
    article_ids = [a.pk for a in articles]
    recorders_done = FORK.Value("i", 0)

    reports = run_in_processes(partial(record_or_flush, article_ids, recorders_done), RECORDERS + FLUSHERS)

    assert_workers_succeeded(reports)
    flush_views()  # what arrived after the flushers' last round, and any batch a crash left
    recorded = sum((r.result for r in reports[:RECORDERS]), Counter())
    assert sum(recorded.values()) == RECORDERS * VIEWS_PER_RECORDER
    assert stored_views(*articles) == [
        recorded[article_ids[0]] + 50,
        recorded[article_ids[1]],
        recorded[article_ids[2]],
    ]
    assert sum(ViewFlush.objects.values_list("views", flat=True)) == RECORDERS * VIEWS_PER_RECORDER
    assert all(r.result["rounds"] > 0 for r in reports[RECORDERS:]), [r.result for r in reports[RECORDERS:]]
    assert_buffer_empty(buffer)


# --- Who counts as a reader -------------------------------------------------------------

# Real User-Agent strings, as each sends them.
CRAWLERS_AND_PREVIEWS = {
    "Googlebot": "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.6478.126 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Bingbot": "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; "
    "+http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
    "DuckDuckBot": "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
    "Baiduspider": "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "YandexBot": "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "Applebot": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
    "facebookexternalhit": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "iMessage": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) "
    "Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
    "Twitterbot": "Twitterbot/1.0",
    "Slackbot": "Slackbot 1.0 (+https://api.slack.com/robots)",
    "Slackbot-LinkExpanding": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Slack-ImgProxy": "Slack-ImgProxy (+https://api.slack.com/robots)",
    "Discordbot": "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "TelegramBot": "TelegramBot (like TwitterBot)",
    "WhatsApp": "WhatsApp/2.23.20.0 A",
    "LinkedInBot": "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Pinterestbot": "Mozilla/5.0 (compatible; Pinterestbot/1.0; +http://www.pinterest.com/bot.html)",
    "redditbot": "Mozilla/5.0 (compatible; redditbot/1.0; +http://www.reddit.com/feedback)",
    "Embedly": "Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)",
    "Iframely": "Iframely/1.3.1 (+https://iframely.com/docs/about)",
    "SkypeUriPreview": "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
    "Mastodon": "http.rb/5.1.1 (Mastodon/4.2.10; +https://mastodon.social/)",
    "an unnamed crawler": "Mozilla/5.0 (compatible; SomeCrawler/1.0)",
    "an unnamed spider": "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)",
    "curl": "curl/8.5.0",
    "Wget": "Wget/1.21.4",
    "python-requests": "python-requests/2.32.3",
    "python-urllib": "Python-urllib/3.11",
    "python-httpx": "python-httpx/0.27.0",
    "aiohttp": "Python/3.11 aiohttp/3.9.5",
    "Go-http-client": "Go-http-client/2.0",
}

BROWSERS = {
    "Chrome": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "Firefox": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Safari": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "mobile Safari": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Edge": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87",
    "Chrome on Android": "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36",
    # "bot" inside a phone's model name is not a robot.
    "a Cubot phone": "Mozilla/5.0 (Linux; Android 9; CUBOT P30) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.144 Mobile Safari/537.36",
    # The in-app browsers of the networks whose previewers are not counted carry people.
    "Facebook's in-app browser": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/470.0.0.34.107;FBBV/611417213;FBDV/iPhone15,2]",
    "LinkedIn's in-app browser": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.29.8",
    # No User-Agent at all names no robot (and is what bench/load.py sends).
    "no User-Agent": None,
}


def visit(client, article: Article, user_agent: str | None = None, **headers: str):
    if user_agent is not None:
        headers["User-Agent"] = user_agent
    return client.get(article.get_absolute_url(), headers=headers)


@pytest.mark.django_db
@pytest.mark.parametrize("user_agent", CRAWLERS_AND_PREVIEWS.values(), ids=CRAWLERS_AND_PREVIEWS.keys())
def test_crawlers_and_link_previews_are_served_the_page_but_count_no_view(counting, client, user_agent):
    article = published()
    response = visit(client, article, user_agent)
    assert response.status_code == 200
    assert article.title in response.content.decode()
    assert counted_views(article) == 0


@pytest.mark.django_db
@pytest.mark.parametrize("user_agent", BROWSERS.values(), ids=BROWSERS.keys())
def test_a_reader_in_a_browser_counts_one_view(client, user_agent):
    article = published()
    assert visit(client, article, user_agent).status_code == 200
    assert counted_views(article) == 1


@pytest.mark.django_db
def test_user_agents_are_judged_alike_every_time_and_only_short_ones_are_remembered(client):
    article = published()
    for _ in range(2):  # the second verdict comes from memory
        visit(client, article, CRAWLERS_AND_PREVIEWS["Googlebot"])
        visit(client, article, BROWSERS["a Cubot phone"])
    assert counted_views(article) == 2
    remembered = readers.remembered_verdict.cache_info().currsize
    # Longer than any browser's: matched, but not kept, whatever junk a client sends.
    visit(client, article, BROWSERS["Chrome"] + " x" * 300 + " Googlebot/2.1")
    visit(client, article, BROWSERS["Chrome"] + " y" * 300)
    assert counted_views(article) == 3
    assert readers.remembered_verdict.cache_info().currsize == remembered


@pytest.mark.django_db
@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Purpose": "prefetch"},
        {"Sec-Purpose": "prefetch;prerender"},
        {"Purpose": "prefetch"},
        {"X-Moz": "prefetch"},
    ],
    ids=["Sec-Purpose", "Sec-Purpose prerender", "Purpose", "X-Moz"],
)
def test_a_prefetch_is_served_but_counts_no_view(client, headers):
    article = published()
    assert visit(client, article, BROWSERS["Chrome"], **headers).status_code == 200
    assert counted_views(article) == 0


@pytest.mark.django_db
def test_a_head_request_counts_no_view(client):
    article = published()
    assert client.head(article.get_absolute_url(), headers={"User-Agent": BROWSERS["Firefox"]}).status_code == 200
    assert counted_views(article) == 0
