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
) -> Comment:
    """A signed-in reader's comment is approved at once, unless screening holds it; a guest's waits.

    ``client`` is where a web request's comment came from: given, the spam
    checker (if configured) sees the comment before it is stored. Commands and
    the demo pass none. Call it outside any transaction when a checker is set:
    the check is a network call.
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
    return Comment.objects.create(
        article=article, user=user if signed_in else None, name=name, email=email, body=body, status=status
    )


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
