"""RSS feeds and the sitemap: published articles only, at a fixed number of queries."""

import html
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from tests.factories import ArticleFactory, CategoryFactory, make_author

pytestmark = pytest.mark.django_db

SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
HOSTILE_TEXT = '<script>alert("x")</script> & <b>bold</b>'


def published(days_ago: int = 1, **fields) -> Article:
    return ArticleFactory(status="published", published_at=timezone.now() - timedelta(days=days_ago), **fields)


def rss_items(response) -> list[ElementTree.Element]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = ElementTree.fromstring(response.content).find("channel")
    return channel.findall("item")


def sitemap_locations(client) -> list[str]:
    response = client.get(reverse("django.contrib.sitemaps.views.sitemap"))
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)
    return [loc.text for loc in root.findall("sm:url/sm:loc", SITEMAP_NS)]


class TestFeeds:
    def test_the_site_feed_lists_published_articles_newest_first(self, client, author):
        category = CategoryFactory(name="Gardens")
        published(days_ago=3, title="Older", author=author, category=category, excerpt="The excerpt.")
        published(days_ago=1, title="Newer & better", author=author, category=None, body="**Bold** start of the body.")
        ArticleFactory(title="A draft")
        items = rss_items(client.get(reverse("feed")))

        # Titles are HTML to a feed reader: "&" arrives as "&amp;" once the XML is parsed.
        assert [item.findtext("title") for item in items] == ["Newer &amp; better", "Older"]
        newer, older = items
        assert newer.findtext("link") == "http://testserver/articles/newer-better/"
        assert newer.findtext("description") == "Bold start of the body."
        assert older.findtext("description") == "The excerpt."
        assert older.findtext(DC_CREATOR) == "Alice"
        assert [c.text for c in older.findall("category")] == ["Gardens"]
        assert newer.findall("category") == []
        assert newer.findtext("pubDate")

    def test_the_feed_holds_the_twenty_newest(self, client):
        author = make_author()
        for day in range(22):
            published(days_ago=day + 1, title=f"Article {day}", author=author)
        items = rss_items(client.get(reverse("feed")))
        assert len(items) == 20
        assert items[0].findtext("title") == "Article 0"

    def test_a_category_feed_lists_only_its_published_articles(self, client):
        gardens, kitchens = CategoryFactory(name="Gardens"), CategoryFactory(name="Kitchens")
        published(title="In gardens", category=gardens)
        published(title="In kitchens", category=kitchens)
        ArticleFactory(title="Draft in gardens", category=gardens)
        response = client.get(reverse("category_feed", kwargs={"slug": gardens.slug}))
        assert [item.findtext("title") for item in rss_items(response)] == ["In gardens"]
        assert b"<title>blogsite: Gardens</title>" in response.content

    def test_an_author_feed_lists_only_their_published_articles(self, client, author):
        published(title="Alice's", author=author)
        published(title="Someone else's")
        ArticleFactory(title="Alice's draft", author=author)
        response = client.get(reverse("author_feed", kwargs={"username": "alice"}))
        assert [item.findtext("title") for item in rss_items(response)] == ["Alice's"]

    @pytest.mark.parametrize("feed", ["feed", "category_feed", "author_feed"])
    def test_what_users_wrote_reaches_a_feed_reader_as_text_never_markup(self, client, feed):
        writer = make_author(username="writer", first_name="<b>Wri</b>")
        category = CategoryFactory(name="<i>Gardens</i>", slug="gardens", description=HOSTILE_TEXT)
        published(days_ago=2, title=HOSTILE_TEXT, excerpt=HOSTILE_TEXT, author=writer, category=category)
        body = f"{HOSTILE_TEXT}\n\n`<img src=x onerror=alert(1)>`"
        published(days_ago=1, title="From the body", body=body, author=writer, category=category)
        kwargs = {"feed": {}, "category_feed": {"slug": "gardens"}, "author_feed": {"username": "writer"}}[feed]

        response = client.get(reverse(feed, kwargs=kwargs))

        # What a reader renders as HTML: each title and description once the XML is parsed.
        channel = ElementTree.fromstring(response.content).find("channel")
        from_body, from_excerpt = rss_items(response)
        rendered = [channel.findtext("title"), channel.findtext("description")]
        rendered += [item.findtext(tag) for item in (from_body, from_excerpt) for tag in ("title", "description")]
        assert not [text for text in rendered if "<" in text]  # every "<" a user typed arrives as "&lt;"
        assert html.unescape(from_excerpt.findtext("title")) == HOSTILE_TEXT  # shown exactly as typed
        assert html.unescape(from_excerpt.findtext("description")) == HOSTILE_TEXT
        assert "<img src=x onerror=alert(1)>" in html.unescape(from_body.findtext("description"))
        # Names go in elements readers show as plain text: the XML escaping alone is right there.
        assert from_excerpt.findtext(DC_CREATOR) == "<b>Wri</b>"
        assert [c.text for c in from_excerpt.findall("category")] == ["<i>Gardens</i>"]

    @pytest.mark.parametrize("url", ["/feed/categories/no-such-thing/", "/feed/authors/nobody/"])
    def test_an_unknown_category_or_author_is_a_404(self, client, url):
        assert client.get(url).status_code == 404

    @pytest.mark.parametrize("feed", ["feed", "category_feed", "author_feed"])
    def test_the_query_count_does_not_grow_with_the_articles(self, client, feed, django_assert_num_queries):
        author, category = make_author(username="writer"), CategoryFactory(slug="gardens")
        kwargs = {"feed": {}, "category_feed": {"slug": "gardens"}, "author_feed": {"username": "writer"}}[feed]
        url = reverse(feed, kwargs=kwargs)

        def queries_for(count: int) -> int:
            while Article.objects.count() < count:
                published(author=author, category=category)
            with django_assert_num_queries(1 if feed == "feed" else 2) as captured:
                assert len(rss_items(client.get(url))) == count
            return len(captured)

        assert queries_for(3) == queries_for(15)


class TestSitemap:
    def test_lists_published_articles_and_what_has_them(self, client, author):
        gardens, empty = CategoryFactory(name="Gardens"), CategoryFactory(name="Empty")
        article = published(title="Out", author=author, category=gardens)
        draft = ArticleFactory(title="Not yet", category=empty)
        make_author(username="quiet")

        locations = sitemap_locations(client)
        assert f"http://testserver{article.get_absolute_url()}" in locations
        assert f"http://testserver{draft.get_absolute_url()}" not in locations
        assert f"http://testserver{gardens.get_absolute_url()}" in locations
        assert f"http://testserver{empty.get_absolute_url()}" not in locations
        assert "http://testserver/authors/alice/" in locations
        assert "http://testserver/authors/quiet/" not in locations
        assert draft.author.get_absolute_url() not in " ".join(locations)
        assert "http://testserver/" in locations

    def test_article_lastmod_is_updated_at(self, client):
        article = published()
        root = ElementTree.fromstring(client.get(reverse("django.contrib.sitemaps.views.sitemap")).content)
        lastmods = {
            url.findtext("sm:loc", namespaces=SITEMAP_NS): url.findtext("sm:lastmod", namespaces=SITEMAP_NS)
            for url in root.findall("sm:url", SITEMAP_NS)
        }
        assert lastmods[f"http://testserver{article.get_absolute_url()}"] == article.updated_at.date().isoformat()

    def test_the_query_count_does_not_grow_with_the_articles(self, client, django_assert_max_num_queries):
        def queries_for(count: int) -> int:
            while Article.objects.count() < count:
                published(author=make_author(), category=CategoryFactory())
            with django_assert_max_num_queries(10) as captured:
                assert len(sitemap_locations(client)) == 3 * count + 1
            return len(captured)

        assert queries_for(3) == queries_for(15)
