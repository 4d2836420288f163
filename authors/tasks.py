"""Email to users and followers. Tasks take ids: they may run in another process later."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks import task

from articles.models import Article
from blogsite.emails import absolute_url, build_email


@task()
def send_welcome_email(user_id: int) -> None:
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None or not user.email:
        return
    context = {"user": user, "dashboard_url": absolute_url(reverse("dashboard"))}
    build_email("authors/email/welcome", context, to=user.email).send()


@task()
def notify_followers_of_publication(article_id: int) -> int:
    """Email every follower of the article's author, one message each, over one connection."""
    article = Article.objects.published().select_related("author__user").filter(pk=article_id).first()
    if article is None:  # unpublished or deleted before the task ran
        return 0
    followers = (
        get_user_model()
        .objects.filter(following__author=article.author_id, is_active=True)
        .exclude(email="")
        .order_by("pk")
    )
    context = {"article": article, "author": article.author, "article_url": absolute_url(article.get_absolute_url())}
    messages = [
        build_email("authors/email/new_article", {**context, "recipient": follower}, to=follower.email)
        for follower in followers
    ]
    if messages:
        with get_connection() as connection:
            connection.send_messages(messages)
    return len(messages)


@task()
def send_password_reset_email(user_id: int) -> None:
    """The reset link, made here rather than in the request: the one-time token never sits in a task queue."""
    user = get_user_model()._default_manager.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None:
        return
    site = urlsplit(settings.SITE_URL)
    context = {
        "user": user,
        "email": user.email,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
        # From the configured address, never from the request's Host header,
        # which an attacker can set to send the victim's token to their own site.
        "protocol": site.scheme,
        "domain": site.netloc,
        "site_name": "blogsite",
    }
    subject = " ".join(render_to_string("registration/password_reset_subject.txt", context).split())
    body = render_to_string("registration/password_reset_email.html", context)
    EmailMessage(subject, body, to=[user.email]).send()
