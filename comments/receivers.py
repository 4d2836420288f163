"""Receivers that keep each article's approved-comment count exact, and
record, with each comment approved on arrival, the email that tells the
article's author (pending ones wait for the digest: comments/digest.py).

The twin of articles/receivers.py: a save is judged in pre_save against the
row as stored and counted in post_save; a delete is judged in pre_delete and
counted, with the rest of its batch, at the first post_delete.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from articles.signals import comment_status_changed
from blogsite.cascades import delete_started_above
from blogsite.counters import CounterDeltas, apply_pending_delete_deltas, pending_delete_deltas
from blogsite.effects import defer_effect

from .models import Comment
from .tasks import notify_author_of_comment, notify_commenter_of_reply
from .transitions import CommentState, CommentTransition

# Set by pre_save, consumed by post_save of the same save.
_TRANSITION_ATTR = "_comment_transition"


def judge_comment_save(sender, instance: Comment, raw: bool, using: str, update_fields, **kwargs) -> None:
    if raw:  # fixtures carry their own counters; recount_counters settles them
        return
    before = CommentState.locked(instance, using)
    after = CommentState.written(instance, before, update_fields)
    setattr(instance, _TRANSITION_ATTR, CommentTransition(before, after))


def count_comment_save(sender, instance: Comment, created: bool, raw: bool, using: str, **kwargs) -> None:
    if raw:
        return
    transition: CommentTransition = instance.__dict__.pop(_TRANSITION_ATTR)
    deltas = CounterDeltas()
    transition.add_counter_deltas(deltas)
    deltas.apply(using)
    if transition.before is not None and transition.after.status != transition.before.status:
        comment_status_changed.send(
            sender=Comment,
            comment=instance,
            article_id=transition.after.article_id,
            before=transition.before.status,
            after=transition.after.status,
            using=using,
        )
    if (
        instance.parent_id is not None
        and transition.after.is_approved
        and not (transition.before and transition.before.is_approved)
    ):
        # A reply shown from now on (posted approved, or approved later): its
        # parent's commenter hears of it once, if they asked (keyed by the reply).
        defer_effect(notify_commenter_of_reply, using=using, comment_id=instance.pk)
    if created and instance.status == Comment.Status.APPROVED:
        # In the comment's transaction: the email's job commits with the comment.
        # A pending comment defers nothing: its row is what the next digest
        # round finds, so a flood of them is one email, and none is lost.
        defer_effect(notify_author_of_comment, using=using, comment_id=instance.pk)


def stored_before_delete(comment: Comment, using: str, origin: object) -> CommentState | None:
    """The stored row, locked; None if its removal counts nothing (or another process deleted it first)."""
    if not delete_started_above(Comment, origin):
        return CommentState.locked(comment, using)
    # Comments cascade only from their article (``Comment.user`` is SET_NULL),
    # and their article's pre_delete comes after theirs: all of its comments
    # are locked here in one read, before the article's own row. A moderator
    # locks the comment, then updates the article's count: taking the comments
    # first too is what keeps the two from waiting on each other (a deadlock
    # PostgreSQL would break by aborting one of them).
    if comment.pk in CommentState.locked_where_once(using, article_id=comment.article_id):
        # Its article is deleted with it, and with the article the one counter a comment moves.
        return None
    # Not among them: moved to another article (or deleted) since the cascade
    # collected it. Read it alone, so the article it is on now is counted right.
    return CommentState.locked(comment, using)


def judge_comment_delete(sender, instance: Comment, using: str, origin=None, **kwargs) -> None:
    before = stored_before_delete(instance, using, origin)
    CommentTransition(before, None).add_counter_deltas(pending_delete_deltas(using))
    if before is not None:  # None: it goes with its article, or another process deleted it first
        comment_status_changed.send(
            sender=Comment,
            comment=instance,
            article_id=before.article_id,
            before=before.status,
            after=None,
            using=using,
        )


def count_comment_delete(sender, instance: Comment, using: str, **kwargs) -> None:
    apply_pending_delete_deltas(using)


def register() -> None:
    pre_save.connect(judge_comment_save, sender=Comment, dispatch_uid="comments.judge_comment_save")
    post_save.connect(count_comment_save, sender=Comment, dispatch_uid="comments.count_comment_save")
    pre_delete.connect(judge_comment_delete, sender=Comment, dispatch_uid="comments.judge_comment_delete")
    post_delete.connect(count_comment_delete, sender=Comment, dispatch_uid="comments.count_comment_delete")
