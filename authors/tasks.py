"""Email to users and followers, each message sent once per (key, recipient) however often a job is retried."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from procrastinate.contrib.django import app

from articles.models import Article
from blogsite.emails import absolute_url, already_sent, build_email, send_once
from blogsite.task_engine import RETRY_TRANSIENT_ERRORS

from .unsubscribe import UnsubscribeLink, one_click_headers


def publication_key(article_id: int) -> str:
    """The idempotency key of an article's email to its author's followers: one per article, ever."""
    return f"article-published:{article_id}"


@app.task(retry=RETRY_TRANSIENT_ERRORS)
def send_welcome_email(user_id: int) -> bool:
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None or not user.email:
        return False
    context = {"user": user, "dashboard_url": absolute_url(reverse("dashboard"))}
    return send_once(build_email("authors/email/welcome", context, to=user.email), key=f"welcome:{user_id}")


@app.task(retry=RETRY_TRANSIENT_ERRORS)
def notify_followers_of_publication(article_id: int) -> int:
    """Email every follower of the article's author, over one connection; how many were sent now.

    Keyed by the article, not by the publication: a follower hears about an
    article once, ever, even if it is unpublished and published again.
    """
    article = Article.objects.published().select_related("author__user").filter(pk=article_id).first()
    if article is None:  # unpublished or deleted before the task ran
        return 0
    key = publication_key(article_id)
    followers = list(
        get_user_model()
        .objects.filter(following__author=article.author_id, is_active=True)
        .exclude(email="")
        .order_by("pk")
    )
    sent_before = already_sent(key, [follower.email for follower in followers])
    pending = [follower for follower in followers if follower.email not in sent_before]
    if not pending:
        return 0
    context = {"article": article, "author": article.author, "article_url": absolute_url(article.get_absolute_url())}
    sent = 0
    with get_connection() as connection:
        for follower in pending:
            link = UnsubscribeLink(follower_id=follower.pk, author_id=article.author_id)
            message = build_email(
                "authors/email/new_article",
                {**context, "recipient": follower, "unsubscribe_url": link.url()},
                to=follower.email,
            )
            message.extra_headers.update(one_click_headers(link))
            sent += send_once(message, key=key, connection=connection)
    return sent


@app.task(retry=RETRY_TRANSIENT_ERRORS)
def send_password_reset_email(user_id: int, request_id: str) -> bool:
    """The reset link, made here rather than in the request: the one-time token never sits in a task queue.

    ``request_id`` is drawn once per request for a reset: a retried job sends
    that request's email once, a second request sends another.
    """
    user = get_user_model()._default_manager.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None:
        return False
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
    return send_once(EmailMessage(subject, body, to=[user.email]), key=f"password-reset:{request_id}")
