"""Email about comments. Tasks take ids: they may run in another process later."""

from django.urls import reverse
from django_tasks import task

from blogsite.emails import absolute_url, build_email

from .models import Comment


@task()
def notify_author_of_comment(comment_id: int) -> None:
    """Tell the article's author about a new comment, with a link to moderate it if pending."""
    comment = Comment.objects.select_related("article__author__user").filter(pk=comment_id).first()
    if comment is None:  # deleted before the task ran
        return
    author_user = comment.article.author.user
    if not author_user.email or comment.user_id == author_user.pk:
        return
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
    build_email("comments/email/new_comment", context, to=author_user.email).send()
