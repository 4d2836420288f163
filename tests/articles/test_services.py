"""Status moves through articles.services: every one counted by the receivers, none in a transaction of its own."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article
from articles.services import publish_article, publish_due_articles, set_article_status
from tests.conftest import assert_counters_exact
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

Status = Article.Status


@pytest.mark.parametrize(
    ("start", "status", "counted"),
    [
        (Status.DRAFT, Status.PUBLISHED, 1),
        (Status.PUBLISHED, Status.DRAFT, 0),
        (Status.PUBLISHED, Status.ARCHIVED, 0),
        (Status.ARCHIVED, Status.PUBLISHED, 1),
    ],
)
def test_every_move_is_stored_and_counted(author, start, status, counted):
    article = ArticleFactory(author=author, status=start)
    set_article_status(article, status)
    article.refresh_from_db()
    author.refresh_from_db()
    assert (article.status, author.article_count, article.category.article_count) == (status, counted, counted)
    assert_counters_exact()


def test_a_first_publication_is_dated_now_and_a_later_one_keeps_that_date(author):
    article = ArticleFactory(author=author)
    before = timezone.now()
    set_article_status(article, Status.PUBLISHED)
    first = Article.objects.get(pk=article.pk).published_at
    assert first >= before
    set_article_status(article, Status.ARCHIVED)
    set_article_status(Article.objects.get(pk=article.pk), Status.PUBLISHED)
    assert Article.objects.get(pk=article.pk).published_at == first


def test_scheduling_stores_the_planned_time_and_counts_only_once_it_comes(author):
    when = timezone.now() + datetime.timedelta(days=3)
    article = set_article_status(ArticleFactory(author=author), Status.SCHEDULED, published_at=when)
    author.refresh_from_db()
    assert (Article.objects.get(pk=article.pk).published_at, author.article_count) == (when, 0)
    assert publish_due_articles(now=when) == [article]
    author.refresh_from_db()
    assert author.article_count == 1


def test_a_past_date_given_with_the_publication_is_kept(author):
    went_out = timezone.now() - datetime.timedelta(days=40)
    article = set_article_status(ArticleFactory(author=author), Status.PUBLISHED, published_at=went_out)
    assert Article.objects.get(pk=article.pk).published_at == went_out


def test_publish_article_is_the_move_to_published(author):
    article = publish_article(ArticleFactory(author=author))
    author.refresh_from_db()
    assert (Article.objects.get(pk=article.pk).status, author.article_count) == (Status.PUBLISHED, 1)


def test_a_move_opens_no_transaction_or_savepoint_of_its_own(author):
    # The test transaction is the caller's: the save joins it, as it would a view's or the admin's.
    article = ArticleFactory(author=author)
    with CaptureQueriesContext(connection) as queries:
        set_article_status(article, Status.PUBLISHED)
    assert not [q["sql"] for q in queries.captured_queries if "SAVEPOINT" in q["sql"].upper()]
