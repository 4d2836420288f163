"""Receivers of the authors app: a profile for every new user, and email to
followers when one of their authors publishes."""

from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save

from articles.models import Article
from articles.signals import article_published

from .models import Author
from .tasks import notify_followers_of_publication, send_welcome_email


def create_author_for_new_user(sender, instance, created: bool, raw: bool, using: str, **kwargs) -> None:
    # Not on raw loads: a fixture brings its own Author rows.
    if not created or raw:
        return
    Author.objects.using(using).get_or_create(user=instance)
    if instance.email:
        transaction.on_commit(partial(send_welcome_email.enqueue, instance.pk), using=using, robust=True)


def email_followers(sender, article: Article, **kwargs) -> None:
    # article_published is sent after commit: enqueueing here is safe.
    notify_followers_of_publication.enqueue(article.pk)


def register() -> None:
    post_save.connect(
        create_author_for_new_user, sender=settings.AUTH_USER_MODEL, dispatch_uid="authors.create_author_for_new_user"
    )
    article_published.connect(email_followers, sender=Article, dispatch_uid="authors.email_followers")
