"""RSS feeds of published articles: the whole site, one category, one author.

A feed reader renders an RSS title or description as HTML: the feed's XML
escaping is undone when the reader parses the XML, so text escaped only that
once reaches the reader as live markup. Every title and description below is
escaped once more (as Django's own default ``item_title`` is), so what a user
wrote is shown as text. Author and category names are left to the XML
escaping alone: they go in ``<dc:creator>`` and ``<category>``, which readers
show as plain text, and a second escaping would show "&amp;" for "&".
"""

from __future__ import annotations

import html
from datetime import datetime

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse_lazy

from authors.models import Author

from .models import Article, ArticleQuerySet, Category, Tag

FEED_LENGTH = 20
DESCRIPTION_WORDS = 60


def as_html_text(text: str) -> str:
    """``text`` escaped as HTML element content.

    Quotes are left as typed: outside an attribute they mean nothing, and the
    readers that show titles as plain text then show them right.
    """
    return html.escape(text, quote=False)


class LatestArticlesFeed(Feed):
    # Our own words, with nothing in them to escape.
    title = "blogsite: latest articles"
    link = reverse_lazy("home")
    description = "The newest articles published on blogsite."

    def items(self, obj=None) -> ArticleQuerySet:
        # for_listing() joins author and category: the item hooks below read
        # both, so a feed costs one query however many items it has.
        return self.articles(obj)[:FEED_LENGTH]

    def articles(self, obj) -> ArticleQuerySet:
        return Article.objects.published().for_listing()

    def item_title(self, item: Article) -> str:
        return as_html_text(item.title)

    def item_description(self, item: Article) -> str:
        # summary() is plain text: escaped here exactly once.
        return as_html_text(item.summary(DESCRIPTION_WORDS, truncate="…"))

    def item_pubdate(self, item: Article) -> datetime | None:
        return item.published_at

    def item_updateddate(self, item: Article) -> datetime:
        return item.updated_at

    def item_author_name(self, item: Article) -> str:
        return str(item.author)

    def item_author_link(self, item: Article) -> str:
        return item.author.get_absolute_url()

    def item_categories(self, item: Article) -> list[str]:
        return [item.category.name] if item.category else []


class CategoryFeed(LatestArticlesFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Category:
        return get_object_or_404(Category, slug=slug)

    def articles(self, obj: Category) -> ArticleQuerySet:
        return super().articles(obj).filter(category=obj)

    def title(self, obj: Category) -> str:
        return as_html_text(f"blogsite: {obj.name}")

    def link(self, obj: Category) -> str:
        return obj.get_absolute_url()

    def description(self, obj: Category) -> str:
        return as_html_text(obj.description or f"The newest articles in {obj.name} on blogsite.")


class TagFeed(LatestArticlesFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Tag:
        return get_object_or_404(Tag, slug=slug)

    def articles(self, obj: Tag) -> ArticleQuerySet:
        return super().articles(obj).filter(tags=obj)

    def title(self, obj: Tag) -> str:
        return as_html_text(f"blogsite: tagged {obj.name}")

    def link(self, obj: Tag) -> str:
        return obj.get_absolute_url()

    def description(self, obj: Tag) -> str:
        return as_html_text(f"The newest articles tagged {obj.name} on blogsite.")


class AuthorFeed(LatestArticlesFeed):
    def get_object(self, request: HttpRequest, username: str) -> Author:
        return get_object_or_404(Author.objects.select_related("user"), user__username=username)

    def articles(self, obj: Author) -> ArticleQuerySet:
        return super().articles(obj).filter(author=obj)

    def title(self, obj: Author) -> str:
        return as_html_text(f"blogsite: articles by {obj}")

    def link(self, obj: Author) -> str:
        return obj.get_absolute_url()

    def description(self, obj: Author) -> str:
        return as_html_text(f"The newest articles by {obj} on blogsite.")
