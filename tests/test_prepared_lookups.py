"""Lookups compiled once per connection (blogsite/prepared_lookups.py): the ORM's instances, with less work."""

import datetime
import threading
from unittest import mock

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections
from django.db.models.sql.compiler import SQLCompiler
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from articles.models import Article, Category, Tag
from articles.views import AuthorArticleListView, CategoryArticleListView, TagArticleListView
from authors.models import Author
from authors.services import follow_author
from blogsite.prepared_lookups import PreparedLookup
from tests.factories import ArticleFactory, CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db

# Quotes, placeholders, LIKE wildcards, a backslash, an injection, and letters beyond ASCII.
ODD_VALUES = [
    "o'brien",
    'say "hi"',
    "100%",
    "%s",
    "%(slug)s",
    "_",
    "back\\slash",
    "x' OR '1'='1",
    "; DROP TABLE auth_user; --",
    "jardín-日本-🌱",
]


def field_values(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


@pytest.fixture
def followed_author(author):
    follow_author(user=UserFactory(), author=author)
    follow_author(user=UserFactory(), author=author)
    type(author.user).objects.filter(pk=author.user_id).update(last_login=timezone.now())
    return author


def test_an_author_comes_back_as_the_orm_builds_it_with_the_user_and_follower_total(
    followed_author, django_assert_num_queries
):
    lookup = AuthorArticleListView.author_by_username
    expected = lookup.queryset.get(user__username="alice")

    with django_assert_num_queries(1):
        found = lookup.get_or_404("alice")
        # Joined in the one query, as select_related() does, both ways.
        assert found.user.author is found

    assert field_values(found) == field_values(expected)
    assert field_values(found.user) == field_values(expected.user)
    assert found.follower_total == expected.follower_total == 2
    assert (found._state.db, found._state.adding) == ("default", False)
    for name in ("last_login", "date_joined"):
        value = getattr(found.user, name)
        # SQLite hands datetimes back as text: the backend's converters make them aware datetimes.
        assert isinstance(value, datetime.datetime) and timezone.is_aware(value)


@pytest.mark.parametrize("view", [CategoryArticleListView, TagArticleListView])
def test_a_category_or_tag_comes_back_as_the_orm_builds_it(view, django_assert_num_queries):
    CategoryFactory(name="Gardening")
    Tag.objects.create(name="Gardening", slug="gardening")
    expected = view.row_by_slug.queryset.get(slug="gardening")
    with django_assert_num_queries(1):
        found = view.row_by_slug.get_or_404("gardening")
    assert type(found) is type(expected)
    assert field_values(found) == field_values(expected)


@pytest.mark.parametrize("url", ["/categories/nope/", "/tags/nope/", "/authors/nobody/"])
def test_a_missing_slug_or_username_is_a_404(client, url):
    assert client.get(url).status_code == 404


def test_no_row_is_http404_and_two_rows_are_refused_as_get_refuses_them():
    with pytest.raises(Http404, match="No Category matches the given query"):
        CategoryArticleListView.row_by_slug.get_or_404("nope")
    ArticleFactory(body="Same words.")
    ArticleFactory(body="Same words.")
    with pytest.raises(Article.MultipleObjectsReturned):
        PreparedLookup(Article.objects.all(), "body").get("Same words.")


class DjangosLookup:
    """What the views did before: get_object_or_404() on the same queryset."""

    def __init__(self, prepared: PreparedLookup) -> None:
        self.prepared = prepared

    def get_or_404(self, value: str):
        return get_object_or_404(self.prepared.queryset, **{self.prepared.lookup: value})


@pytest.mark.parametrize(
    ("view", "attribute"),
    [(CategoryArticleListView, "row_by_slug"), (AuthorArticleListView, "author_by_username")],
)
def test_the_page_costs_the_queries_it_cost_with_get_object_or_404(
    client, followed_author, django_assert_max_num_queries, monkeypatch, view, attribute
):
    category = CategoryFactory()
    ArticleFactory(author=followed_author, category=category, status=Article.Status.PUBLISHED)
    url = category.get_absolute_url() if view is CategoryArticleListView else followed_author.get_absolute_url()
    with django_assert_max_num_queries(10) as prepared:
        assert client.get(url).status_code == 200
    monkeypatch.setattr(view, attribute, DjangosLookup(getattr(view, attribute)))
    # The first page put its cards in memory (articles/cards.py): this one must load them too.
    caches["fragments"].clear()
    with django_assert_max_num_queries(10) as django:
        assert client.get(url).status_code == 200
    assert len(prepared.captured_queries) == len(django.captured_queries)


def test_the_sql_is_compiled_once_then_only_run():
    lookup = PreparedLookup(Author.objects.with_user().with_follower_total(), "user__username")
    with mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql) as as_sql:
        with pytest.raises(Http404):
            lookup.get_or_404("nobody")
        assert as_sql.call_count == 1
        with pytest.raises(Http404):
            lookup.get_or_404("somebody else")
        assert as_sql.call_count == 1


def test_each_thread_compiles_for_its_own_connection():
    lookup = PreparedLookup(Category.objects.all(), "slug")
    here = lookup.compiled("default")
    there = []

    def compile_in_another_thread():
        try:
            there.append(lookup.compiled("default"))
        finally:
            connections.close_all()

    thread = threading.Thread(target=compile_in_another_thread)
    thread.start()
    thread.join()
    assert here.connection is connections["default"]
    assert there[0].connection is not here.connection
    assert lookup.compiled("default") is here


def test_odd_values_are_bound_as_parameters_never_written_into_the_sql():
    for number, value in enumerate(ODD_VALUES):
        CategoryFactory(name=f"Odd {number}", slug=value)
    # What LIKE, or a value formatted into the SQL, would find instead.
    CategoryFactory(name="Decoy", slug="100 percent")
    lookup = PreparedLookup(Category.objects.all(), "slug")
    sent = []

    def record(execute, sql, params, many, context):
        sent.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        found = [lookup.get(value).name for value in ODD_VALUES]

    assert found == [f"Odd {number}" for number in range(len(ODD_VALUES))]
    assert len({sql for sql, _params in sent}) == 1
    assert [list(params) for _sql, params in sent] == [[value] for value in ODD_VALUES]


def test_an_odd_slug_finds_its_page(client):
    category = CategoryFactory(name="Odd", slug="o'brien-100%-jardín")
    assert client.get(category.get_absolute_url()).context["category"] == category


@pytest.mark.parametrize("lookup", ["slug__contains", "slug__startswith", "slug__in"])
def test_a_lookup_that_rewrites_its_value_is_refused_when_compiled(lookup):
    with pytest.raises(ImproperlyConfigured, match="must bind its value as one parameter, unchanged"):
        PreparedLookup(Category.objects.all(), lookup).get("soil")


def test_only_a_str_is_taken():
    # None would be IS NULL: not the SQL compiled for a value.
    with pytest.raises(TypeError):
        CategoryArticleListView.row_by_slug.get(None)


def test_an_int_key_comes_back_as_the_orm_builds_it(django_assert_num_queries):
    category = CategoryFactory(name="Gardening")
    lookup = PreparedLookup(Category.objects.all(), "pk", int)
    with django_assert_num_queries(1):
        found = lookup.get(category.pk)
    assert field_values(found) == field_values(Category.objects.get(pk=category.pk))
    with pytest.raises(Category.DoesNotExist):
        lookup.get(category.pk + 1000)
    with pytest.raises(TypeError):
        lookup.get(str(category.pk))


def test_only_a_str_or_an_int_is_bound():
    with pytest.raises(ImproperlyConfigured, match="binds a str or an int"):
        PreparedLookup(Category.objects.all(), "pk", float)
