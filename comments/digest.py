"""The email that tells an author which comments wait for their moderation: one per round, not one per comment.

Each round (the periodic task comments.tasks.send_comment_digests) does two
things, each committed before the next:

1. File every pending comment no digest holds yet into a new digest for its
   article's author (one transaction; a comment is in one digest, ever).
2. Send every digest not marked sent, under the key ``comment-digest:<pk>``
   with ``send_once``, then mark it.

A worker killed after 1 leaves digests that the next round sends; killed
after the send but before the mark, the next round's ``send_once`` finds the
delivery and only marks it. Thirty guest comments in ten minutes are one
email, not thirty.
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from blogsite.emails import absolute_url, build_email, send_once

from .models import Comment, CommentDigest, DigestedComment


def untold_pending_comments():
    """Pending comments no digest holds, whose author can be emailed and did not write them."""
    return (
        Comment.objects.pending()
        .filter(digested__isnull=True)
        .exclude(article__author__user__email="")
        .exclude(user=F("article__author__user"))
    )


def file_untold_comments() -> list[CommentDigest]:
    """Step 1: a new digest per author with untold pending comments; the digests made."""
    with transaction.atomic():
        by_author: dict[int, list[int]] = defaultdict(list)
        for comment_pk, author_pk in untold_pending_comments().order_by("pk").values_list("pk", "article__author"):
            by_author[author_pk].append(comment_pk)
        digests = []
        for author_pk, comment_pks in sorted(by_author.items()):
            digest = CommentDigest.objects.create(author_id=author_pk)
            # Ignoring conflicts: a round running beside this one (it should not,
            # the task's lock says so) may have filed some; each stays in one digest.
            DigestedComment.objects.bulk_create(
                [DigestedComment(comment_id=pk, digest=digest) for pk in comment_pks], ignore_conflicts=True
            )
            digests.append(digest)
    return digests


def send_digest(digest: CommentDigest) -> bool:
    """Step 2 for one digest: the email of its comments still pending, once; whether it went now."""
    recipient = get_user_model()._default_manager.get(author=digest.author_id)
    comments = list(
        Comment.objects.pending()
        .filter(digested__digest=digest)
        .select_related("article")
        .order_by("article_id", "created_at", "pk")
    )
    sent = False
    if comments and recipient.email:  # all moderated already, or no address any more: nothing to say
        context = {
            "recipient": recipient,
            "comments": [
                (comment, absolute_url(reverse("admin:comments_comment_change", args=[comment.pk])))
                for comment in comments
            ],
            "queue_url": absolute_url(reverse("admin:comments_comment_changelist") + "?status__exact=pending"),
        }
        message = build_email("comments/email/pending_digest", context, to=recipient.email)
        sent = send_once(message, key=digest.email_key)
    CommentDigest.objects.filter(pk=digest.pk).update(sent_at=timezone.now())
    return sent


def send_comment_digests_now() -> int:
    """One round: file, then send what is unsent (this round's and any a killed worker left); emails sent."""
    file_untold_comments()
    unsent = CommentDigest.objects.filter(sent_at__isnull=True).order_by("pk")
    return sum(send_digest(digest) for digest in unsent)


def record_as_told(comments: list[Comment]) -> None:
    """File pending comments as if their authors had heard of them: demo content emails nobody (seed_demo)."""
    for comment in comments:
        digest = CommentDigest.objects.create(author_id=comment.article.author_id, sent_at=timezone.now())
        DigestedComment.objects.get_or_create(comment=comment, defaults={"digest": digest})
