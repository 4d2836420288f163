"""Writes on comments that views, the admin and commands share."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from articles.models import Article
from blogsite.emails import absolute_url

from .models import Comment
from .screening import initial_status
from .spam_check import Client, Submission


def add_comment(
    *,
    article: Article,
    body: str,
    user: AbstractBaseUser | None = None,
    name: str = "",
    email: str = "",
    client: Client | None = None,
    parent: Comment | None = None,
    notify_replies: bool = False,
) -> Comment:
    """A signed-in reader's comment is approved at once, unless screening holds it; a guest's waits.

    ``client`` is where a web request's comment came from: given, the spam
    checker (if configured) sees the comment before it is stored. Commands and
    the demo pass none. Call it outside any transaction when a checker is set:
    the check is a network call.

    ``parent`` is the comment this one answers (checked by
    comments.replies.reply_target); ReplyParentGone if it was deleted or
    hidden since.
    """
    signed_in = user is not None and user.is_authenticated
    if signed_in:
        name, email = user.get_full_name() or user.get_username(), user.email
    submission = None
    if client is not None:
        submission = Submission(
            client=client,
            article_url=absolute_url(article.get_absolute_url()),
            name=name,
            email=email,
            body=body,
            signed_in=signed_in,
        )
    status = initial_status(body=body, email=email, signed_in=signed_in, submission=submission)
    # No savepoint: nothing here needs a partial rollback (a first comment costs no more statements).
    with transaction.atomic(savepoint=False):
        if parent is not None:
            # Locked, so that it cannot be deleted or hidden between this check and the INSERT.
            shown = Comment.objects.select_for_update().filter(pk=parent.pk, status=Comment.Status.APPROVED)
            if not shown.exists():
                raise ReplyParentGone
        return Comment.objects.create(
            article=article,
            user=user if signed_in else None,
            name=name,
            email=email,
            body=body,
            status=status,
            parent=parent,
            depth=parent.depth + 1 if parent is not None else 0,
            notify_replies=notify_replies,
        )


class ReplyParentGone(Exception):
    """The comment a reply answers was deleted or hidden while the reply was being written."""


def moderate_comment(comment: Comment, status: Comment.Status) -> Comment | None:
    """Set the comment's status; None, changing nothing, when it was deleted meanwhile.

    A moderator works from a list loaded a while ago: the comment may have
    gone since, with its article or by another moderator's hand.
    """
    with transaction.atomic():
        # The lock the save's receiver takes anyway, taken first to see whether the row is still there.
        if not Comment.objects.select_for_update().filter(pk=comment.pk).exists():
            return None
        comment.status = status
        comment.save(update_fields=["status"])
    return comment


def approve_comment(comment: Comment) -> Comment | None:
    return moderate_comment(comment, Comment.Status.APPROVED)


def reject_comment(comment: Comment) -> Comment | None:
    return moderate_comment(comment, Comment.Status.REJECTED)
