"""Receivers that keep authors' and categories' published counts exact.

Every path that writes an article — a form, the admin, a command, the shell,
a cascade — goes through these, so the counters cannot be bypassed by a view
that forgot to update them.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import Signal
from simple_history.signals import pre_create_historical_record

from blogsite.cascades import delete_started_above
from blogsite.counters import CounterDeltas, apply_pending_delete_deltas, atomic_block_cache, pending_delete_deltas
from blogsite.write_source import current_source

from . import tag_counts
from .cover_files import delete_unreferenced_covers_on_commit
from .cover_renditions import make_renditions_on_commit
from .models import Article, ArticleRedirect, ArticleRevision, Category
from .revision_records import CHANGES_CONTENT_ATTR, record_source
from .signals import (
    article_published,
    article_publishing,
    article_status_changed,
    article_unpublished,
    article_unpublishing,
    article_viewed,
)
from .transitions import ArticleState, ArticleTransition, settle_published_at, writes_status
from .view_counts import record_view

logger = logging.getLogger(__name__)

# Set by pre_save, consumed by post_save of the same save.
# The receiver that counts views; the page cache's front counts them itself
# when it is the only one (blogsite/page_cache_front.py).
COUNT_VIEW_UID = "articles.count_view"
_TRANSITION_ATTR = "_article_transition"
# Set by pre_delete, consumed by post_delete of the same delete.
_STORED_ATTR = "_article_stored_before_delete"


def send_on_commit(signal: Signal, article: Article, using: str) -> None:
    """Announce a transition once its transaction has committed; never inside it."""

    def send() -> None:
        # send_robust logs each failing receiver (logger "django.dispatch") and
        # goes on with the others: one broken listener never blocks the rest.
        signal.send_robust(sender=Article, article=article)

    transaction.on_commit(send, using=using)


def announce(in_transaction: Signal, after_commit: Signal, article: Article, using: str) -> None:
    """A transition's two announcements: durable effects inside the transaction, the rest after it."""
    # send, not send_robust: a receiver that cannot record its effect must
    # roll the transition back, never let it commit without the effect.
    in_transaction.send(sender=Article, article=article, using=using)
    send_on_commit(after_commit, article, using)


def judge_article_save(sender, instance: Article, raw: bool, using: str, update_fields, **kwargs) -> None:
    if raw:  # fixtures carry their own counters; recount_counters settles them
        return
    before = ArticleState.locked(instance, using)
    if writes_status(update_fields):
        settle_published_at(instance, before)
    after = ArticleState.written(instance, before, update_fields)
    transition = ArticleTransition(before, after)
    setattr(instance, _TRANSITION_ATTR, transition)
    # For the revision this save may make (articles/revision_records.py).
    setattr(instance, CHANGES_CONTENT_ATTR, after if transition.changes_content else None)


def count_article_save(sender, instance: Article, raw: bool, using: str, update_fields=None, **kwargs) -> None:
    if raw:
        return
    transition: ArticleTransition = instance.__dict__.pop(_TRANSITION_ATTR)
    deltas = CounterDeltas()
    transition.add_counter_deltas(deltas)
    # A new row has no tags yet: its tags are counted as they are added.
    if transition.before is not None and (transition.publishes or transition.unpublishes):
        tag_counts.add_publication_deltas(instance, +1 if transition.publishes else -1, deltas, using)
    deltas.apply(using)
    if transition.old_slug:
        remember_old_slug(instance, transition.old_slug, using)
    if transition.changes_status:
        before = transition.before.status if transition.before else None
        article_status_changed.send(
            sender=Article, article=instance, before=before, after=transition.after.status, using=using
        )
    if transition.replaced_cover:
        # Normally the revision before this one names it, and it stays for a
        # restore; gone only if nothing does (a row written without a save).
        delete_unreferenced_covers_on_commit([transition.replaced_cover], using=using)
    if stored_cover := newly_stored_cover(instance, transition, update_fields):
        make_renditions_on_commit(stored_cover, using=using)
    if transition.publishes:
        announce(article_publishing, article_published, instance, using)
    elif transition.unpublishes:
        announce(article_unpublishing, article_unpublished, instance, using)


def newly_stored_cover(article: Article, transition: ArticleTransition, update_fields) -> str | None:
    """The cover file this save put on the article, by the name storage gave it; None when the cover stayed."""
    if (update_fields is not None and "cover" not in update_fields) or "cover" in article.get_deferred_fields():
        return None
    # Read off the instance: the field stored the upload after pre_save, under a name it picked then.
    name = article.cover.name or ""
    before = transition.before.cover_name if transition.before else ""
    return name if name and name != before else None


def remember_old_slug(article: Article, old_slug: str, using: str) -> None:
    redirects = ArticleRedirect.objects.using(using)
    # Going back to an earlier slug: that address is live again, not a redirect.
    redirects.filter(old_slug=article.slug).delete()
    redirects.update_or_create(old_slug=old_slug, defaults={"article": article})


def stored_before_delete(article: Article, using: str, origin: object) -> ArticleState | None:
    """The stored row, locked; None if another process deleted it first."""
    if not delete_started_above(Article, origin):
        return ArticleState.locked(article, using)
    # An article cascades only from its author (a category's deletion sets it
    # to NULL), and then all of the author's articles are going: one locked
    # read for all of them instead of one per article (their category counts
    # still need it).
    stored = ArticleState.locked_where_once(using, author_id=article.author_id).get(article.pk)
    # Not among them: moved to another author (or deleted) since the delete
    # collected it. Read it alone, so whoever holds it now is counted right.
    return stored if stored is not None else ArticleState.locked(article, using)


def judge_article_delete(sender, instance: Article, using: str, origin=None, **kwargs) -> None:
    before = stored_before_delete(instance, using, origin)
    setattr(instance, _STORED_ATTR, before)
    deltas = pending_delete_deltas(using)
    ArticleTransition(before, None).add_counter_deltas(deltas)
    if before is not None and before.is_published:
        # Its links go with it and count nothing themselves (articles.tag_counts).
        in_cascade = {"author_id": instance.author_id} if delete_started_above(Article, origin) else {}
        tag_counts.add_publication_deltas(instance, -1, deltas, using, **in_cascade)
    if before is not None:  # None: another process deleted it first, and recorded it
        article_status_changed.send(sender=Article, article=instance, before=before.status, after=None, using=using)


def count_article_delete(sender, instance: Article, using: str, **kwargs) -> None:
    apply_pending_delete_deltas(using)
    before = instance.__dict__.pop(_STORED_ATTR, None)
    if ArticleTransition(before, None).unpublishes:
        announce(article_unpublishing, article_unpublished, instance, using)


# Set by a category's pre_delete, consumed by its post_delete.
_LOSING_CATEGORY_KEY = "articles.losing_category"


def note_articles_losing_category(sender, instance: Category, using: str, **kwargs) -> None:
    # Django empties a deleted category's articles with one UPDATE and no
    # save(): nothing else would give them the revision their change of category makes.
    pks = list(Article._base_manager.using(using).filter(category=instance).values_list("pk", flat=True))
    if pks:
        atomic_block_cache(using).setdefault(_LOSING_CATEGORY_KEY, []).extend(pks)


def keep_revisions_without_category(sender, instance: Category, using: str, **kwargs) -> None:
    pks = atomic_block_cache(using).pop(_LOSING_CATEGORY_KEY, None)
    if pks:
        emptied = list(Article._base_manager.using(using).filter(pk__in=pks))
        Article.revisions.bulk_history_create(
            emptied, update=True, custom_historical_attrs={"source": current_source()}
        )


def count_view(sender, article: Article, **kwargs) -> None:
    # A HINCRBY in Redis when views are buffered, else one F() UPDATE of the row.
    record_view(article.pk)


def register() -> None:
    pre_save.connect(judge_article_save, sender=Article, dispatch_uid="articles.judge_article_save")
    post_save.connect(count_article_save, sender=Article, dispatch_uid="articles.count_article_save")
    pre_delete.connect(judge_article_delete, sender=Article, dispatch_uid="articles.judge_article_delete")
    post_delete.connect(count_article_delete, sender=Article, dispatch_uid="articles.count_article_delete")
    pre_delete.connect(note_articles_losing_category, sender=Category, dispatch_uid="articles.note_losing_category")
    post_delete.connect(keep_revisions_without_category, sender=Category, dispatch_uid="articles.revisions_no_category")
    article_viewed.connect(count_view, sender=Article, dispatch_uid=COUNT_VIEW_UID)
    tag_counts.register()
    pre_create_historical_record.connect(record_source, sender=ArticleRevision, dispatch_uid="articles.record_source")
