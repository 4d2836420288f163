"""Receivers of the authors app: a profile for every new user, and email to
followers when one of their authors publishes."""

from django.conf import settings
from django.db.models.signals import post_save

from articles.models import Article
from articles.signals import article_publishing
from blogsite.effects import defer_effect

from .models import Author
from .tasks import notify_followers_of_publication, send_welcome_email


def create_author_for_new_user(sender, instance, created: bool, raw: bool, using: str, **kwargs) -> None:
    # Not on raw loads: a fixture brings its own Author rows.
    if not created or raw:
        return
    Author.objects.using(using).get_or_create(user=instance)
    if instance.email:
        defer_effect(send_welcome_email, using=using, user_id=instance.pk)


def email_followers(sender, article: Article, using: str, **kwargs) -> None:
    # Inside the publishing transaction: the job commits with the publication.
    defer_effect(notify_followers_of_publication, using=using, article_id=article.pk)


def register() -> None:
    post_save.connect(
        create_author_for_new_user, sender=settings.AUTH_USER_MODEL, dispatch_uid="authors.create_author_for_new_user"
    )
    article_publishing.connect(email_followers, sender=Article, dispatch_uid="authors.email_followers")
