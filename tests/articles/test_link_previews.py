"""What a shared link shows: Open Graph and Twitter tags, canonical addresses, JSON-LD."""

import json
import re

import pytest
from django.urls import reverse

from articles.models import Article, ArticleRevision
from tests.articles.test_editing import edit_data
from tests.factories import ArticleFactory, CategoryFactory, make_author

pytestmark = pytest.mark.django_db


def head_of(response) -> str:
    return response.content.decode().split("</head>")[0]


def meta_content(head: str, key: str) -> str | None:
    found = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)">', head)
    return found.group(1) if found else None


def structured_data(head: str) -> dict:
    [block] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', head, re.S)
    return json.loads(block)


@pytest.fixture
def article(author):
    return ArticleFactory(
        author=author,
        status=Article.Status.PUBLISHED,
        title="Counting things",
        excerpt="Why exact numbers matter.",
        category=CategoryFactory(name="Craft"),
    )


def test_an_article_page_previews_with_its_title_excerpt_author_and_date(client, article, settings):
    head = head_of(client.get(article.get_absolute_url()))
    url = f"{settings.SITE_URL}{article.get_absolute_url()}"

    assert f'<link rel="canonical" href="{url}">' in head
    assert meta_content(head, "og:type") == "article"
    assert meta_content(head, "og:title") == "Counting things"
    assert meta_content(head, "og:description") == "Why exact numbers matter."
    assert meta_content(head, "og:url") == url
    assert meta_content(head, "article:author") == f"{settings.SITE_URL}/authors/alice/"
    assert meta_content(head, "article:published_time") == article.published_at.isoformat()
    assert meta_content(head, "article:section") == "Craft"
    assert meta_content(head, "twitter:card") == "summary"  # no cover: no large image
    assert meta_content(head, "og:image") is None
    data = structured_data(head)
    assert data["@type"] == "Article" and data["headline"] == "Counting things"
    assert data["author"] == {"@type": "Person", "name": "Alice", "url": f"{settings.SITE_URL}/authors/alice/"}
    assert data["datePublished"].startswith(article.published_at.isoformat()[:19])


def test_the_authors_meta_description_wins_over_the_excerpt(client, article):
    Article.objects.filter(pk=article.pk).update(meta_description="Short & sharp.")
    article.refresh_from_db()
    article.save()  # a save retires the cached part

    head = head_of(client.get(article.get_absolute_url()))

    assert '<meta name="description" content="Short &amp; sharp.">' in head
    assert meta_content(head, "og:description") == "Short &amp; sharp."
    assert structured_data(head)["description"] == "Short & sharp."


def test_an_author_sets_the_meta_description_in_the_form_and_an_overlong_one_is_refused_kept(client, article):
    client.force_login(article.author.user)
    edit = reverse("article_edit", kwargs={"slug": article.slug})

    too_long = client.post(edit, edit_data(article, meta_description="x" * 301))
    assert too_long.status_code == 200
    assert "at most 300 characters" in str(too_long.context["form"].errors["meta_description"])
    assert "x" * 301 in too_long.content.decode()

    client.post(edit, edit_data(article, meta_description="For the search results."))
    client.logout()
    head = head_of(client.get(article.get_absolute_url()))
    assert meta_content(head, "og:description") == "For the search results."
    assert (
        ArticleRevision.objects.filter(id=article.pk).latest("history_id").meta_description == "For the search results."
    )


def test_an_article_without_excerpt_previews_its_first_words_as_text(client, author):
    article = ArticleFactory(author=author, status=Article.Status.PUBLISHED, excerpt="", body="**Bold** start " * 40)

    description = meta_content(head_of(client.get(article.get_absolute_url())), "og:description")

    assert description.startswith("Bold start Bold start") and description.endswith("…")
    assert "*" not in description and len(description.split()) == 30


def test_a_title_that_tries_to_break_out_of_the_head_stays_text(client, author):
    title = '</script><script>alert(1)</script>" onload="x'
    article = ArticleFactory(author=author, status=Article.Status.PUBLISHED, title=title)

    head = head_of(client.get(article.get_absolute_url()))

    assert "<script>alert(1)" not in head
    assert structured_data(head)["headline"] == title[:110]
    assert meta_content(head, "og:title") == "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&quot; onload=&quot;x"


def test_a_cover_makes_a_large_image_card(client, author, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    article = ArticleFactory(author=author, status=Article.Status.PUBLISHED)
    Article.objects.filter(pk=article.pk).update(cover="covers/2026/12/photo.jpg")
    article.refresh_from_db()
    article.save()

    head = head_of(client.get(article.get_absolute_url()))

    image = f"{settings.SITE_URL}/media/covers/2026/12/photo.jpg"
    assert meta_content(head, "twitter:card") == "summary_large_image"
    assert meta_content(head, "og:image") == image and structured_data(head)["image"] == image


def test_a_draft_preview_is_not_indexed(client, author):
    draft = ArticleFactory(author=author, status=Article.Status.DRAFT)
    client.force_login(author.user)

    assert '<meta name="robots" content="noindex">' in head_of(client.get(draft.get_absolute_url()))


def test_the_previews_of_a_signed_in_readers_page_are_the_same(client, article, reader):
    anonymous = head_of(client.get(article.get_absolute_url()))
    client.force_login(reader)
    signed_in = head_of(client.get(article.get_absolute_url()))

    assert meta_content(signed_in, "og:title") == meta_content(anonymous, "og:title") == "Counting things"


@pytest.mark.parametrize("listing", ["home", "category", "author"])
def test_listings_have_a_canonical_address_per_page_and_prev_next(client, settings, listing):
    writer = make_author(username="writer")
    category = CategoryFactory(slug="craft")
    ArticleFactory.create_batch(25, author=writer, category=category, status=Article.Status.PUBLISHED)
    path = {"home": reverse("home"), "category": "/categories/craft/", "author": "/authors/writer/"}[listing]
    site = settings.SITE_URL

    first = head_of(client.get(path, {"utm_source": "newsletter"}))
    middle = head_of(client.get(path, {"page": 2}))
    last = head_of(client.get(path, {"page": 3}))

    assert f'<link rel="canonical" href="{site}{path}">' in first  # no tracking parameters
    assert f'<link rel="next" href="{site}{path}?page=2">' in first and 'rel="prev"' not in first
    assert f'<link rel="canonical" href="{site}{path}?page=2">' in middle
    assert f'<link rel="prev" href="{site}{path}">' in middle
    assert f'<link rel="next" href="{site}{path}?page=3">' in middle
    assert f'<link rel="prev" href="{site}{path}?page=2">' in last and 'rel="next"' not in last
