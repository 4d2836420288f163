"""Reads that shape a whole page, more than one QuerySet method can say."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Sum

from authors.models import Author
from authors.selectors import followers_reached

from .models import Article
from .view_counts import with_total_views


@dataclass(frozen=True)
class Dashboard:
    by_status: dict[Article.Status, list[Article]]
    totals: dict[str, int]


def author_dashboard(*, author: Author) -> Dashboard:
    """An author's articles in one table per status, and the totals over all of them.

    Each article carries ``followers_emailed``: how many followers its
    publication email reached (none before its first publication).
    """
    articles = with_total_views(author.articles.for_dashboard())
    by_status = {status: [] for status in Article.Status}
    reached = followers_reached(article.pk for article in articles)
    for article in articles:
        article.followers_emailed = reached.get(article.pk, 0)
        by_status[Article.Status(article.status)].append(article)
    # Each table in the order of the date it shows: drafts by their last
    # edit (as read), the next scheduled first, the newest publication first.
    by_status[Article.Status.SCHEDULED].sort(key=lambda article: article.published_at or article.updated_at)
    for status in (Article.Status.PUBLISHED, Article.Status.ARCHIVED):
        by_status[status].sort(key=lambda article: article.published_at or article.updated_at, reverse=True)
    totals = author.articles.aggregate(comments=Sum("comment_count", default=0))
    # From the rows already read, not the aggregate: a flush committing
    # between the two reads would show its batch twice.
    totals["views"] = sum(article.total_views for article in articles)
    return Dashboard(by_status=by_status, totals=totals)
