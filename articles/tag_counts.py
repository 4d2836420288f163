"""Receivers that keep each tag's published-article count exact.

A tag counts an article while the article is published and the link
between them exists, so a count moves when either changes:

- a link is made (``article.tags.add()``, ``tag.articles.add()``, ``set()``,
  a form's save, ``ArticleTag.objects.create()``) or removed (``remove()``,
  ``clear()``, ``set()``, a delete of links) while its article is published;
- an article with tags is published or leaves published (deleting it included).

Whether the article is published is read from its row under lock, in the
writing transaction, before the link changes (``m2m_changed`` pre_add, a
link's pre_save and pre_delete): the article's own saves take that lock too,
so a publication and a new tag at once are judged one after the other, and
each sees what the other committed. ``add()`` writes its links with
``bulk_create`` (no post_save): its ``post_add`` counts them; a removal is
counted at each link's delete (Django deletes them through a QuerySet, which
sends pre_delete per row), never at ``post_remove``, so nothing is counted
twice. Links that go with their article or their tag (a cascade) count
nothing here: the article's deletion counts them (articles.receivers), and a
deleted tag has no count left to keep.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from blogsite.cascades import delete_started_above
from blogsite.counters import CounterDeltas, apply_pending_delete_deltas, atomic_block_cache, pending_delete_deltas

from .models import Article, ArticleTag, Tag

# Set by pre_add (on the manager's instance), consumed by post_add.
_PUBLISHED_ATTR = "_tag_counts_published_articles"
_LINK_ATTR = "_tag_counts_article_published"


def published_among(article_ids: Iterable[int], using: str) -> set[int]:
    """Which of the articles are published, their rows locked until the transaction ends (in key order)."""
    rows = (
        Article._base_manager.using(using)
        .select_for_update()
        .filter(pk__in=sorted(set(article_ids)))
        .order_by("pk")
        .values_list("pk", "status")
    )
    return {pk for pk, status in rows if status == Article.Status.PUBLISHED}


def count_links(links: Iterable[tuple[int, int]], published: set[int], sign: int, deltas: CounterDeltas) -> None:
    for article_id, tag_id in links:
        if article_id in published:
            deltas.add(Tag, "article_count", tag_id, sign)


def links_of(instance, reverse: bool, pk_set: set[int]) -> list[tuple[int, int]]:
    """(article, tag) pairs of an add: from an article (``article.tags``) or from a tag (``tag.articles``)."""
    if reverse:
        return [(article_id, instance.pk) for article_id in pk_set]
    return [(instance.pk, tag_id) for tag_id in pk_set]


def judge_added_links(sender, instance, action: str, reverse: bool, pk_set, using: str, **kwargs) -> None:
    if action == "pre_add" and pk_set:
        articles = pk_set if reverse else [instance.pk]
        setattr(instance, _PUBLISHED_ATTR, published_among(articles, using))
        drop_links_made_meanwhile(instance, reverse, pk_set, using)
    elif action == "post_add" and pk_set:
        published = instance.__dict__.pop(_PUBLISHED_ATTR)
        deltas = CounterDeltas()
        count_links(links_of(instance, reverse, pk_set), published, +1, deltas)
        deltas.apply(using)


def drop_links_made_meanwhile(instance, reverse: bool, pk_set: set[int], using: str) -> None:
    """Leave out of the add what another writer linked since Django looked, before our lock.

    Django works out which links are missing, then sends pre_add with that
    very set and inserts it. Two writers adding the same tag to an article at
    once would both find it missing, and the second insert would fail on the
    unique key. Once the article rows are locked here, every other add to them
    has committed or waits: what is linked now is final, and taken out of the
    set, so the second writer adds nothing and counts nothing.
    """
    links = ArticleTag.objects.using(using)
    if reverse:
        linked = links.filter(tag_id=instance.pk, article_id__in=pk_set).values_list("article_id", flat=True)
    else:
        linked = links.filter(article_id=instance.pk, tag_id__in=pk_set).values_list("tag_id", flat=True)
    pk_set.difference_update(linked)


def judge_created_link(sender, instance: ArticleTag, raw: bool, using: str, **kwargs) -> None:
    # A link saved on its own (not through add()); an existing link re-saved
    # (an edit of which tag it points at) is refused: it would be a move.
    if raw:
        return
    if instance.pk is not None:
        raise ValueError("An article's tag is added or removed, never changed in place.")
    setattr(instance, _LINK_ATTR, bool(published_among([instance.article_id], using)))


def count_created_link(sender, instance: ArticleTag, created: bool, raw: bool, using: str, **kwargs) -> None:
    if raw or not instance.__dict__.pop(_LINK_ATTR, False):
        return
    deltas = CounterDeltas()
    deltas.add(Tag, "article_count", instance.tag_id, +1)
    deltas.apply(using)


def judge_removed_link(sender, instance: ArticleTag, using: str, origin=None, **kwargs) -> None:
    if delete_started_above(ArticleTag, origin):
        return  # with its article (counted there) or its tag (gone)
    removal = removal_under_lock(instance, origin, using)
    # Django collected the link before our lock, and sends post_delete for it
    # even if another writer deleted it meanwhile: only a link still there is uncounted.
    if instance.pk in removal.existing:
        count_links([(instance.article_id, instance.tag_id)], removal.published, -1, pending_delete_deltas(using))


@dataclass(frozen=True)
class Removal:
    published: set[int]  # the articles of the links, those published
    existing: set[int]  # the links (pks) still there once their articles are locked


def removal_under_lock(link: ArticleTag, origin, using: str) -> Removal:
    """The articles of the links being removed locked, then which links are still there, once per delete.

    Every writer of an article's links locks the article first, so once the
    lock is ours, what is linked is final. ``remove()``, ``clear()`` and
    ``set()`` delete links through a QuerySet (Django's ``origin``) that may
    span several articles: locking them one link at a time, in the order the
    links come, could deadlock with a writer locking the same articles in key
    order. Locked together, in key order, at the first link.
    """
    links = ArticleTag.objects.using(using)
    if not isinstance(origin, QuerySet):
        published = published_among([link.article_id], using)
        return Removal(published, set(links.filter(pk=link.pk).values_list("pk", flat=True)))
    key = ("articles.tag_counts.removal", id(origin))
    cache = atomic_block_cache(using)
    if key not in cache:
        published = published_among(origin.values_list("article_id", flat=True), using)
        cache[key] = Removal(published, set(origin.values_list("pk", flat=True)))
    return cache[key]


def count_removed_link(sender, instance: ArticleTag, using: str, **kwargs) -> None:
    apply_pending_delete_deltas(using)


def tag_ids_of(article: Article, using: str, *, author_id: int | None = None) -> list[int]:
    """The article's tags. In a cascade from its author, read once for all of the author's articles."""
    links = ArticleTag.objects.using(using)
    if author_id is None:
        return list(links.filter(article_id=article.pk).values_list("tag_id", flat=True))
    key = ("articles.tag_counts.links_of_author", author_id)
    cache = atomic_block_cache(using)
    if key not in cache:
        cache[key] = {}
        for article_id, tag_id in links.filter(article__author_id=author_id).values_list("article_id", "tag_id"):
            cache[key].setdefault(article_id, []).append(tag_id)
    return cache[key].get(article.pk, [])


def add_publication_deltas(article: Article, sign: int, deltas: CounterDeltas, using: str, **where) -> None:
    """An article entering (+1) or leaving (-1) published moves the count of each of its tags."""
    for tag_id in tag_ids_of(article, using, **where):
        deltas.add(Tag, "article_count", tag_id, sign)


def register() -> None:
    through = Article.tags.through
    m2m_changed.connect(judge_added_links, sender=through, dispatch_uid="articles.tag_counts.added")
    pre_save.connect(judge_created_link, sender=ArticleTag, dispatch_uid="articles.tag_counts.judge_created")
    post_save.connect(count_created_link, sender=ArticleTag, dispatch_uid="articles.tag_counts.count_created")
    pre_delete.connect(judge_removed_link, sender=ArticleTag, dispatch_uid="articles.tag_counts.judge_removed")
    post_delete.connect(count_removed_link, sender=ArticleTag, dispatch_uid="articles.tag_counts.count_removed")
