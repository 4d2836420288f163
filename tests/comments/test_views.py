"""Commenting from the article page, as a guest and as a signed-in reader."""

import re

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse

from articles.models import Article
from comments import forms as comment_forms
from comments.forms import CommentForm
from comments.models import Comment
from tests.factories import ArticleFactory, CommentFactory

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


# --- The comment form, kept by crispy's rendering but not re-walked per reader ------------


def form_html(html: str) -> str:
    """The comment form as the page writes it, the reader's CSRF token blanked."""
    form = re.search(r'<form method="post" action="[^"]*/comments/" novalidate>.*?</form>', html, re.S).group(0)
    return re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]+"', r'\1"', form)


@pytest.mark.parametrize("signed_in", [False, True], ids=["guest", "signed-in reader"])
def test_the_blank_form_is_what_crispy_writes(client, reader, signed_in):
    article = ArticleFactory(status="published")
    user = reader if signed_in else AnonymousUser()
    if signed_in:
        client.force_login(reader)
    fresh = as_crispy_form(CommentForm(user=user))

    html = client.get(article.get_absolute_url()).content.decode()

    assert CommentForm(user=user).as_crispy_html() == fresh
    assert fresh in html
    assert ('id="id_name"' in fresh, 'id="id_body"' in fresh) == (not signed_in, True)


@pytest.mark.parametrize("signed_in", [False, True], ids=["guest", "signed-in reader"])
def test_crispy_writes_the_blank_form_once_and_a_reply_form_each_time(client, reader, signed_in, monkeypatch):
    article = ArticleFactory(status="published")
    shown = CommentFactory(article=article, status=Comment.Status.APPROVED)
    if signed_in:
        client.force_login(reader)
    written = []
    monkeypatch.setattr(comment_forms, "_blank_form_html", {})
    monkeypatch.setattr(comment_forms, "as_crispy_form", lambda form: written.append(form) or as_crispy_form(form))

    for _ in range(3):
        assert client.get(article.get_absolute_url()).status_code == 200
    assert len(written) == 1
    # A reply form holds the comment it answers: written for its reader.
    client.get(f"{article.get_absolute_url()}?reply={shown.pk}")
    assert len(written) == 2 and written[-1].initial == {"parent": shown.pk}


def test_an_invalid_submission_shows_errors_next_to_fields_with_input_kept_and_leaves_the_blank_form_blank(client):
    article = ArticleFactory(status="published")
    posted = {"name": "", "email": "not-an-email", "body": 'Kept <b>text</b> & "quotes"'}

    invalid = client.post(comment_url(article), posted).content.decode()
    blank = client.get(article.get_absolute_url()).content.decode()

    form = CommentForm(posted, user=AnonymousUser())
    assert form_html(invalid).count(as_crispy_form(form)) == 1
    assert 'class="textinput form-control is-invalid"' in invalid
    assert '<div id="id_email_error" class="invalid-feedback">' in invalid
    assert 'value="not-an-email"' in invalid
    assert "Kept &lt;b&gt;text&lt;/b&gt; &amp; &quot;quotes&quot;</textarea>" in invalid
    # Nothing of that reader's submission reaches the next reader's form.
    assert form_html(blank) == form_html(client.get(article.get_absolute_url()).content.decode())
    for theirs in ("not-an-email", "Kept", "is-invalid", "invalid-feedback"):
        assert theirs not in form_html(blank)


def test_each_reader_gets_their_own_csrf_token_in_the_same_form(client):
    article = ArticleFactory(status="published")
    other = Client()
    pages = [c.get(article.get_absolute_url()).content.decode() for c in (client, other)]
    tokens = [re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1) for page in pages]
    assert tokens[0] != tokens[1]
    assert form_html(pages[0]) == form_html(pages[1])
