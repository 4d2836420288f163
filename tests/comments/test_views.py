"""Commenting from the article page, as a guest and as a signed-in reader."""

import pytest
from django.urls import reverse

from articles.models import Article
from comments.models import Comment
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def comment_url(article: Article) -> str:
    return reverse("comment_create", kwargs={"slug": article.slug})


def test_a_guest_comment_waits_for_moderation_and_is_not_shown(client):
    article = ArticleFactory(status="published")
    response = client.post(
        comment_url(article), {"name": "Guest", "email": "guest@example.com", "body": "First!"}, follow=True
    )
    html = response.content.decode()
    assert "awaits moderation" in html
    assert "First!" not in html
    comment = Comment.objects.get()
    assert (comment.status, comment.name, comment.user) == ("pending", "Guest", None)
    article.refresh_from_db()
    assert article.comment_count == 0


def test_a_signed_in_readers_comment_appears_at_once_and_counts(client, reader):
    article = ArticleFactory(status="published")
    client.force_login(reader)
    response = client.post(comment_url(article), {"body": "Well **argued**."}, follow=True)
    html = response.content.decode()
    assert "Your comment is published." in html
    assert "Well <strong>argued</strong>." in html
    article.refresh_from_db()
    assert article.comment_count == 1
    assert Comment.objects.get().user == reader


def test_a_guest_who_misses_fields_sees_errors_next_to_them_with_input_kept(client):
    article = ArticleFactory(status="published")
    response = client.post(comment_url(article), {"name": "", "email": "not-an-email", "body": "Kept text"})
    assert response.status_code == 200
    form = response.context["comment_form"]
    assert set(form.errors) == {"name", "email"}
    assert "Kept text" in response.content.decode()
    assert not Comment.objects.exists()


def test_a_script_in_a_comment_is_inert_text(client, reader):
    article = ArticleFactory(status="published")
    client.force_login(reader)
    html = client.post(comment_url(article), {"body": "<script>alert(1)</script>"}, follow=True).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("status", ["draft", "scheduled", "archived"])
def test_unpublished_articles_take_no_comments(client, reader, status):
    article = ArticleFactory(status=status)
    client.force_login(reader)
    assert client.post(comment_url(article), {"body": "Hello"}).status_code == 404
    assert not Comment.objects.exists()


def test_commenting_is_post_only_and_unknown_articles_are_404(client):
    article = ArticleFactory(status="published")
    assert client.get(comment_url(article)).status_code == 405
    assert client.post("/articles/nope/comments/", {"body": "x"}).status_code == 404


def test_posting_a_comment_does_not_count_a_view(client, reader):
    article = ArticleFactory(status="published")
    client.force_login(reader)
    client.post(comment_url(article), {"body": "Hi"})
    client.post(comment_url(article), {"body": ""})  # invalid: the page is rendered again
    article.refresh_from_db()
    assert article.view_count == 0
