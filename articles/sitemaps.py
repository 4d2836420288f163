"""The sitemap: published articles, and the categories, tags and authors that have some."""

from __future__ import annotations

from datetime import datetime

from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet
from django.urls import reverse

from authors.models import Author

from .models import Article, ArticleQuerySet, Category, Tag


class ArticleSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self) -> ArticleQuerySet:
        # Only what the URL and lastmod need: bodies can be long.
        return Article.objects.published().only("slug", "updated_at").order_by("-published_at", "-pk")

    def lastmod(self, item: Article) -> datetime:
        return item.updated_at


class CategorySitemap(Sitemap):
    changefreq = "daily"
    priority = 0.5

    def items(self) -> QuerySet[Category]:
        # article_count is exactly the number of published articles (kept by the receivers).
        return Category.objects.filter(article_count__gt=0).order_by("slug")


class TagSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.4

    def items(self) -> QuerySet[Tag]:
        return Tag.objects.filter(article_count__gt=0).order_by("slug")


class AuthorSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.5

    def items(self) -> QuerySet[Author]:
        # The URL needs the username: join the user instead of a query per author.
        return Author.objects.filter(article_count__gt=0).select_related("user").order_by("user__username")


class StaticSitemap(Sitemap):
    changefreq = "daily"
    priority = 1.0

    def items(self) -> list[str]:
        return ["home"]

    def location(self, item: str) -> str:
        return reverse(item)


SITEMAPS: dict[str, type[Sitemap]] = {
    "articles": ArticleSitemap,
    "categories": CategorySitemap,
    "tags": TagSitemap,
    "authors": AuthorSitemap,
    "static": StaticSitemap,
}
