"""Receivers that write the audit log, inside the transaction of the change they record.

Status changes arrive through articles.signals (the counter receivers send
them once they have read the stored row under lock, so "before" is what was
really stored); follows through the Follow model's own signals. A delete's
entries are gathered at pre_delete and written at the first post_delete in
one INSERT, so deleting an author with a thousand articles costs one
statement here, not a thousand.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from articles.models import Article, Category
from articles.signals import article_status_changed, comment_status_changed
from authors.models import Follow
from blogsite.cascades import delete_started_above
from blogsite.counters import atomic_block_cache
from comments.models import Comment

from .models import AuditEntry
from .recording import article_action, comment_action, new_entry

_PENDING_KEY = "audit.pending_entries"


def record_article_status(
    sender, article: Article, before: str | None, after: str | None, using: str, **kwargs
) -> None:
    entry = new_entry(
        article_action(before, after),
        subject=f"“{article.title}”",
        # A deleted article's entry keeps its title; the link would be emptied anyway.
        article=article if after is not None else None,
        before=before or "",
        after=after or "",
        detail=scheduled_for(article) if after == Article.Status.SCHEDULED else "",
    )
    if after is None:
        atomic_block_cache(using).setdefault(_PENDING_KEY, []).append(entry)
    else:
        entry.save(using=using)


def scheduled_for(article: Article) -> str:
    return f"for {article.published_at:%Y-%m-%d %H:%M %Z}" if article.published_at else ""


def record_comment_status(
    sender, comment: Comment, article_id: int, before: str, after: str | None, using: str, **kwargs
) -> None:
    entry = new_entry(
        comment_action(after),
        subject=f"comment #{comment.pk} by {comment.name}",
        article_id=article_id,
        comment_number=comment.pk,
        before=before,
        after=after or "",
    )
    if after is None:
        atomic_block_cache(using).setdefault(_PENDING_KEY, []).append(entry)
    else:
        entry.save(using=using)


def write_pending_entries(sender, using: str, **kwargs) -> None:
    # Every pre_delete of a delete runs before its first post_delete: this one
    # finds the whole batch, the later ones nothing.
    entries = atomic_block_cache(using).pop(_PENDING_KEY, None)
    if entries:
        AuditEntry.objects.using(using).bulk_create(entries)


def record_category_delete(sender, instance: Category, using: str, **kwargs) -> None:
    # Its articles keep their text; each gets a revision without the category (articles.receivers).
    new_entry(AuditEntry.Action.DELETE_CATEGORY, subject=f"category “{instance.name}”").save(using=using)


def record_follow(sender, instance: Follow, created: bool, raw: bool, using: str, **kwargs) -> None:
    if created and not raw:
        new_entry(AuditEntry.Action.FOLLOW, subject=follow_subject(instance)).save(using=using)


def record_unfollow(sender, instance: Follow, using: str, origin=None, **kwargs) -> None:
    # A follow that goes with its follower's or author's account is not an unfollow.
    if not delete_started_above(Follow, origin):
        new_entry(AuditEntry.Action.UNFOLLOW, subject=follow_subject(instance)).save(using=using)


def follow_subject(follow: Follow) -> str:
    # Ids, not names: naming them would cost two queries per follow.
    return f"user #{follow.follower_id} following author #{follow.author_id}"


def register() -> None:
    article_status_changed.connect(record_article_status, sender=Article, dispatch_uid="audit.record_article_status")
    comment_status_changed.connect(record_comment_status, sender=Comment, dispatch_uid="audit.record_comment_status")
    for model in (Article, Comment):
        post_delete.connect(write_pending_entries, sender=model, dispatch_uid=f"audit.write_pending.{model.__name__}")
    post_delete.connect(record_category_delete, sender=Category, dispatch_uid="audit.record_category_delete")
    post_save.connect(record_follow, sender=Follow, dispatch_uid="audit.record_follow")
    post_delete.connect(record_unfollow, sender=Follow, dispatch_uid="audit.record_unfollow")
