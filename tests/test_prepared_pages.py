"""A listing's page of card rows, by SQL compiled once per connection and page (PreparedPages)."""

import datetime
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone

from articles.cards import published_card_rows
from articles.models import Article, Category, Tag
from articles.views import listing_pages
from blogsite import prepared_lookups
from blogsite.prepared_lookups import PreparedPages
from tests.factories import ArticleFactory, CategoryFactory, make_author

pytestmark = pytest.mark.django_db

PUBLISHED = Article.Status.PUBLISHED


@pytest.fixture
def listings():
    """23 published articles (three pages of ten) by two authors in two categories, one tag on some; two drafts."""
    ann, bob = make_author(username="ann"), make_author(username="bob")
    garden, kitchen = CategoryFactory(name="Garden"), CategoryFactory(name="Kitchen")
    soil = Tag.objects.create(name="Soil", slug="soil")
    now = timezone.now()
    for number in range(23):
        article = ArticleFactory(
            author=ann if number % 3 else bob,
            category=garden if number % 2 else (kitchen if number % 5 else None),
            status=PUBLISHED,
            title=f"Article {number}",
        )
        # Some share a publication time: the ordering's tie-break decides their place.
        Article.objects.filter(pk=article.pk).update(published_at=now - datetime.timedelta(hours=number // 2))
        if number % 4 == 0:
            article.tags.add(soil)
    ArticleFactory(author=ann, category=garden, status=Article.Status.DRAFT)
    ArticleFactory(author=bob, category=kitchen, status=Article.Status.DRAFT)
    return {"author": [ann.pk, bob.pk], "category": [garden.pk, kitchen.pk], "tags": [soil.pk], None: [None]}


SLICES = [(0, 10), (10, 20), (20, 23), (20, 30), (0, 0), (40, 50)]


@pytest.mark.parametrize("lookup", [None, "author", "category", "tags"])
def test_every_page_holds_the_rows_the_orm_returns(listings, lookup):
    pages = listing_pages(lookup)
    for pk in listings[lookup]:
        orm = published_card_rows() if lookup is None else published_card_rows().filter(**{lookup: pk})
        for low, high in SLICES:
            assert pages.rows(low, high, pk) == list(orm[low:high]), (pk, low, high)
    row = pages.rows(0, 10, listings[lookup][0])[0]
    # SQLite hands datetimes back as text: the backend's converters make them aware datetimes.
    assert isinstance(row["published_at"], datetime.datetime) and timezone.is_aware(row["published_at"])


def test_each_page_is_compiled_once_then_only_run(client, listings):
    garden = Category.objects.get(name="Garden")
    pages = listing_pages("category")
    pages._per_thread.__dict__.clear()  # as a new worker starts
    with mock.patch.object(pages, "compile", wraps=pages.compile) as compile:
        for _ in range(3):
            assert client.get(garden.get_absolute_url()).status_code == 200
        assert compile.call_count == 1
        assert client.get(garden.get_absolute_url(), {"page": 2}).status_code == 200
        assert client.get(garden.get_absolute_url(), {"page": 2}).status_code == 200
        assert compile.call_count == 2


def test_the_pages_show_what_the_orm_would_list(client, listings):
    garden = Category.objects.get(name="Garden")
    html = client.get(garden.get_absolute_url(), {"page": 2}).content.decode()
    titles = [row["title"] for row in published_card_rows().filter(category=garden)[10:20]]
    assert titles and all(title in html for title in titles)
    first = client.get(reverse("home")).content.decode()
    assert all(row["title"] in first for row in published_card_rows()[:10])


def test_a_listing_with_nothing_in_it_shows_an_empty_page_and_sends_no_query_for_it(client, django_assert_num_queries):
    empty = CategoryFactory(name="Empty")
    response = client.get(empty.get_absolute_url())
    assert response.status_code == 200 and list(response.context["article_list"]) == []
    with django_assert_num_queries(0):
        assert listing_pages("category").rows(0, 0, empty.pk) == []


def test_a_slice_beyond_the_kept_ones_is_compiled_each_time_and_crowds_out_none(listings, monkeypatch):
    monkeypatch.setattr(prepared_lookups, "MAX_SLICES", 2)
    pages = PreparedPages(published_card_rows())
    with mock.patch.object(pages, "compile", wraps=pages.compile) as compile:
        for low in (0, 10, 20, 20, 0, 10):
            pages.rows(low, low + 10)
    # 0 and 10 are kept; 20 is compiled both times.
    assert compile.call_count == 4


def test_the_value_is_bound_only_as_the_lookup_takes_it(listings):
    with pytest.raises(TypeError):
        listing_pages("category").rows(0, 10, "1")
    with pytest.raises(TypeError):
        listing_pages("category").rows(0, 10, None)
    with pytest.raises(TypeError):
        listing_pages(None).rows(0, 10, 1)
    with pytest.raises(ImproperlyConfigured, match="values"):
        PreparedPages(Article.objects.all())
    with pytest.raises(ImproperlyConfigured, match="must bind its value as one parameter"):
        PreparedPages(published_card_rows(), "title__contains", str).rows(0, 10, "Article")
