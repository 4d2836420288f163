"""Slugs: made from titles, unique with one SELECT, stable, and redirecting when changed."""

from contextlib import contextmanager

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.models import Article, ArticleRedirect
from articles.slugs import FALLBACK_SLUG, slug_base, slug_candidate, slug_candidates, unique_slug
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


def store_slugs(author, title, slugs):
    # bulk_create: the slugs exactly as given, no generation, no receivers (drafts count nothing).
    Article.objects.bulk_create([Article(title=title, slug=slug, author=author, body="x") for slug in slugs])


@contextmanager
def statements_with_params():
    """Every statement with its parameters, to run again and see what it returns."""
    executed = []

    def record(execute, sql, params, many, context):
        executed.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield executed


@pytest.mark.django_db
def test_the_slug_select_returns_one_row_with_fifty_collisions(author):
    store_slugs(author, "Popular title", ["popular-title", *(f"popular-title-{n}" for n in range(2, 51))])
    with statements_with_params() as executed:
        article = ArticleFactory(title="Popular title", author=author, category=None)
    assert article.slug == "popular-title-51"
    selects = [(sql, params) for sql, params in executed if sql.startswith("SELECT") and '"slug"' in sql]
    assert len(selects) == 1
    with connection.cursor() as cursor:
        cursor.execute(*selects[0])
        assert len(cursor.fetchall()) == 1


@pytest.mark.django_db
def test_a_deleted_number_is_not_reused_the_next_after_the_highest_is_taken(author):
    store_slugs(author, "Gappy", ["gappy", *(f"gappy-{n}" for n in range(2, 6))])
    Article.objects.filter(slug="gappy-3").delete()
    assert ArticleFactory(title="Gappy", author=author).slug == "gappy-6"


@pytest.mark.django_db
def test_a_freed_base_is_taken_again(author):
    store_slugs(author, "Gappy", ["gappy-2", "gappy-3"])
    assert ArticleFactory(title="Gappy", author=author).slug == "gappy"


@pytest.mark.django_db
def test_suffixes_that_are_not_numbers_are_no_collisions(author):
    # On PostgreSQL a bad cast would fail the whole query: only numbers are cast.
    store_slugs(author, "Odd", ["odd", "odd-abc", "odd-2x", "odd-x2", "odd--3", "odd-99999999999999999999"])
    assert ArticleFactory(title="Odd", author=author).slug == "odd-2"


@pytest.mark.django_db
def test_like_wildcards_in_the_base_match_only_themselves(author):
    # slugify keeps "_", a LIKE wildcard; "%" and "." never survive it.
    assert slug_base("snake_case 100%. done", MAX) == "snake_case-100-done"
    store_slugs(author, "Snake", ["snakexcase", "snakexcase-7", "snake_case-x-9"])
    slugs = [ArticleFactory(title="Snake_case", author=author).slug for _ in range(2)]
    assert slugs == ["snake_case", "snake_case-2"]


@pytest.mark.django_db
def test_unicode_collisions_take_the_next_number():
    slugs = [ArticleFactory(title="Größe Café").slug for _ in range(3)]
    assert slugs == ["größe-café", "größe-café-2", "größe-café-3"]


@pytest.mark.django_db
def test_a_long_unicode_title_cut_shorter_as_the_number_grows(author):
    title = "ä" * 200  # as long as the title field allows, the slug as long
    base = slug_base(title, MAX)
    store_slugs(author, title, [slug_candidate(base, n, MAX) for n in range(1, 10)])
    article = ArticleFactory(title=title, author=author)
    assert article.slug == "ä" * (MAX - 3) + "-10"


@pytest.mark.django_db
@given(
    title=st.sampled_from(["Short title", "word " * 40, "🎉", "x-" * 100, "ß" * 200]),
    taken=st.sets(st.integers(min_value=1, max_value=120), max_size=15),
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_slug_is_the_base_if_free_else_one_past_the_highest_taken(author, title, taken):
    base = slug_base(title, MAX)
    queryset = Article.objects.filter(author=author)
    queryset.delete()
    store_slugs(author, title, [slug_candidate(base, n, MAX) for n in taken])
    expected = base if 1 not in taken else slug_candidate(base, max(taken) + 1, MAX)
    assert unique_slug(queryset, title) == expected
    assert expected not in set(queryset.values_list("slug", flat=True))


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
