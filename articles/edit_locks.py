"""An article's save followed by ``set()`` of its tags, as the forms do it: every counter row locked first.

The save counts the category and the author (``articles.receivers``), and
``set()`` then the tags it links (``articles.tag_counts``), each step in key
order. Together they lock a tag after the author, while a publication of
another of the author's articles locks that tag before the author: PostgreSQL
kills one of the two (``tests/test_concurrency_postgres.py``). The site's form
and the admin's lock every row either step may count before the save, in the
order every writer takes them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connections

from authors.models import Author
from blogsite.counters import lock_counted_rows

from .models import Article, ArticleTag, Category, Tag


def lock_rows_counted_by_edit(article: Article, tags: Iterable[Tag], using: str) -> None:
    """Lock what saving ``article`` as it is in memory and then setting ``tags`` may count.

    Both what the stored row names (the counts it leaves) and what the
    instance names (the counts it joins). Call it after the article's own row
    is locked: every writer takes that one first.
    """
    if not connections[using].features.has_select_for_update:
        return  # SQLite: one writer at a time (BEGIN IMMEDIATE), nothing to order
    categories = {article.category_id}
    authors = {article.author_id}
    linked: list[int] = []
    if article.pk is not None:
        stored = Article._base_manager.using(using).filter(pk=article.pk).values_list("category_id", "author_id")
        for category_id, author_id in stored:
            categories.add(category_id)
            authors.add(author_id)
        linked = list(ArticleTag.objects.using(using).filter(article_id=article.pk).values_list("tag_id", flat=True))
    lock_counted_rows(using, {Category: categories, Tag: {*linked, *(tag.pk for tag in tags)}, Author: authors})
