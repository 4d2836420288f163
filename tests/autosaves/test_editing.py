"""The article form and autosaves: the offer with its diff, Restore, Discard, and the save that removes them."""

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.forms import article_version
from articles.models import Article
from autosaves.editing import SAVED_DRAFT_COOKIE
from autosaves.models import Autosave
from autosaves.services import DraftText, save_autosave
from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db

WRITE_URL = reverse("article_write")
OFFER = "is newer than the saved text"


def edit_url(article: Article) -> str:
    return reverse("article_edit", kwargs={"slug": article.slug})


@pytest.fixture
def article(author):
    return ArticleFactory(author=author, title="Stored title", excerpt="", body="The first line.\nThe second line.")


def autosave(user, article, *, body="The first line.\nThe second line, longer.", title="Stored title", version=None):
    if version is None and article is not None:
        version = article_version(Article.objects.get(pk=article.pk))
    save_autosave(user=user, article=article, text=DraftText(title, "", body), base_version=version or "")


def edit_form_data(article: Article, **overrides) -> dict:
    article = Article.objects.get(pk=article.pk)
    data = {
        "title": article.title,
        "slug": article.slug,
        "body": article.body,
        "excerpt": article.excerpt,
        "category": article.category_id or "",
        "status": article.status,
        "published_at": "",
        "version": article_version(article),
    }
    return {**data, **overrides}


def test_the_edit_form_offers_a_newer_autosave_with_its_diff(client, author, article):
    autosave(author.user, article)
    client.force_login(author.user)
    page = client.get(edit_url(article)).content.decode()
    assert OFFER in page
    assert "The second line<ins>, longer</ins>." in page  # articles.revisions.text_diff, word by word
    assert "was saved since" not in page
    assert 'href="?autosave=restore"' in page
    assert reverse("discard_article_autosave", kwargs={"slug": article.slug}) in page


def test_an_autosave_holding_the_saved_text_is_not_offered(client, author, article):
    Autosave.objects.create(
        user=author.user, article=article, title=article.title, body=article.body + "\n", updated_at=timezone.now()
    )
    client.force_login(author.user)
    assert OFFER not in client.get(edit_url(article)).content.decode()


def test_the_offer_says_when_the_article_was_saved_since_the_autosave_began(client, author, article):
    autosave(author.user, article, version="2020-01-01T00:00:00+00:00|draft")
    client.force_login(author.user)
    page = client.get(edit_url(article)).content.decode()
    assert OFFER in page
    assert "The article was saved since this autosave began" in page


def test_each_user_is_offered_only_their_own_autosave(client, author, article):
    autosave(author.user, article)
    editor = UserFactory(is_staff=True)
    client.force_login(editor)
    assert OFFER not in client.get(edit_url(article)).content.decode()


def test_restore_opens_the_form_on_the_autosaves_text_without_saving_it(client, author, article):
    autosave(author.user, article, title="A new title")
    client.force_login(author.user)
    response = client.get(edit_url(article) + "?autosave=restore")
    form = response.context["form"]
    assert form["title"].value() == "A new title"
    assert form["body"].value() == "The first line.\nThe second line, longer."
    # The version of the article as stored now: a later change by someone else is still refused.
    assert form["version"].value() == article_version(Article.objects.get(pk=article.pk))
    page = response.content.decode()
    assert OFFER not in page and "It is not saved yet" in page
    assert Article.objects.get(pk=article.pk).title == "Stored title"


def test_restore_on_the_new_article_form(client, author):
    autosave(author.user, None, title="Unsaved idea", body="Notes")
    client.force_login(author.user)
    assert OFFER in client.get(WRITE_URL).content.decode()
    form = client.get(WRITE_URL + "?autosave=restore").context["form"]
    assert (form["title"].value(), form["body"].value()) == ("Unsaved idea", "Notes")


def test_discard_removes_only_your_own_autosave_and_returns_to_the_form(client, author, article):
    editor = UserFactory(is_staff=True)
    autosave(author.user, article)
    autosave(editor, article)
    client.force_login(author.user)
    response = client.post(reverse("discard_article_autosave", kwargs={"slug": article.slug}))
    assert response.status_code == 302 and response.url == edit_url(article)
    assert list(Autosave.objects.values_list("user", flat=True)) == [editor.pk]


def test_discard_needs_a_signed_in_user_and_a_post(client, author, article):
    autosave(author.user, article)
    url = reverse("discard_article_autosave", kwargs={"slug": article.slug})
    assert client.post(url).status_code == 302  # to the login page
    client.force_login(author.user)
    assert client.get(url).status_code == 405
    assert Autosave.objects.count() == 1
    assert client.post(reverse("discard_article_autosave", kwargs={"slug": "gone"})).status_code == 404


def test_saving_the_edit_form_removes_your_autosave_and_tells_the_browser(client, author, article):
    editor = UserFactory(is_staff=True)
    autosave(author.user, article)
    autosave(editor, article)
    client.force_login(author.user)
    response = client.post(edit_url(article), edit_form_data(article, body="Saved for real."))
    assert response.status_code == 302
    assert Article.objects.get(pk=article.pk).body == "Saved for real."
    assert list(Autosave.objects.values_list("user", flat=True)) == [editor.pk]
    assert response.cookies[SAVED_DRAFT_COOKIE].value == f"{author.user.pk}.{article.pk}"


def test_a_stale_edit_keeps_the_autosave(client, author, article):
    autosave(author.user, article)
    client.force_login(author.user)
    data = edit_form_data(article, body="Too late", version="2020-01-01T00:00:00+00:00|draft")
    response = client.post(edit_url(article), data)
    assert response.status_code == 200  # refused, with the input kept
    assert Autosave.objects.count() == 1
    assert SAVED_DRAFT_COOKIE not in response.cookies
    # The form sent back holds unsaved text: the script autosaves it at once.
    assert "data-autosave-unsaved" in response.content.decode()


def test_creating_the_article_removes_the_new_article_autosave(client, author):
    autosave(author.user, None, title="Idea", body="Notes")
    client.force_login(author.user)
    data = {"title": "Idea", "slug": "", "body": "Notes", "excerpt": "", "category": "", "status": "draft"}
    response = client.post(WRITE_URL, data)
    assert response.status_code == 302
    assert not Autosave.objects.exists()
    assert response.cookies[SAVED_DRAFT_COOKIE].value == f"{author.user.pk}.new"


def test_the_form_carries_the_autosave_settings_for_the_script(client, author, article):
    client.force_login(author.user)
    page = client.get(edit_url(article)).content.decode()
    assert f'data-autosave-url="{reverse("autosave_article", kwargs={"slug": article.slug})}"' in page
    assert f'data-autosave-key="{author.user.pk}.{article.pk}"' in page
    assert 'aria-live="polite" data-autosave-status' in page
    assert "js/autosave.js" in page
    assert "data-autosave-unsaved" not in page


def test_deleting_the_article_deletes_its_autosaves(author, article):
    autosave(author.user, article)
    article.delete()
    assert not Autosave.objects.exists()
