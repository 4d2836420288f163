"""Writes on articles that users, the admin and commands share."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from .models import Article


def publish_article(article: Article) -> Article:
    """Publish by hand: counts and notifies through the receivers like any save."""
    article.status = Article.Status.PUBLISHED
    article.save(update_fields=["status"])
    return article


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
        with transaction.atomic():
            article = due.select_for_update().filter(pk=pk).first()
            if article is None:
                continue
            publish_article(article)
        published.append(article)
    return published
