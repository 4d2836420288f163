"""What the site holds once seeded, for the command's report."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet, TextChoices

from articles.models import Article, Category
from authors.models import Author, Follow
from comments.models import Comment


@dataclass(frozen=True)
class SiteTotals:
    """How many of each thing the site holds, by status where there is one."""

    authors: int
    categories: int
    follows: int
    articles: dict[str, int]
    comments: dict[str, int]


def site_totals() -> SiteTotals:
    return SiteTotals(
        authors=Author.objects.count(),
        categories=Category.objects.count(),
        follows=Follow.objects.count(),
        articles=count_by_status(Article._base_manager.all(), Article.Status),
        comments=count_by_status(Comment._base_manager.all(), Comment.Status),
    )


def count_by_status(queryset: QuerySet, statuses: type[TextChoices]) -> dict[str, int]:
    """Every status, in declaration order, with its number of rows (zeros included)."""
    counts = dict(queryset.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n"))
    return {status.value: counts.get(status.value, 0) for status in statuses}
