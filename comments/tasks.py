"""Email about comments: an approved one at once, the pending ones in one digest per round."""

from django.conf import settings
from django.urls import reverse
from procrastinate.contrib.django import app

from blogsite.emails import absolute_url, build_email, send_once
from blogsite.task_engine import RETRY_TRANSIENT_ERRORS

from .digest import send_comment_digests_now
from .models import Comment


def every_minutes(minutes: int) -> str:
    if minutes < 1 or 60 % minutes:
        raise ValueError(f"COMMENT_DIGEST_EVERY_MINUTES must divide an hour evenly, not {minutes}.")
    return f"*/{minutes} * * * *"


@app.task(retry=RETRY_TRANSIENT_ERRORS)
def notify_author_of_comment(comment_id: int) -> bool:
    """Tell the article's author about a new comment, with a link to moderate it if pending."""
    comment = Comment.objects.select_related("article__author__user").filter(pk=comment_id).first()
    if comment is None:  # deleted before the task ran
        return False
    author_user = comment.article.author.user
    if not author_user.email or comment.user_id == author_user.pk:
        return False
    context = {
        "comment": comment,
        "article": comment.article,
        "recipient": author_user,
        "article_url": absolute_url(comment.article.get_absolute_url()),
        "moderation_url": (
            absolute_url(reverse("admin:comments_comment_change", args=[comment.pk]))
            if comment.status == Comment.Status.PENDING
            else None
        ),
    }
    message = build_email("comments/email/new_comment", context, to=author_user.email)
    return send_once(message, key=f"comment:{comment_id}")


@app.task(retry=RETRY_TRANSIENT_ERRORS)
def notify_commenter_of_reply(comment_id: int) -> bool:
    """Tell a commenter who asked for it that someone answered them; once per reply, however often retried."""
    reply = Comment.objects.approved().select_related("parent", "article").filter(pk=comment_id).first()
    if reply is None or reply.parent is None:  # hidden or deleted since, or its parent removed
        return False
    parent = reply.parent
    if not parent.notify_replies or not parent.email or parent.email.casefold() == reply.email.casefold():
        return False
    context = {
        "reply": reply,
        "parent": parent,
        "article": reply.article,
        "reply_url": absolute_url(f"{reply.article.get_absolute_url()}#comment-{reply.pk}"),
    }
    return send_once(build_email("comments/email/reply", context, to=parent.email), key=f"reply:{comment_id}")


# ``lock``: two rounds never file the same comments at once (a round left by a
# killed worker is run again by the recovery sweep before the lock frees).
# Retried on transient errors: the digests are filed already, and the retry sends them.
@app.periodic(cron=every_minutes(settings.COMMENT_DIGEST_EVERY_MINUTES))
@app.task(lock="comments.digest", queueing_lock="comments.send_comment_digests", retry=RETRY_TRANSIENT_ERRORS)
def send_comment_digests(timestamp: int) -> int:
    """Email each author the pending comments they have not been told about, in one message."""
    return send_comment_digests_now()
