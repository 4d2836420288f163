"""Email about comments, sent once per comment however often the job is retried."""

from django.urls import reverse
from procrastinate.contrib.django import app

from blogsite.emails import absolute_url, build_email, send_once
from blogsite.task_engine import RETRY_TRANSIENT_ERRORS

from .models import Comment


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
