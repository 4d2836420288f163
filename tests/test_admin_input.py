"""Malformed ids, filters and search terms in the admin: a 4xx or a form error, never a 500."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group, User
from django.urls import reverse

from articles.models import Article, Category
from blogsite.admin_input import is_possible_key
from comments.models import Comment
from tests.factories import ArticleFactory, CommentFactory, UserFactory
from tests.test_admin import ARTICLE_ADD_URL, article_admin_data, field_errors

pytestmark = pytest.mark.django_db

PAST_64_BITS = "9" * 20
MALFORMED_IDS = ["abc", PAST_64_BITS, "\x00", "1.5", ""]


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    client.raise_request_exception = False  # a 500 is asserted against, not raised
    return client


@pytest.mark.parametrize("field", ["author", "category"])
@pytest.mark.parametrize("value", ["abc", PAST_64_BITS, "\x00"])
def test_a_malformed_related_id_is_an_error_next_to_its_field(staff_client, field, value):
    response = staff_client.post(ARTICLE_ADD_URL, article_admin_data(title="Not saved", **{field: value}))

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == [field]
    assert "Select a valid choice" in field_errors(response, field)
    assert "Not saved" in response.content.decode()  # the rest of the input is kept
    assert not Article.objects.exists()


def test_a_malformed_many_to_many_id_is_an_error_next_to_its_field(staff_client):
    group = Group.objects.create(name="Editors")
    change_url = reverse("admin:auth_group_change", args=[group.pk])

    response = staff_client.post(change_url, {"name": "Editors", "permissions": [PAST_64_BITS]})

    assert response.status_code == 200
    assert "is not a valid value" in field_errors(response, "permissions")


@pytest.mark.parametrize(
    ("changelist", "action", "make"),
    [
        ("admin:articles_article_changelist", "publish", lambda: ArticleFactory()),
        ("admin:comments_comment_changelist", "approve", lambda: CommentFactory()),
        ("admin:articles_category_changelist", "delete_selected", lambda: Category.objects.create(name="Kept")),
        ("admin:auth_user_changelist", "delete_selected", lambda: UserFactory()),
    ],
)
@pytest.mark.parametrize("bad_id", ["abc", PAST_64_BITS, "\x00"])
def test_an_action_on_a_malformed_selection_is_a_400_and_changes_nothing(
    staff_client, changelist, action, make, bad_id
):
    row = make()
    before = type(row).objects.count()

    response = staff_client.post(
        reverse(changelist), {"action": action, "index": "0", ACTION_CHECKBOX_NAME: [row.pk, bad_id]}
    )

    assert response.status_code == 400
    assert type(row).objects.count() == before
    if isinstance(row, Article):
        row.refresh_from_db()
        assert row.status == Article.Status.DRAFT


def test_an_action_on_well_formed_ids_still_runs(staff_client):
    article = ArticleFactory()
    response = staff_client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "publish", "index": "0", ACTION_CHECKBOX_NAME: [article.pk, "-1"]},  # -1: no such row
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED


@pytest.mark.parametrize("params", [{"status__exact": "\x00"}, {"q": "\x00"}, {"\x00": "1"}])
def test_a_nul_in_a_changelist_parameter_is_a_400(staff_client, params):
    CommentFactory()
    response = staff_client.get(reverse("admin:comments_comment_changelist"), params)
    assert response.status_code == 400


def test_a_choices_filter_outside_the_choices_is_the_admins_bad_lookup_redirect(staff_client):
    CommentFactory()
    response = staff_client.get(reverse("admin:comments_comment_changelist"), {"status__exact": "bogus"})
    assert (response.status_code, response["Location"]) == (302, "/admin/comments/comment/?e=1")


@pytest.mark.parametrize(
    "drill",
    [
        {"published_at__year": "9999"},
        {"published_at__year": "9999", "published_at__month": "12"},
        {"published_at__year": "9999", "published_at__month": "12", "published_at__day": "31"},
        {"published_at__year": PAST_64_BITS},
        {"published_at__year": "1"},
    ],
)
def test_a_date_drill_down_past_what_a_datetime_holds_is_the_admins_bad_lookup_redirect(staff_client, drill):
    response = staff_client.get(reverse("admin:articles_article_changelist"), drill)
    assert (response.status_code, response["Location"]) == (302, "/admin/articles/article/?e=1")


def test_a_date_drill_down_within_range_still_lists(staff_client):
    response = staff_client.get(reverse("admin:articles_article_changelist"), {"published_at__year": "2024"})
    assert response.status_code == 200


@pytest.mark.parametrize("field_name", ["author", "category"])
def test_an_autocomplete_term_with_a_nul_is_a_400(staff_client, field_name):
    params = {"app_label": "articles", "model_name": "article", "field_name": field_name, "term": "a\x00"}
    assert staff_client.get(reverse("admin:autocomplete"), params).status_code == 400


def test_an_autocomplete_term_without_one_still_finds(staff_client):
    Category.objects.create(name="Gardens")
    params = {"app_label": "articles", "model_name": "article", "field_name": "category", "term": "gard"}
    response = staff_client.get(reverse("admin:autocomplete"), params)
    assert [result["text"] for result in response.json()["results"]] == ["Gardens"]


@pytest.mark.parametrize("value", MALFORMED_IDS)
def test_no_row_can_hold_a_malformed_key(value):
    assert not is_possible_key(User._meta.pk, value)
    assert not is_possible_key(Comment._meta.get_field("article"), value)


@pytest.mark.parametrize("value", ["1", "-1", 2**63 - 1, "9223372036854775807"])
def test_a_key_within_the_column_is_possible(value):
    assert is_possible_key(Comment._meta.get_field("article"), value)
