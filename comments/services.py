"""Writes on comments that views, the admin and commands share."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from articles.models import Article

from .models import Comment


def add_comment(
    *, article: Article, body: str, user: AbstractBaseUser | None = None, name: str = "", email: str = ""
) -> Comment:
    """A signed-in reader's comment is approved at once; a guest's waits for moderation."""
    if user is not None and user.is_authenticated:
        return Comment.objects.create(
            article=article,
            user=user,
            name=user.get_full_name() or user.get_username(),
            email=user.email,
            body=body,
            status=Comment.Status.APPROVED,
        )
    return Comment.objects.create(article=article, name=name, email=email, body=body)


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
