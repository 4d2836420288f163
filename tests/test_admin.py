"""Moderation in the admin: what staff see, and that their actions keep counts exact."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from articles.models import Article
from comments.models import Comment
from tests.conftest import assert_counters_exact
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_index_and_comment_list_show_how_many_comments_await_moderation(staff_client):
    article = ArticleFactory(status="published")
    CommentFactory.create_batch(3, article=article, status=Comment.Status.PENDING)
    CommentFactory(article=article, status=Comment.Status.APPROVED)

    index = staff_client.get(reverse("admin:index")).content.decode()
    changelist = staff_client.get(reverse("admin:comments_comment_changelist")).content.decode()

    assert "3 comments await moderation." in index
    assert "Comments: 3 pending moderation" in changelist


def test_approving_in_the_admin_shows_the_comment_and_counts_it(staff_client, client):
    article = ArticleFactory(status="published")
    comment = CommentFactory(article=article, body="Worth reading", status=Comment.Status.PENDING)

    response = staff_client.post(
        reverse("admin:comments_comment_changelist"),
        {"action": "approve", ACTION_CHECKBOX_NAME: [comment.pk]},
        follow=True,
    )

    assert "1 comment(s) approved." in response.content.decode()
    article.refresh_from_db()
    assert article.comment_count == 1
    assert_counters_exact()


@pytest.mark.parametrize(
    ("action", "status", "count"),
    [("publish", "published", 1), ("unpublish", "draft", 0), ("archive", "archived", 0)],
)
def test_article_actions_go_through_save_and_keep_counts(staff_client, action, status, count):
    article = ArticleFactory(status="published" if action != "publish" else "draft")
    staff_client.post(
        reverse("admin:articles_article_changelist"), {"action": action, ACTION_CHECKBOX_NAME: [article.pk]}
    )
    article.refresh_from_db()
    article.author.refresh_from_db()
    assert (article.status, article.author.article_count) == (status, count)
    assert_counters_exact()


def test_article_admin_filters_by_status_and_shows_counters_read_only(staff_client):
    draft = ArticleFactory(title="Still a draft")
    ArticleFactory(title="Out there", status="published")

    listing = staff_client.get(reverse("admin:articles_article_changelist"), {"status__exact": "draft"})
    change = staff_client.get(reverse("admin:articles_article_change", args=[draft.pk]))

    assert [a.title for a in listing.context["cl"].result_list] == ["Still a draft"]
    form_fields = change.context["adminform"].form.fields
    assert "comment_count" not in form_fields and "view_count" not in form_fields
    assert "Comment count" in change.content.decode()


def test_saving_a_stale_article_in_the_admin_never_writes_counters_back(staff_client):
    article = ArticleFactory(status="published")
    change_url = reverse("admin:articles_article_change", args=[article.pk])
    form = staff_client.get(change_url).context["adminform"].form
    CommentFactory(article=article, status=Comment.Status.APPROVED)  # approved after the form was opened
    data = {name: value for name, value in form.initial.items() if value is not None and name != "cover"}
    data.update(author=article.author.pk, category=article.category.pk, title="Edited in the admin")
    data["published_at_0"], data["published_at_1"] = article.published_at.strftime("%Y-%m-%d %H:%M:%S").split()

    response = staff_client.post(change_url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    article.refresh_from_db()
    assert (article.title, article.comment_count) == ("Edited in the admin", 1)
    assert Article.objects.get(pk=article.pk).comment_count == 1
