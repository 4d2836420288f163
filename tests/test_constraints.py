"""The database itself backs the invariants: a bug that slipped past the receivers fails loudly."""

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from articles.models import Article, Category
from authors.models import Author, Follow
from tests.factories import ArticleFactory, CategoryFactory, UserFactory, make_author

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("model", "field", "make"),
    [
        (Author, "article_count", make_author),
        (Category, "article_count", CategoryFactory),
        (Article, "comment_count", ArticleFactory),
        (Article, "view_count", ArticleFactory),
    ],
)
def test_a_counter_can_never_go_below_zero(model, field, make):
    row = make()
    with pytest.raises(IntegrityError), transaction.atomic():
        model._base_manager.filter(pk=row.pk).update(**{field: F(field) - 1})
    assert getattr(model._base_manager.get(pk=row.pk), field) == 0


def test_two_articles_can_never_share_a_slug():
    first, second = ArticleFactory(title="One"), ArticleFactory(title="Two")
    # Bypassing the slug machinery entirely: the unique index still refuses it.
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=second.pk).update(slug=first.slug)


def test_a_reader_follows_an_author_once():
    author, reader = make_author(), UserFactory()
    Follow.objects.create(follower=reader, author=author)
    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(follower=reader, author=author)
