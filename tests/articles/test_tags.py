"""Tags as authors and readers meet them: the write form, the tag page, its feed, the sitemap, the admin."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from articles.models import Article, Tag
from tests.articles.test_editing import WRITE_URL, edit_data, edit_url, form_data
from tests.conftest import assert_counters_exact
from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db

PUBLISHED = Article.Status.PUBLISHED


@pytest.fixture
def author_client(client, author):
    client.force_login(author.user)
    return client


def names_of(article: Article) -> list[str]:
    return sorted(Article.objects.get(pk=article.pk).tags.values_list("name", flat=True))


def test_an_author_tags_an_article_in_the_form_and_existing_tags_are_reused_whatever_their_case(author_client):
    Tag.objects.create(name="Python", slug="python")

    response = author_client.post(WRITE_URL, form_data(status=PUBLISHED, tags="python,  web   apps , Python,"))

    assert response.status_code == 302
    article = Article.objects.get()
    assert names_of(article) == ["Python", "web apps"]
    assert Tag.objects.count() == 2
    assert [Tag.objects.get(name="Python").article_count, Tag.objects.get(name="web apps").article_count] == [1, 1]
    assert_counters_exact()


def test_the_edit_form_shows_the_tags_and_an_edit_replaces_them(author_client, author):
    article = ArticleFactory(author=author, status=PUBLISHED)
    article.tags.add(Tag.objects.create(name="Old", slug="old"))

    page = author_client.get(edit_url(article)).content.decode()
    assert 'value="Old"' in page and 'list="tag-suggestions"' in page

    author_client.post(edit_url(article), edit_data(article, tags="New"))
    assert names_of(article) == ["New"]
    assert Tag.objects.get(name="Old").article_count == 0
    assert_counters_exact()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("???", "“???” needs a letter or a digit."),
        ("🎉", "“🎉” needs a letter or a digit."),
        ("x" * 51, "is longer than 50 characters."),
        (", ".join(f"tag {n}" for n in range(11)), "At most 10 tags per article."),
    ],
    ids=["punctuation", "emoji", "huge", "too-many"],
)
def test_a_bad_tag_is_an_error_next_to_the_field_and_nothing_is_saved_or_lost(author_client, typed, message):
    response = author_client.post(WRITE_URL, form_data(title="Kept title", tags=typed))

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["tags"])
    html = response.content.decode()
    assert "Kept title" in html and typed[:20].replace("&", "&amp;") in html
    assert not Article.objects.exists() and not Tag.objects.exists()


def test_a_tag_with_words_and_emoji_is_fine(author_client):
    author_client.post(WRITE_URL, form_data(tags="🎉 launch day"))

    assert Tag.objects.get().slug == "launch-day"


def test_the_tag_page_lists_its_published_articles_with_the_exact_count(client, author):
    tag = Tag.objects.create(name="Soil", slug="soil")
    for title in ("Compost", "Worms"):
        ArticleFactory(author=author, status=PUBLISHED, title=title).tags.add(tag)
    ArticleFactory(author=author, status=Article.Status.DRAFT, title="Secret").tags.add(tag)

    html = client.get(tag.get_absolute_url()).content.decode()

    assert "#Soil" in html and '<span class="counter">2</span> published articles' in html
    assert "Compost" in html and "Worms" in html and "Secret" not in html
    assert client.get("/tags/no-such-tag/").status_code == 404


def test_an_article_page_links_its_tags(client, author):
    article = ArticleFactory(author=author, status=PUBLISHED)
    article.tags.add(Tag.objects.create(name="Soil", slug="soil"))

    html = client.get(article.get_absolute_url()).content.decode()

    assert (
        '<a class="badge rounded-pill text-bg-light border text-decoration-none" href="/tags/soil/" rel="tag">#Soil</a>'
        in html
    )


def test_a_tag_has_a_feed_and_tags_in_use_are_in_the_sitemap(client, author):
    used, unused = Tag.objects.create(name="Soil", slug="soil"), Tag.objects.create(name="Unused", slug="unused")
    ArticleFactory(author=author, status=PUBLISHED, title="Compost").tags.add(used)

    feed = client.get(reverse("tag_feed", args=["soil"])).content.decode()
    sitemap = client.get("/sitemap.xml").content.decode()

    assert "<title>blogsite: tagged Soil</title>" in feed and "Compost" in feed
    assert "/tags/soil/" in sitemap and "/tags/unused/" not in sitemap
    assert unused.article_count == 0


def test_staff_merge_tags_in_the_admin_and_the_counts_stay_exact(client, author):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    python, py = Tag.objects.create(name="Python", slug="python"), Tag.objects.create(name="py", slug="py")
    both, only_py = ArticleFactory(author=author, status=PUBLISHED), ArticleFactory(author=author, status=PUBLISHED)
    both.tags.add(python, py)
    only_py.tags.add(py)
    ArticleFactory(author=author, status=PUBLISHED).tags.add(python)

    response = client.post(
        reverse("admin:articles_tag_changelist"),
        {"action": "merge_selected_tags", ACTION_CHECKBOX_NAME: [python.pk, py.pk]},
        follow=True,
    )

    assert "Merged 1 tag(s) into “Python”." in response.content.decode()
    assert list(Tag.objects.values_list("name", "article_count")) == [("Python", 3)]
    assert names_of(only_py) == ["Python"]
    assert_counters_exact()


def test_the_admin_refuses_a_tag_that_differs_only_in_case(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    Tag.objects.create(name="Python", slug="python")

    response = client.post(reverse("admin:articles_tag_add"), {"name": "PYTHON", "slug": "python-2"})

    assert response.status_code == 200
    assert "A tag of this name already exists (whatever its capitals)." in response.content.decode()
    assert Tag.objects.count() == 1


def test_search_offers_the_tags_in_use_that_match(client, author):
    soil = Tag.objects.create(name="Soil science", slug="soil-science")
    Tag.objects.create(name="Soil unused", slug="soil-unused")
    ArticleFactory(author=author, status=PUBLISHED).tags.add(soil)

    html = client.get(reverse("search"), {"q": "soil"}).content.decode()

    assert 'href="/tags/soil-science/"' in html and "/tags/soil-unused/" not in html
