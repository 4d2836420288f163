"""article_published / article_unpublished / article_viewed, and published_at."""

import datetime
import logging
from contextlib import contextmanager

import pytest
from django.db import transaction
from django.utils import timezone

from articles.models import Article
from articles.services import publish_article
from articles.signals import article_published, article_unpublished, article_viewed
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

PUBLISHED = Article.Status.PUBLISHED
SCHEDULED = Article.Status.SCHEDULED
DRAFT = Article.Status.DRAFT


@contextmanager
def recorded(signal):
    """Yields the list of articles the signal was sent for."""
    sent = []

    def receiver(sender, article, **kwargs):
        sent.append(article.title)

    signal.connect(receiver, sender=Article, dispatch_uid="test-recorder")
    try:
        yield sent
    finally:
        signal.disconnect(sender=Article, dispatch_uid="test-recorder")


def test_published_once_on_create_only_after_commit(django_capture_on_commit_callbacks):
    with recorded(article_published) as sent:
        with django_capture_on_commit_callbacks(execute=True):
            ArticleFactory(title="Fresh", status=PUBLISHED)
            assert sent == []  # not while the transaction is open
        assert sent == ["Fresh"]


def test_published_once_per_transition(django_capture_on_commit_callbacks):
    article = ArticleFactory(title="Flip", status=DRAFT)
    with recorded(article_published) as published, recorded(article_unpublished) as unpublished:
        with django_capture_on_commit_callbacks(execute=True):
            publish_article(article)
            article.title = "Flip"  # an edit of a published article is no new publication
            article.save()
            publish_article(article)
        with django_capture_on_commit_callbacks(execute=True):
            article.status = Article.Status.ARCHIVED
            article.save()
            article.status = DRAFT
            article.save()  # archived -> draft is not out of published again
    assert published == ["Flip"]
    assert unpublished == ["Flip"]


def test_deleting_a_published_article_sends_unpublished(django_capture_on_commit_callbacks):
    article = ArticleFactory(title="Gone", status=PUBLISHED)
    draft = ArticleFactory(title="Never published", status=DRAFT)
    with recorded(article_unpublished) as sent, django_capture_on_commit_callbacks(execute=True):
        article.delete()
        draft.delete()
    assert sent == ["Gone"]


def test_nothing_is_sent_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    article = ArticleFactory(status=DRAFT)
    with (
        recorded(article_published) as sent,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        publish_article(article)
        raise RuntimeError("the request failed after the save")
    assert (sent, callbacks) == ([], [])


def test_a_failing_receiver_is_logged_and_does_not_stop_the_others(django_capture_on_commit_callbacks, caplog):
    def broken(sender, article, **kwargs):
        raise ValueError("search index is down")

    article_published.connect(broken, sender=Article, dispatch_uid="test-broken")
    try:
        with (
            recorded(article_published) as sent,
            caplog.at_level(logging.ERROR, logger="django.dispatch"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            article = ArticleFactory(title="Still published", status=PUBLISHED)
    finally:
        article_published.disconnect(sender=Article, dispatch_uid="test-broken")
    assert sent == ["Still published"]
    assert "search index is down" in caplog.text
    assert Article.objects.get(pk=article.pk).status == PUBLISHED


def test_published_at_is_set_at_the_first_publication_and_kept():
    article = ArticleFactory(status=DRAFT)
    assert article.published_at is None
    publish_article(article)
    first = Article.objects.get(pk=article.pk).published_at
    assert first is not None and first <= timezone.now()

    article.status = DRAFT
    article.save(update_fields=["status"])
    publish_article(article)
    assert Article.objects.get(pk=article.pk).published_at == first


def test_a_stale_copy_without_a_date_does_not_erase_it():
    article = ArticleFactory(status=DRAFT)
    stale = Article.objects.get(pk=article.pk)
    publish_article(article)
    stale.title = "Edited"
    stale.status = PUBLISHED
    stale.save()
    assert Article.objects.get(pk=article.pk).published_at == article.published_at


def test_update_fields_naming_only_status_stores_published_at():
    article = ArticleFactory(status=DRAFT)
    article.status = PUBLISHED
    article.save(update_fields=["status"])
    assert Article.objects.get(pk=article.pk).published_at is not None


def test_publishing_a_scheduled_article_early_dates_it_now():
    planned = timezone.now() + datetime.timedelta(days=3)
    article = ArticleFactory(status=SCHEDULED, published_at=planned)
    assert Article.objects.get(pk=article.pk).published_at == planned  # holds the plan
    publish_article(article)
    stored = Article.objects.get(pk=article.pk).published_at
    assert stored < planned and timezone.now() - stored < datetime.timedelta(minutes=1)


def test_a_due_scheduled_article_keeps_its_planned_time():
    planned = timezone.now() - datetime.timedelta(minutes=5)
    article = ArticleFactory(status=SCHEDULED, published_at=planned)
    publish_article(article)
    assert Article.objects.get(pk=article.pk).published_at == planned


def test_a_backdated_publication_keeps_its_date():
    past = timezone.now() - datetime.timedelta(days=400)
    article = ArticleFactory(status=PUBLISHED, published_at=past)
    assert Article.objects.get(pk=article.pk).published_at == past


def test_each_view_adds_one_with_an_update_that_ignores_the_copy():
    article = ArticleFactory(status=PUBLISHED)
    for _ in range(3):
        article_viewed.send(sender=Article, article=article, request=None)
    article.title = "Edited from a copy loaded before the views"
    article.save()  # a full save from an old copy must not reset the tally
    assert Article.objects.get(pk=article.pk).view_count == 3


def test_reading_a_published_article_counts_a_view(client):
    article = ArticleFactory(status=PUBLISHED)
    client.get(article.get_absolute_url())
    client.get(article.get_absolute_url())
    assert Article.objects.get(pk=article.pk).view_count == 2


def test_drafts_are_hidden_from_readers_and_their_previews_not_counted(client, author):
    article = ArticleFactory(author=author, status=DRAFT)
    assert client.get(article.get_absolute_url()).status_code == 404
    client.force_login(author.user)
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200 and b"Preview" in response.content
    assert Article.objects.get(pk=article.pk).view_count == 0
