"""The article page's shared part: signed-in readers get the article and its comments from the cache.

articles/shared_part.py.
"""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.test import Client

from articles.models import Article
from articles.services import set_article_status
from comments.services import approve_comment
from tests.factories import CommentFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_on")]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_of(client: Client, article) -> str:
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def views_of(article) -> int:
    return Article.objects.get(pk=article.pk).view_count


def test_signed_in_readers_share_the_article_but_each_sees_only_their_own_name(site, django_assert_num_queries):
    grace = UserFactory(username="grace", first_name="Grace")
    linus = UserFactory(username="linus", first_name="Linus")
    grace_client, linus_client = signed_in(grace), signed_in(linus)
    first = page_of(grace_client, site)
    # The session, the user and the view's F() UPDATE: the article and its comments come from the cache.
    with django_assert_num_queries(3):
        second = page_of(linus_client, site)
    for page in (first, second):
        assert "Tomatoes in May" in page and site.body_html in page
    assert "Commenting as Grace" in first and "grace" in first
    assert "Commenting as Linus" in second
    assert "Grace" not in second and "grace" not in second
    # An anonymous reader's page, rendered from the same part, names nobody.
    anonymous = page_of(Client(), site)
    assert "Tomatoes in May" in anonymous and "Log in</a> to comment" in anonymous
    assert "Grace" not in anonymous and "Linus" not in anonymous


def test_every_read_served_from_the_shared_part_counts(site):
    readers = [signed_in(UserFactory()) for _ in range(4)]
    for reader in readers:
        page_of(reader, site)
        page_of(reader, site)
    assert views_of(site) == 8


def test_a_crawler_or_a_prefetch_served_from_the_shared_part_counts_nothing(site):
    reader = signed_in(UserFactory())
    page_of(reader, site)
    reader.get(site.get_absolute_url(), headers={"user-agent": "Mozilla/5.0 (compatible; bingbot/2.0)"})
    reader.get(site.get_absolute_url(), headers={"sec-purpose": "prefetch"})
    assert views_of(site) == 1


def test_the_author_and_the_editors_still_get_edit_and_delete_and_are_not_counted(site):
    page_of(signed_in(UserFactory()), site)  # the shared part is filled
    edit_link = f'href="{site.get_absolute_url()}edit/"'
    reader_page = page_of(signed_in(UserFactory()), site)
    author_page = page_of(signed_in(site.author.user), site)
    editor_page = page_of(signed_in(UserFactory(is_staff=True)), site)
    assert edit_link not in reader_page
    assert edit_link in author_page and ">Delete</a>" in author_page
    assert edit_link in editor_page and ">Delete</a>" not in editor_page
    # ...and what they saw was not stored for the others.
    assert edit_link not in page_of(signed_in(UserFactory()), site)
    assert views_of(site) == 3


def test_an_approved_comment_shows_on_the_next_signed_in_page(site, django_capture_on_commit_callbacks):
    reader = signed_in(UserFactory())
    assert "No comments yet." in page_of(reader, site)
    with django_capture_on_commit_callbacks(execute=True):
        comment = CommentFactory(article=site, body="Mulch them early", status="pending")
    assert "Mulch them early" not in page_of(reader, site)
    with django_capture_on_commit_callbacks(execute=True):
        approve_comment(comment)
    page = page_of(reader, site)
    assert "Mulch them early" in page and '<span class="counter">1</span> comment<' in page


def test_an_edit_shows_at_once_and_an_unpublished_article_is_gone(site, django_capture_on_commit_callbacks):
    reader = signed_in(UserFactory())
    page_of(reader, site)
    with django_capture_on_commit_callbacks(execute=True):
        site.body = "Water them at dawn."
        site.save()
    assert "Water them at dawn." in page_of(reader, site)
    with django_capture_on_commit_callbacks(execute=True):
        set_article_status(site, Article.Status.ARCHIVED)
    assert reader.get(site.get_absolute_url()).status_code == 404


def test_a_comment_posted_by_a_signed_in_reader_shows_its_message_to_that_reader_only(
    site, django_capture_on_commit_callbacks
):
    poster, other = signed_in(UserFactory(first_name="Poster")), signed_in(UserFactory())
    page_of(other, site)
    with django_capture_on_commit_callbacks(execute=True):
        posted = poster.post(f"{site.get_absolute_url()}comments/", {"body": "Lovely."})
    response = poster.get(posted.url)
    assert "Your comment is published." in response.content.decode()
    assert "Lovely." in response.content.decode()
    page = page_of(other, site)
    assert "Lovely." in page and "Your comment is published." not in page


def test_an_invalid_comment_shows_its_errors_under_the_article(site):
    reader = signed_in(UserFactory())
    page_of(reader, site)
    response = reader.post(f"{site.get_absolute_url()}comments/", {"body": ""})
    page = response.content.decode()
    assert response.status_code == 200 and "This field is required." in page
    assert site.body_html in page and not list(get_messages(response.wsgi_request))


def test_an_unreachable_cache_renders_the_page_whole(site, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    for method in ("get", "get_many", "set"):
        monkeypatch.setattr(caches["default"], method, broken)
    reader = signed_in(UserFactory())
    assert "Tomatoes in May" in page_of(reader, site)
    assert "Page cache unavailable: article tomatoes-in-may rendered whole" in caplog.text
    assert views_of(site) == 1
