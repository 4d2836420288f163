"""factory_boy factories for the suite. Authors come from users (a receiver creates them)."""

import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory

from articles.models import Article, Category
from comments.models import Comment


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


def make_author(**user_fields):
    """A new user's Author profile, the way the site creates it."""
    return UserFactory(**user_fields).author


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")


class ArticleFactory(DjangoModelFactory):
    class Meta:
        model = Article

    title = factory.Sequence(lambda n: f"Article number {n}")
    body = "Some *Markdown* body."
    author = factory.LazyFunction(make_author)
    category = factory.SubFactory(CategoryFactory)
    status = Article.Status.DRAFT


class CommentFactory(DjangoModelFactory):
    class Meta:
        model = Comment

    article = factory.SubFactory(ArticleFactory)
    name = "A reader"
    email = "reader@example.com"
    body = "Nice article."
    status = Comment.Status.PENDING
