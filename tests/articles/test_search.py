"""/search/: ranked full-text search on PostgreSQL, a substring match on SQLite."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.models import Article
from articles.search import MAX_QUERY_LENGTH, clean_search_query, search_articles
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def published(days_ago: int = 1, **fields) -> Article:
    return ArticleFactory(status="published", published_at=timezone.now() - timedelta(days=days_ago), **fields)


def search(client, q: str, **params):
    return client.get(reverse("search"), {"q": q, **params})


def titles(response) -> list[str]:
    return [article.title for article in response.context["object_list"]]


def test_finds_published_articles_by_title_excerpt_and_body(client):
    published(title="Gardening for beginners")
    published(title="Cooking", excerpt="Which gardening tools to buy")
    published(title="Travel", body="Our gardening trip to Kew.")
    published(title="Unrelated", body="Nothing to see.")
    response = search(client, "gardening")
    assert response.status_code == 200
    assert sorted(titles(response)) == ["Cooking", "Gardening for beginners", "Travel"]


def test_every_word_must_match(client):
    published(title="Gardening in winter")
    published(title="Gardening in summer")
    assert titles(search(client, "winter gardening")) == ["Gardening in winter"]


def test_quotes_and_exclusions_work_on_every_database(client):
    published(title="Winter gardening", body="Bees sleep.")
    published(title="Summer gardening", body="Bees work.")
    assert titles(search(client, '"winter gardening"')) == ["Winter gardening"]
    assert titles(search(client, "gardening -summer")) == ["Winter gardening"]


def test_drafts_and_other_unpublished_articles_are_never_found(client):
    for status in ("draft", "archived"):
        ArticleFactory(title=f"Gardening {status}", status=status)
    ArticleFactory(title="Gardening later", status="scheduled", published_at=timezone.now() + timedelta(days=1))
    assert titles(search(client, "gardening")) == []


def test_the_query_is_kept_in_both_search_boxes(client):
    published(title="Gardening")
    response = search(client, "  gardening  ")
    assert response.context["search_query"] == "gardening"
    page = response.content.decode()
    assert page.count('value="gardening"') == 2  # the nav box and the page's own box
    assert "1 result for “gardening”" in page


def test_an_empty_query_shows_a_hint_and_no_results_without_touching_articles(client, django_assert_num_queries):
    published(title="Gardening")
    for q in ("", "   "):
        with django_assert_num_queries(0):
            response = search(client, q)
        assert response.status_code == 200
        assert list(response.context["object_list"]) == []
        assert "Type a few words" in response.content.decode()
    assert client.get(reverse("search")).status_code == 200  # no q at all


def test_pagination_keeps_the_query(client):
    for day in range(12):
        published(days_ago=day + 1, title=f"Gardening tip {day}")
    first = search(client, "gardening")
    assert len(first.context["object_list"]) == 10
    assert "?q=gardening&amp;page=2" in first.content.decode()
    second = search(client, "gardening", page=2)
    assert len(second.context["object_list"]) == 2
    assert "?q=gardening&amp;page=1" in second.content.decode()


@pytest.mark.parametrize("page, shown", [("abc", 1), ("999", 2), ("-1", 2), ("0", 2), ("9" * 30, 2), ("", 1)])
def test_a_page_that_does_not_exist_shows_a_page_not_an_error(client, page, shown):
    for day in range(12):
        published(days_ago=day + 1, title=f"Gardening tip {day}")
    response = search(client, "gardening", page=page)
    assert response.status_code == 200
    assert response.context["page_obj"].number == shown


@pytest.mark.parametrize(
    "q",
    [
        "x" * 10_000,
        "nul\x00byte",
        "'; DROP TABLE articles_article; --",
        '"unclosed phrase',
        "a & b | !c :* ( ) <-> \\",
        "-",
        "the and of",  # stop words only: an empty tsquery on PostgreSQL
        "日本語の記事",
        "%_",
        # PostgreSQL's websearch parser refused these: "tsquery stack too small".
        "-" * 33,
        "-" * 40 + "gardening",
        "gardening " + "-" * 32 + "x",
        "- " * 40 + "gardening",
        "-!" * 40 + "gardening",
        '"' * 51,
        "(" * 100 + "gardening",
        "or " * 60,
        "-or " * 60,
        "\x00" * 300,
    ],
)
def test_odd_queries_never_500(client, q):
    published(title="Gardening")
    response = search(client, q)
    assert response.status_code == 200
    assert len(response.context["search_query"]) <= MAX_QUERY_LENGTH


def test_a_run_of_dashes_is_an_ordinary_search_page(client):
    published(title="Gardening")
    response = search(client, "-" * 40)
    assert response.status_code == 200
    assert "No published article matches" in response.content.decode()
    assert titles(search(client, "-" * 40 + "gardening")) == []  # as many dashes as you like: still one exclusion


@pytest.mark.parametrize("q", ["winter or summer", "winter OR summer"])
def test_or_finds_either_word_on_every_database(client, q):
    published(days_ago=2, title="Winter gardening")
    published(days_ago=1, title="Summer gardening")
    published(title="Autumn gardening")
    assert sorted(titles(search(client, q))) == ["Summer gardening", "Winter gardening"]


# What a search box can be sent, weighted towards websearch's operators and the
# characters PostgreSQL's parsers are particular about.
hostile_queries = st.lists(
    st.one_of(
        st.sampled_from(["-", '"', "!", "&", "|", "(", ")", "<->", ":*", "\\", "'", " ", "\x00", "or", "OR", "a", "é"]),
        st.text(max_size=3),
    ),
    max_size=150,
).map("".join)


@given(raw=hostile_queries)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_on_postgres_no_query_makes_the_database_refuse_the_search(on_postgres, raw):
    articles = search_articles(Article.objects.published().for_listing(), clean_search_query(raw))
    list(articles[:10])
    articles.count()


def test_like_wildcards_are_searched_literally(client):
    published(title="Gardening")
    assert titles(search(client, "%")) == []


def test_the_search_query_count_does_not_grow_with_the_results(client, django_assert_num_queries):
    for day in range(3):
        published(days_ago=day + 1, title=f"Gardening tip {day}")
    # The count for the paginator, the page's rows, its cards not yet in
    # memory (articles/cards.py) with author and category joined, and the tags
    # whose name matches; once the cards are in memory, three.
    with django_assert_num_queries(4):
        search(client, "gardening")
    for day in range(3, 15):
        published(days_ago=day + 1, title=f"Gardening tip {day}")
    with django_assert_num_queries(4):
        search(client, "gardening")
    with django_assert_num_queries(3):
        search(client, "gardening")


def test_results_are_newest_first_when_equally_relevant(client):
    published(days_ago=5, title="Gardening old")
    published(days_ago=1, title="Gardening new")
    assert titles(search(client, "gardening")) == ["Gardening new", "Gardening old"]


def test_on_postgres_a_title_match_ranks_above_a_body_only_match(client, on_postgres):
    published(days_ago=1, title="Travel notes", body="A short word about compost, once.")
    published(days_ago=9, title="Compost, the complete guide", body="Everything about heaps.")
    published(days_ago=3, title="Bees", excerpt="Why compost matters to bees", body="Hives.")
    assert titles(search(client, "compost")) == ["Compost, the complete guide", "Bees", "Travel notes"]


def test_on_postgres_words_match_their_stems(client, on_postgres):
    published(title="Composting heaps")
    assert titles(search(client, "compost heap")) == ["Composting heaps"]


def test_on_postgres_the_search_uses_the_gin_index(on_postgres, author):
    # The planner picks the index if, and only if, the query's expression is
    # exactly the indexed one; statistics and no sequential scans make the
    # choice deterministic on a small table.
    for number in range(40):
        published(title=f"Gardening {number}", author=author, category=None)
    published(title="Compost", author=author, category=None)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE articles_article")
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = search_articles(Article.objects.published().for_listing(), "compost").explain()
    assert "Bitmap Index Scan on article_search_vector" in plan, plan
