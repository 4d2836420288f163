"""Receivers that keep each article's approved-comment count exact, and
record, with each new comment, the email that tells the article's author."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from articles.models import Article
from blogsite.counters import CounterDeltas, apply_pending_delete_deltas, atomic_block_cache, pending_delete_deltas
from blogsite.effects import defer_effect
from blogsite.stored_state import StoredState

from .models import Comment
from .tasks import notify_author_of_comment

_TRANSITION_ATTR = "_comment_transition"


@dataclass(frozen=True)
class CommentState(StoredState):
    model = Comment

    status: str
    article_id: int


def add_comment_deltas(deltas: CounterDeltas, before: CommentState | None, after: CommentState | None) -> None:
    for state, sign in ((before, -1), (after, +1)):
        if state is not None and state.status == Comment.Status.APPROVED:
            deltas.add(Article, "comment_count", state.article_id, sign)


def judge_comment_save(sender, instance: Comment, raw: bool, using: str, update_fields, **kwargs) -> None:
    if raw:
        return
    before = CommentState.locked(instance, using)
    setattr(instance, _TRANSITION_ATTR, (before, CommentState.written(instance, before, update_fields)))


def count_comment_save(sender, instance: Comment, created: bool, raw: bool, using: str, **kwargs) -> None:
    if raw:
        return
    before, after = instance.__dict__.pop(_TRANSITION_ATTR)
    deltas = CounterDeltas()
    add_comment_deltas(deltas, before, after)
    deltas.apply(using)
    if created and instance.status != Comment.Status.REJECTED:
        # In the comment's transaction: the email's job commits with the comment.
        defer_effect(notify_author_of_comment, using=using, comment_id=instance.pk)


def deleted_with_its_article(origin: object) -> bool:
    """Whether this delete started above the comment (an article, an author, a user).

    Comments cascade only from their article (``Comment.user`` is SET_NULL), so
    a delete that did not start from comments removes the article too, and
    with it the one counter a comment moves: nothing to count.
    """
    if origin is None or isinstance(origin, Comment):  # unknown origin: count as usual
        return False
    return not (isinstance(origin, QuerySet) and issubclass(origin.model, Comment))


def stored_with_its_article(comment: Comment, using: str) -> CommentState | None:
    """The comment as stored among its article's comments, all locked in one read; None if not among them.

    The comments of an article that is being deleted are locked here, before
    the article's own row (Django sends the comments' pre_delete first). A
    moderator locks the comment, then updates the article's count: taking
    the comments first too is what keeps the two from waiting on each other
    (a deadlock PostgreSQL would break by aborting one of them).
    """
    key = ("comments of article", comment.article_id)
    cache = atomic_block_cache(using)
    if key not in cache:
        cache[key] = CommentState.locked_where(using, article_id=comment.article_id)
    return cache[key].get(comment.pk)


def judge_comment_delete(sender, instance: Comment, using: str, origin=None, **kwargs) -> None:
    if deleted_with_its_article(origin) and stored_with_its_article(instance, using) is not None:
        # Its article is deleted with it, and with the article the one counter a comment moves.
        return
    # Deleted on its own; or moved to another article (or deleted) since the
    # cascade collected it: counted where it is stored now.
    add_comment_deltas(pending_delete_deltas(using), CommentState.locked(instance, using), None)


def count_comment_delete(sender, instance: Comment, using: str, **kwargs) -> None:
    apply_pending_delete_deltas(using)


def register() -> None:
    pre_save.connect(judge_comment_save, sender=Comment, dispatch_uid="comments.judge_comment_save")
    post_save.connect(count_comment_save, sender=Comment, dispatch_uid="comments.count_comment_save")
    pre_delete.connect(judge_comment_delete, sender=Comment, dispatch_uid="comments.judge_comment_delete")
    post_delete.connect(count_comment_delete, sender=Comment, dispatch_uid="comments.count_comment_delete")
