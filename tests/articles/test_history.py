"""An article's history page, the comparison of two revisions, and restoring one (articles/history.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.forms import STALE_MESSAGE, article_version
from articles.models import Article, ArticleRedirect, ArticleRevision
from articles.revisions import text_diff
from articles.signals import article_publishing
from authors.services import follow_author
from comments.services import add_comment
from tests.conftest import assert_counters_exact
from tests.factories import ArticleFactory, CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def history_url(article: Article) -> str:
    return reverse("article_history", kwargs={"slug": article.slug})


def restore_url(article: Article, revision: ArticleRevision) -> str:
    return reverse("article_restore", kwargs={"slug": article.slug, "revision": revision.history_id})


def compare_url(article: Article, older: ArticleRevision, newer: ArticleRevision) -> str:
    return reverse("article_compare", kwargs={"slug": article.slug}) + f"?from={older.history_id}&to={newer.history_id}"


def revisions(article: Article) -> list[ArticleRevision]:
    return list(ArticleRevision.objects.filter(id=article.pk).order_by("history_id"))


def edited(article: Article, **fields) -> Article:
    for name, value in fields.items():
        setattr(article, name, value)
    article.save()
    return article


@pytest.fixture
def article(author):
    article = ArticleFactory(author=author, status="published", title="Tomatoes", body="Water them.\nStake them.")
    return edited(article, body="Water them at dawn.\nStake them.")


@pytest.fixture
def author_client(client, author):
    client.force_login(author.user)
    return client


# --- who sees it ---------------------------------------------------------------


def test_the_history_is_for_the_author_and_staff_only(client, article):
    assert client.get(history_url(article)).status_code == 302  # a guest: log in first
    client.force_login(UserFactory())
    assert client.get(history_url(article)).status_code == 403
    client.force_login(UserFactory(is_staff=True))
    assert client.get(history_url(article)).status_code == 200
    assert client.get(reverse("article_history", kwargs={"slug": "no-such-article"})).status_code == 404


def test_the_history_lists_revisions_newest_first_with_who_and_what_changed(author_client, article, author):
    page = author_client.get(history_url(article)).content.decode()
    newest, first = revisions(article)[::-1]
    assert page.index(f"revision-{newest.history_id}") < page.index(f"revision-{first.history_id}")
    assert "first revision" in page and "<td>body</td>" in page  # what the edit changed
    assert "current" in page and "from a shell or command" in page


def test_a_history_page_costs_the_same_queries_at_5_and_at_60_revisions(author_client, article):
    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert author_client.get(history_url(article)).status_code == 200
        return len(captured.captured_queries)

    for number in range(3):
        edited(article, body=f"Version {number}")
    few = queries_for_page()
    for number in range(55):
        edited(article, body=f"Version {number + 3}")
    assert queries_for_page() == few
    assert author_client.get(history_url(article), {"page": 3}).status_code == 200


# --- comparing -----------------------------------------------------------------


def test_comparing_two_revisions_marks_the_words_removed_and_added(author_client, article):
    older, newer = revisions(article)
    page = author_client.get(compare_url(article, older, newer)).content.decode()
    assert "Water them<ins> at dawn</ins>." in page
    assert "Stake them." in page


def test_a_cover_and_a_category_change_are_named(author_client, article):
    food, cooking = CategoryFactory(name="Food"), CategoryFactory(name="Cooking")
    edited(article, category=food)
    edited(article, category=cooking, cover="covers/2026/12/tomato.png")
    *_, before, after = revisions(article)
    page = author_client.get(compare_url(article, before, after)).content.decode()
    assert "<del>Food</del> → <ins>Cooking</ins>" in page
    assert "<ins>covers/2026/12/tomato.png</ins> added" in page


def test_the_history_shows_the_cover_of_each_revision_that_changed_it(author_client, article):
    edited(article, cover="covers/2026/12/tomato.png")
    edited(article, body="Water them at noon.")
    edited(article, cover="covers/2026/12/staked.png")
    page = author_client.get(history_url(article)).content.decode()
    assert page.count('alt="The cover of this revision"') == 2  # not the body's edit, nor those before a cover
    assert page.index("/media/covers/2026/12/staked.png") < page.index("/media/covers/2026/12/tomato.png")


def test_the_diff_escapes_what_it_shows():
    assert text_diff("a <b>", "a <i>") == "a &lt;<del>b</del><ins>i</ins>&gt;"


def test_line_ends_alone_are_no_change():
    assert text_diff("one\r\ntwo", "one\ntwo") == "one\ntwo"


def test_comparing_needs_two_revisions_of_this_article(author_client, article):
    other = ArticleFactory(author=article.author)
    older, _ = revisions(article)
    [foreign] = revisions(other)
    assert author_client.get(compare_url(article, older, foreign)).status_code == 404
    assert (
        author_client.get(reverse("article_compare", kwargs={"slug": article.slug}), {"from": "x"}).status_code == 404
    )


# --- restoring -----------------------------------------------------------------


def test_restoring_writes_the_old_text_back_as_a_new_revision_and_keeps_it_published(author_client, article, reader):
    follow_author(user=reader, author=article.author)
    publications = []

    def published(sender, article, **kwargs):
        publications.append(article.pk)

    article_publishing.connect(published, sender=Article, dispatch_uid="test.restore.publishing")
    first, _ = revisions(article)
    response = author_client.post(restore_url(article, first), {"version": article_version(article)}, follow=True)
    assert "Restored the text of" in response.content.decode()
    article.refresh_from_db()
    assert article.body == "Water them.\nStake them." and article.status == Article.Status.PUBLISHED
    assert "Water them." in article.body_html
    latest = revisions(article)[-1]
    assert (latest.body, latest.history_user) == ("Water them.\nStake them.", article.author.user)
    assert len(revisions(article)) == 3
    article_publishing.disconnect(dispatch_uid="test.restore.publishing", sender=Article)
    # No publication: the followers' email (sent on article_publishing) is not sent again.
    assert publications == []
    assert_counters_exact()


def test_restoring_never_writes_counters_back(author_client, article, reader):
    first, _ = revisions(article)
    add_comment(article=article, user=reader, body="Noted.")
    Article.objects.filter(pk=article.pk).update(view_count=41)
    article.refresh_from_db()
    author_client.post(restore_url(article, first), {"version": article_version(article)})
    article.refresh_from_db()
    assert (article.comment_count, article.view_count) == (1, 41)


def test_restoring_an_old_category_and_address_moves_the_counts_and_leaves_a_redirect(author_client, author):
    food, cooking = CategoryFactory(name="Food"), CategoryFactory(name="Cooking")
    article = ArticleFactory(author=author, status="published", category=food, slug="first-address")
    edited(article, category=cooking, slug="second-address")
    first = revisions(article)[0]
    author_client.post(restore_url(article, first), {"version": article_version(article)})
    article.refresh_from_db()
    assert (article.category, article.slug) == (food, "first-address")
    assert ArticleRedirect.objects.get(old_slug="second-address").article == article
    food.refresh_from_db(), cooking.refresh_from_db()
    assert (food.article_count, cooking.article_count) == (1, 0)
    assert_counters_exact()


def test_a_stale_restore_is_refused(author_client, article):
    first, _ = revisions(article)
    opened = article_version(article)
    edited(article, body="Someone else saved meanwhile.")
    response = author_client.post(restore_url(article, first), {"version": opened}, follow=True)
    assert STALE_MESSAGE in response.content.decode()
    article.refresh_from_db()
    assert article.body == "Someone else saved meanwhile."


def test_an_address_taken_since_is_kept_and_said(author_client, author):
    article = ArticleFactory(author=author, slug="wanted")
    edited(article, slug="moved")
    ArticleFactory(slug="wanted")  # another article takes the old address
    first = revisions(article)[0]
    response = author_client.post(restore_url(article, first), {"version": article_version(article)}, follow=True)
    assert "Its address then, wanted, is another article&#x27;s now: it keeps moved." in response.content.decode()
    article.refresh_from_db()
    assert article.slug == "moved"


def test_another_author_cannot_restore(client, article):
    first, _ = revisions(article)
    client.force_login(UserFactory())
    assert client.post(restore_url(article, first), {"version": article_version(article)}).status_code == 403
    article.refresh_from_db()
    assert article.body == "Water them at dawn.\nStake them."


def test_the_admin_history_lists_the_revisions_and_offers_no_revert(client, article):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    edited(article, title="Tomatoes, staked")
    page = client.get(reverse("admin:articles_article_history", args=[article.pk])).content.decode()
    assert "Tomatoes, staked" in page and "Revert" not in page
    newest = revisions(article)[-1]
    detail = reverse("admin:articles_article_simple_history", args=[article.pk, newest.history_id])
    client.post(detail, {"title": "Sneaked in"})  # a revert posted by hand changes nothing
    article.refresh_from_db()
    assert article.title == "Tomatoes, staked"
