"""Writes on articles that users, the admin and commands share."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from blogsite.write_source import Source, writing_from

from .models import Article


def set_article_status(
    article: Article, status: Article.Status, *, published_at: datetime.datetime | None = None
) -> Article:
    """Move the article to ``status``: counted and announced by the receivers like any save.

    ``published_at`` is the planned time of a scheduled article, or the past
    date of a first publication; without it the stored date stays, and the
    receivers give an article published for the first time the present one.

    Opens no transaction of its own: the save is atomic by itself, the
    receivers' counter updates included (``CountedModel.save``). A caller that
    must read and write in one transaction opens it around the call.
    """
    article.status = status
    fields = ["status"]
    if published_at is not None:
        article.published_at = published_at
        fields.append("published_at")
    article.save(update_fields=fields)
    return article


def publish_article(article: Article) -> Article:
    """Publish by hand: ``set_article_status`` to published, with no transaction of its own either."""
    return set_article_status(article, Article.Status.PUBLISHED)


def publish_due_articles(*, now: datetime.datetime | None = None) -> list[Article]:
    """Publish every scheduled article whose time has come, each in its own transaction.

    Two runs at once publish each article once: the row is re-read under lock
    with the same conditions, so the run that waited finds it no longer
    scheduled and leaves it alone.
    """
    now = now or timezone.now()
    due = Article.objects.filter(status=Article.Status.SCHEDULED, published_at__lte=now)
    published = []
    for pk in due.order_by("published_at", "pk").values_list("pk", flat=True):
        # The scheduler's work, whichever task, command or test runs it.
        with writing_from(Source.SCHEDULER), transaction.atomic():
            article = due.select_for_update().filter(pk=pk).first()
            if article is None:
                continue
            publish_article(article)
        published.append(article)
    return published
