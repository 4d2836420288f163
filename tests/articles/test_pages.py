"""The reading pages: who sees what, the counts shown, and the queries each page costs."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from authors.services import follow_author
from comments.models import Comment
from tests.factories import ArticleFactory, CategoryFactory, CommentFactory, UserFactory, make_author

pytestmark = pytest.mark.django_db


def published(**fields) -> Article:
    return ArticleFactory(status=Article.Status.PUBLISHED, **fields)


# --- home ----------------------------------------------------------------------


def test_home_lists_published_articles_newest_first_ten_a_page(client):
    now = timezone.now()
    for day in range(12):
        published(title=f"Day {day}", published_at=now - datetime.timedelta(days=day))
    ArticleFactory(title="A draft nobody sees")

    first = client.get(reverse("home"))
    second = client.get(reverse("home"), {"page": 2})

    titles = [article.title for article in first.context["object_list"]]
    assert titles == [f"Day {day}" for day in range(10)]
    assert [article.title for article in second.context["object_list"]] == ["Day 10", "Day 11"]
    assert b"A draft nobody sees" not in first.content + second.content


@pytest.mark.parametrize("page", ["abc", "999", "-1", "2.5", ""])
def test_any_page_number_gives_a_page_not_an_error(client, page):
    for _ in range(12):
        published()
    response = client.get(reverse("home"), {"page": page})
    assert response.status_code == 200
    assert len(response.context["object_list"]) in (10, 2)


def test_home_shows_counts_reading_time_and_author(client):
    article = published(title="Counted", body="word " * 450, author=make_author(first_name="Ada", username="ada"))
    CommentFactory(article=article, status=Comment.Status.APPROVED)
    CommentFactory(article=article, status=Comment.Status.PENDING)
    Article.objects.filter(pk=article.pk).update(view_count=1234)

    html = client.get(reverse("home")).content.decode()

    assert "1 comment" in html and "1,234 views" in html
    assert "3 min read" in html
    assert "Ada" in html


def test_home_queries_do_not_grow_with_the_number_of_articles(client, django_assert_max_num_queries):
    category = CategoryFactory()
    for _ in range(3):
        published(category=category)
    with django_assert_max_num_queries(3) as few:
        client.get(reverse("home"))
    for _ in range(12):
        published(category=category, author=make_author())
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("home"))


# --- article page ------------------------------------------------------------------


def test_article_page_renders_markdown_and_keeps_scripts_inert(client):
    article = published(body="# Heading\n\nSome **bold** text.\n\n<script>alert('x')</script>")
    html = client.get(article.get_absolute_url()).content.decode()
    assert "<h1>Heading</h1>" in html and "<strong>bold</strong>" in html
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html


def test_a_readers_visit_counts_one_view_but_the_authors_and_staff_do_not(client, author):
    article = published(author=author)
    client.get(article.get_absolute_url())  # a guest
    client.force_login(UserFactory())  # a signed-in reader
    client.get(article.get_absolute_url())
    client.force_login(author.user)
    client.get(article.get_absolute_url())
    client.force_login(UserFactory(is_staff=True))
    client.get(article.get_absolute_url())
    client.head(article.get_absolute_url())
    article.refresh_from_db()
    assert article.view_count == 2


@pytest.mark.parametrize("status", ["draft", "scheduled", "archived"])
def test_unpublished_articles_are_404_except_to_their_author_and_staff(client, author, status):
    article = ArticleFactory(author=author, status=status)
    assert client.get(article.get_absolute_url()).status_code == 404
    client.force_login(make_author().user)
    assert client.get(article.get_absolute_url()).status_code == 404
    for user in (author.user, UserFactory(is_staff=True)):
        client.force_login(user)
        response = client.get(article.get_absolute_url())
        assert response.status_code == 200
        assert "Preview" in response.content.decode()
    article.refresh_from_db()
    assert article.view_count == 0


def test_unknown_slug_is_a_404(client):
    assert client.get(reverse("article_detail", kwargs={"slug": "no-such-thing"})).status_code == 404


def test_old_slug_answers_301_to_the_new_one(client):
    article = published(title="First name")
    article.slug = "second-name"
    article.save()
    response = client.get("/articles/first-name/")
    assert response.status_code == 301
    assert response["Location"] == "/articles/second-name/"


def test_an_old_slug_of_a_draft_does_not_give_its_new_address_away(client):
    article = ArticleFactory(title="Secret plans", status=Article.Status.DRAFT)
    article.slug = "secret-plans-v2"
    article.save()

    assert client.get("/articles/secret-plans/").status_code == 404
    client.force_login(article.author.user)
    response = client.get("/articles/secret-plans/")
    assert (response.status_code, response["Location"]) == (301, "/articles/secret-plans-v2/")


@pytest.mark.parametrize(
    "url",
    [
        "/articles/%00/",
        "/articles/a%00b/edit/",
        "/articles/%00/comments/",
        "/categories/%00/",
        "/authors/%00/",
        "/authors/%00/follow/",
        "/feed/categories/%00/",
        "/feed/authors/%00/",
    ],
)
def test_a_nul_character_in_the_address_is_a_404_on_every_database(client, url):
    # PostgreSQL refuses NUL in a text parameter: looking it up would be a 500.
    response = client.get(url)
    assert response.status_code == 404
    assert "not found" in response.content.decode().lower()


def test_article_page_shows_only_approved_comments(client):
    article = published()
    CommentFactory(article=article, body="Approved words", status=Comment.Status.APPROVED)
    CommentFactory(article=article, body="Pending words", status=Comment.Status.PENDING)
    CommentFactory(article=article, body="Rejected words", status=Comment.Status.REJECTED)
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Approved words" in html
    assert "Pending words" not in html and "Rejected words" not in html
    assert "1 comment" in html


def test_article_page_with_fifty_comments_costs_the_same_queries_as_with_one(client, django_assert_max_num_queries):
    article = published()
    CommentFactory(article=article, status=Comment.Status.APPROVED)
    with django_assert_max_num_queries(10) as one:
        client.get(article.get_absolute_url())
    for _ in range(49):
        CommentFactory(article=article, status=Comment.Status.APPROVED)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(article.get_absolute_url())
    assert response.context["article"].comment_count == 50


# --- category and author pages -----------------------------------------------------


def test_category_page_lists_its_published_articles_with_the_count(client):
    category = CategoryFactory(name="Food")
    published(category=category, title="Soup")
    published(category=category, title="Bread")
    ArticleFactory(category=category, title="Unfinished")
    published(title="Elsewhere")
    response = client.get(category.get_absolute_url())
    html = response.content.decode()
    assert {a.title for a in response.context["object_list"]} == {"Soup", "Bread"}
    assert "2</span> published articles" in html
    assert client.get("/categories/nope/").status_code == 404


def test_author_page_shows_published_count_and_followers(client, author):
    published(author=author)
    ArticleFactory(author=author)
    follow_author(user=UserFactory(), author=author)
    response = client.get(author.get_absolute_url())
    html = response.content.decode()
    assert len(response.context["object_list"]) == 1
    assert "1</span> published article" in html
    assert "1</span> follower" in html
    assert client.get("/authors/nobody/").status_code == 404


@pytest.mark.parametrize("url_name", ["category_detail", "author_detail"])
def test_listing_pages_cost_a_fixed_number_of_queries(client, django_assert_max_num_queries, author, url_name):
    category = CategoryFactory()
    url = category.get_absolute_url() if url_name == "category_detail" else author.get_absolute_url()
    published(author=author, category=category)
    with django_assert_max_num_queries(10) as few:
        client.get(url)
    for _ in range(11):
        published(author=author, category=category)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


@pytest.mark.parametrize("url_name", ["category_detail", "author_detail"])
def test_category_and_author_pages_page_by_their_counter_with_no_count_query(
    client, django_assert_max_num_queries, author, url_name
):
    category = CategoryFactory()
    for _ in range(12):
        published(author=author, category=category)
    url = category.get_absolute_url() if url_name == "category_detail" else author.get_absolute_url()
    with django_assert_max_num_queries(10) as queries:
        first = client.get(url)
    assert not any("COUNT(*)" in query["sql"] for query in queries.captured_queries)
    assert "Page 1 of 2" in first.content.decode()
    assert len(client.get(url, {"page": 2}).context["object_list"]) == 2


# --- the listings' cached cards --------------------------------------------------


def test_a_listings_card_changes_with_the_article_author_and_category_it_shows(client, author):
    category = CategoryFactory(name="Food")
    article = published(title="Soup", author=author, category=category)
    assert "Soup" in client.get(reverse("home")).content.decode()

    article.title = "Soup of the day"
    article.save(update_fields=["title"])
    author.user.first_name = "Renamed"
    author.user.save()
    category.name = "Cooking"
    category.save()

    html = client.get(reverse("home")).content.decode()
    assert "Soup of the day" in html and "Renamed" in html and "Cooking" in html
    assert ">Soup<" not in html and ">Food<" not in html


def test_a_listings_cached_card_shows_live_counts(client):
    article = published(title="Counted")
    assert "0 comments" in client.get(reverse("home")).content.decode()
    CommentFactory(article=article, status=Comment.Status.APPROVED)
    Article.objects.filter(pk=article.pk).update(view_count=41)
    html = client.get(reverse("home")).content.decode()
    assert "1 comment" in html and "41 views" in html


def test_a_listing_in_memory_loads_no_article_and_a_new_card_costs_one_query(client, django_assert_num_queries):
    for day in range(12):
        published(title=f"Day {day}")
    # The paginator's COUNT(*), the page's rows as values, and the cards not
    # yet in memory rendered from their articles, loaded with author and
    # category in one query whatever their number; once in memory, two.
    with django_assert_num_queries(3):
        client.get(reverse("home"))
    with django_assert_num_queries(2):
        html = client.get(reverse("home")).content.decode()
    assert html.count('class="article-card') == 10
    published(title="Fresh")
    with django_assert_num_queries(3):
        assert "Fresh" in client.get(reverse("home")).content.decode()


def test_a_title_holding_the_cards_counts_slot_is_only_text(client):
    published(title="<!--card-counts--> and <b>bold</b>")
    html = client.get(reverse("home")).content.decode()
    assert "&lt;!--card-counts--&gt; and &lt;b&gt;bold&lt;/b&gt;" in html
    assert html.count("0 comments") == 1 and "<!--card-counts-->" not in html


def test_a_save_naming_some_fields_also_moves_updated_at():
    article = published(title="Before")
    earlier = article.updated_at
    article.title = "After"
    article.save(update_fields=["title"])
    article.refresh_from_db()
    assert article.title == "After" and article.updated_at > earlier


# --- dashboard -------------------------------------------------------------------------


def test_dashboard_needs_a_login(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_dashboard_groups_the_authors_articles_by_status_with_counters(client, author):
    live = published(author=author, title="Live one")
    ArticleFactory(author=author, title="Still a draft")
    ArticleFactory(
        author=author, title="Later", status="scheduled", published_at=timezone.now() + datetime.timedelta(days=1)
    )
    published(title="Someone else's")
    CommentFactory(article=live, status=Comment.Status.APPROVED)
    Article.objects.filter(pk=live.pk).update(view_count=7)
    follow_author(user=UserFactory(), author=author)
    client.force_login(author.user)

    response = client.get(reverse("dashboard"))

    by_status = {
        status.value: [a.title for a in articles] for status, articles in response.context["by_status"].items()
    }
    assert by_status == {"draft": ["Still a draft"], "scheduled": ["Later"], "published": ["Live one"], "archived": []}
    html = response.content.decode()
    assert 'data-stat="published">1<' in html
    assert 'data-stat="followers">1<' in html
    assert 'data-stat="views">7<' in html
    assert 'data-stat="comments">1<' in html
    assert reverse("article_edit", kwargs={"slug": live.slug}) in html


def test_dashboard_lists_each_status_in_the_order_of_the_date_it_shows(client, author):
    now = timezone.now()
    for days, title in [(30, "Old"), (1, "New"), (10, "Middle")]:
        article = published(author=author, title=title, published_at=now - datetime.timedelta(days=days))
        article.save()  # edited today, whatever its publication date: not what the table sorts by
    for days, title in [(9, "Next week"), (1, "Tomorrow")]:
        ArticleFactory(author=author, title=title, status="scheduled", published_at=now + datetime.timedelta(days=days))
    client.force_login(author.user)

    by_status = client.get(reverse("dashboard")).context["by_status"]

    assert [a.title for a in by_status[Article.Status.PUBLISHED]] == ["New", "Middle", "Old"]
    assert [a.title for a in by_status[Article.Status.SCHEDULED]] == ["Tomorrow", "Next week"]


def test_dashboard_queries_do_not_grow_with_the_number_of_articles(client, author, django_assert_max_num_queries):
    client.force_login(author.user)
    published(author=author)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("dashboard"))
    for status in ["draft", "published", "archived"] * 4:
        ArticleFactory(author=author, status=status)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("dashboard"))
