"""Slugs: made from titles, unique with one SELECT, stable, and redirecting when changed."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from articles.models import Article, ArticleRedirect
from articles.slugs import FALLBACK_SLUG, slug_base, slug_candidates
from tests.factories import ArticleFactory

MAX = Article._meta.get_field("slug").max_length


def slug_selects(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith("SELECT") and '"slug"' in q["sql"].split("FROM")[0]]


@pytest.mark.django_db
def test_a_slug_is_made_from_the_title():
    assert ArticleFactory(title="Hello, World: a first post!").slug == "hello-world-a-first-post"


@pytest.mark.django_db
def test_unicode_titles_keep_their_letters():
    assert ArticleFactory(title="Größe & Café").slug == "größe-café"
    assert ArticleFactory(title="Привет мир").slug == "привет-мир"
    assert ArticleFactory(title="日本語のタイトル").slug == "日本語のタイトル"


@pytest.mark.django_db
def test_a_title_without_letters_or_digits_still_gets_a_slug():
    first, second = ArticleFactory(title="!!! ???"), ArticleFactory(title="🎉🎉")
    assert (first.slug, second.slug) == (FALLBACK_SLUG, f"{FALLBACK_SLUG}-2")


@pytest.mark.django_db
def test_collisions_take_the_next_number():
    slugs = [ArticleFactory(title="Same title").slug for _ in range(4)]
    assert slugs == ["same-title", "same-title-2", "same-title-3", "same-title-4"]


@pytest.mark.django_db
def test_a_similar_but_different_slug_is_not_a_collision():
    ArticleFactory(title="Same title again")
    ArticleFactory(title="Same title-two")
    assert ArticleFactory(title="Same title").slug == "same-title"


@pytest.mark.django_db
def test_a_long_title_fits_the_field_suffix_included():
    title = ("word " * 40).strip()  # 199 characters, the slug as long
    slugs = [ArticleFactory(title=title).slug for _ in range(12)]
    assert all(len(slug) <= MAX for slug in slugs)
    assert len(set(slugs)) == 12
    assert slugs[11].endswith("-12")


@pytest.mark.django_db
def test_fifty_collisions_cost_one_select_on_slugs(author):
    for _ in range(51):
        ArticleFactory(title="Popular title", author=author, category=None)
    with CaptureQueriesContext(connection) as queries:
        article = ArticleFactory(title="Popular title", author=author, category=None)
    assert article.slug == "popular-title-52"
    # Every SELECT of the create, whatever it reads: a per-candidate
    # `.exists()` (SELECT 1 … WHERE slug = …) would be counted too.
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert selects == slug_selects(queries.captured_queries)
    assert len(selects) == 1


@pytest.mark.django_db
def test_editing_the_title_never_changes_the_slug():
    article = ArticleFactory(title="Original title")
    article.title = "A completely different title"
    article.save()
    article.refresh_from_db()
    assert article.slug == "original-title"


@pytest.mark.django_db
def test_an_explicit_slug_change_leaves_a_redirect(client):
    article = ArticleFactory(title="Original", status=Article.Status.PUBLISHED)
    article.slug = "better-address"
    article.save()
    assert ArticleRedirect.objects.get(old_slug="original").article == article
    response = client.get("/articles/original/")
    assert response.status_code == 301
    assert response["Location"] == "/articles/better-address/"


@pytest.mark.django_db
def test_changing_back_to_an_old_slug_removes_its_redirect():
    article = ArticleFactory(title="First")
    article.slug = "second"
    article.save()
    article.slug = "first"
    article.save()
    assert list(ArticleRedirect.objects.values_list("old_slug", flat=True)) == ["second"]


@given(st.text(max_size=400))
def test_every_title_gives_a_non_empty_slug_that_fits(title):
    base = slug_base(title, MAX)
    assert base and len(base) <= MAX
    assert not base.startswith("-") and not base.endswith("-")


@given(st.text(min_size=1, max_size=400), st.integers(min_value=1, max_value=10_000))
def test_candidates_are_distinct_and_fit(title, count):
    base = slug_base(title, MAX)
    candidates = [c for _, c in zip(range(count), slug_candidates(base, MAX), strict=False)]
    assert len(set(candidates)) == len(candidates)
    assert all(len(c) <= MAX for c in candidates)
