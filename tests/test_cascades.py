"""Where a delete started (blogsite/cascades.py), as the pre_delete and post_delete receivers are told."""

from __future__ import annotations

from articles.models import Article
from authors.models import Author
from blogsite.cascades import delete_origin, delete_started_above
from comments.models import Comment


def test_a_delete_of_unknown_origin_is_judged_alone():
    assert delete_origin(None) is None
    assert not delete_started_above(Comment, None)


def test_a_delete_that_started_from_the_same_model_did_not_start_above():
    assert not delete_started_above(Comment, Comment())
    assert not delete_started_above(Comment, Comment.objects.filter(pk=1))


def test_a_delete_that_started_from_a_row_or_queryset_of_another_model_did():
    assert delete_started_above(Comment, Article())
    assert delete_started_above(Article, Author.objects.all())
    assert delete_origin(Author.objects.all()) is Author
