"""The autosave endpoints: who may autosave, what they answer, and that the article is never written."""

import json

import pytest
from django.urls import reverse

from articles.models import Article, ArticleRevision
from autosaves.models import Autosave
from tests.conftest import assert_counters_exact
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_URL = reverse("autosave_new_article")


def autosave_url(article: Article) -> str:
    return reverse("autosave_article", kwargs={"slug": article.slug})


def post_json(client, url: str, data) -> "object":
    body = data if isinstance(data, str | bytes) else json.dumps(data)
    return client.post(url, body, content_type="application/json")


def text(**overrides) -> dict:
    return {"title": "Typing", "excerpt": "", "body": "Half a sentence", "version": "", **overrides}


@pytest.fixture
def article(author):
    return ArticleFactory(author=author, title="Stored", body="Stored body", status=Article.Status.PUBLISHED)


def test_an_author_autosaves_their_article_and_gets_the_time_back(client, author, article):
    client.force_login(author.user)
    response = post_json(client, autosave_url(article), text(version="v1"))
    assert response.status_code == 200
    assert set(response.json()) == {"saved_at", "saved_at_label"}
    autosave = Autosave.objects.get()
    assert (autosave.user, autosave.article, autosave.body, autosave.base_version) == (
        author.user,
        article,
        "Half a sentence",
        "v1",
    )


def test_an_autosave_never_writes_the_article_its_revisions_or_counters(client, author, article):
    CommentFactory(article=article, status="approved")
    before = Article.objects.values().get(pk=article.pk)
    revisions = ArticleRevision.objects.count()
    client.force_login(author.user)
    for body in ("One", "One two", "One two three"):
        assert post_json(client, autosave_url(article), text(body=body)).status_code == 200
    assert Article.objects.values().get(pk=article.pk) == before  # updated_at and every counter included
    assert ArticleRevision.objects.count() == revisions
    assert_counters_exact()


def test_the_new_article_form_autosaves_without_an_article(client, author):
    client.force_login(author.user)
    assert post_json(client, NEW_URL, text()).status_code == 200
    assert post_json(client, NEW_URL, text(body="More")).status_code == 200
    assert list(Autosave.objects.values_list("article", "body")) == [(None, "More")]


def test_a_form_encoded_autosave_is_accepted_too(client, author, article):
    client.force_login(author.user)
    response = client.post(autosave_url(article), text(body="From a form"))
    assert response.status_code == 200
    assert Autosave.objects.get().body == "From a form"


def test_an_autosave_costs_the_session_the_user_the_article_and_one_update(
    client, author, article, django_assert_num_queries
):
    client.force_login(author.user)
    post_json(client, autosave_url(article), text())
    # Session, user, the article with its author (who may edit it), the UPDATE.
    with django_assert_num_queries(4):
        assert post_json(client, autosave_url(article), text(body="Later")).status_code == 200


def test_a_new_article_autosave_costs_the_session_the_user_the_author_and_one_update(
    client, author, django_assert_num_queries
):
    client.force_login(author.user)
    post_json(client, NEW_URL, text())
    with django_assert_num_queries(4):
        assert post_json(client, NEW_URL, text(body="Later")).status_code == 200


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("{not json", "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
        ("[1, 2]", "JSON object of strings"),
        ('{"title": 1, "excerpt": "", "body": ""}', "JSON object of strings"),
        ({"title": "t", "excerpt": ""}, "Body: This field is missing."),
        (text(body="x" * 200_001), "Body: Ensure this value has at most 200000 characters"),
        (text(title="x" * 201), "Title: Ensure this value has at most 200 characters"),
        (text(body="nul \x00 byte"), "Body: Null characters are not allowed."),
        ('{"title": "\\ud800", "excerpt": "", "body": ""}', "cannot be stored"),
    ],
    ids=["broken", "not-utf8", "array", "number", "missing", "body-too-long", "title-too-long", "nul", "surrogate"],
)
def test_bad_input_is_a_400_with_a_message_and_saves_nothing(client, author, article, payload, message):
    client.force_login(author.user)
    response = post_json(client, autosave_url(article), payload)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert message in response.json()["message"]
    assert not Autosave.objects.exists()


def test_a_signed_out_author_gets_a_401_not_the_login_page(client, article):
    response = post_json(client, autosave_url(article), text())
    assert response.status_code == 401
    assert response.json()["error"] == "signed_out"
    assert post_json(client, NEW_URL, text()).status_code == 401
    assert not Autosave.objects.exists()


def test_another_author_gets_a_403_and_staff_autosave_their_own(client, article):
    client.force_login(UserFactory(username="mallory"))
    response = post_json(client, autosave_url(article), text())
    assert (response.status_code, response.json()["error"]) == (403, "forbidden")
    editor = UserFactory(username="editor", is_staff=True)
    client.force_login(editor)
    assert post_json(client, autosave_url(article), text()).status_code == 200
    assert list(Autosave.objects.values_list("user__username", flat=True)) == ["editor"]


def test_a_user_without_an_author_profile_cannot_autosave_a_new_article(client):
    user = UserFactory()
    user.author.delete()
    client.force_login(user)
    assert post_json(client, NEW_URL, text()).status_code == 403


def test_an_unknown_article_is_a_404(client, author):
    client.force_login(author.user)
    response = post_json(client, reverse("autosave_article", kwargs={"slug": "no-such-article"}), text())
    assert (response.status_code, response.json()["error"]) == (404, "not_found")


def test_get_is_not_allowed(client, author):
    client.force_login(author.user)
    assert client.get(NEW_URL).status_code == 405


def test_the_endpoint_needs_the_forms_csrf_token(author, article):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(author.user)
    assert post_json(client, autosave_url(article), text()).status_code == 403
    client.get(reverse("article_edit", kwargs={"slug": article.slug}))
    token = client.cookies["csrftoken"].value
    response = client.post(
        autosave_url(article), json.dumps(text()), content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200
