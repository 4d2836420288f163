"""The anonymous page cache: served without a query, never wrong for long (blogsite/page_cache.py)."""

from __future__ import annotations

import re
import time

import pytest
from django.core.cache import cache, caches
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory

from articles.models import Article
from articles.services import publish_article
from authors.models import Follow
from blogsite import page_cache
from comments.services import add_comment, approve_comment
from tests.conftest import FRAGMENTS, require_redis
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db

REDIS_TEST_URL = "redis://127.0.0.1:6379/14"
REDIS = {
    "default": {"BACKEND": "blogsite.redis_cache.SharedClientRedisCache", "LOCATION": REDIS_TEST_URL},
    "fragments": FRAGMENTS,
}


@pytest.fixture(autouse=True)
def _page_cache_on(page_cache_on):
    pass


def committed(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks(execute=True)


PUBLIC_LIST_PAGES = [
    "/",
    "/?page=2",
    "/categories/gardening/",
    "/authors/ada/",
    "/feed/",
    "/feed/categories/gardening/",
    "/feed/authors/ada/",
    "/sitemap.xml",
]


def is_hit(response) -> bool:
    return response.get(page_cache.HIT_HEADER) == "hit"


@pytest.mark.parametrize("url", PUBLIC_LIST_PAGES)
def test_a_second_anonymous_request_is_served_from_the_cache_without_a_query(
    client, site, url, django_assert_num_queries
):
    first = client.get(url)
    assert first.status_code == 200
    assert not is_hit(first)
    with django_assert_num_queries(0):
        second = client.get(url)
    assert is_hit(second)
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]


def test_a_publication_shows_on_the_very_next_request(client, site, django_capture_on_commit_callbacks):
    for url in ("/", "/categories/gardening/", "/authors/ada/", "/feed/", "/sitemap.xml"):
        client.get(url)
    with committed(django_capture_on_commit_callbacks):
        fresh = ArticleFactory(title="Peppers in June", author=site.author, category=site.category)
        publish_article(fresh)
    assert "Peppers in June" in client.get("/").content.decode()
    assert "Peppers in June" in client.get("/feed/").content.decode()
    assert fresh.get_absolute_url() in client.get("/sitemap.xml").content.decode()
    category_page = client.get("/categories/gardening/").content.decode()
    assert "Peppers in June" in category_page
    assert '<span class="counter">2</span> published articles' in client.get("/authors/ada/").content.decode()


def test_an_unpublication_disappears_on_the_very_next_request(client, site, django_capture_on_commit_callbacks):
    assert "Tomatoes in May" in client.get("/").content.decode()
    with committed(django_capture_on_commit_callbacks):
        site.status = Article.Status.DRAFT
        site.save()
    assert "Tomatoes in May" not in client.get("/").content.decode()


def test_deleting_a_published_article_shows_at_once(client, site, django_capture_on_commit_callbacks):
    client.get("/")
    with committed(django_capture_on_commit_callbacks):
        Article.objects.get(pk=site.pk).delete()
    assert "Tomatoes in May" not in client.get("/").content.decode()


def test_approving_a_comment_updates_the_count(client, site, django_capture_on_commit_callbacks):
    with committed(django_capture_on_commit_callbacks):
        comment = add_comment(article=site, name="Guest", email="g@example.com", body="Lovely")
    assert "0 comments" in client.get("/").content.decode()
    assert is_hit(client.get("/"))  # a pending comment changes no page
    with committed(django_capture_on_commit_callbacks):
        approve_comment(comment)
    assert "1 comment<" in client.get("/").content.decode()


def test_an_edit_of_a_published_article_shows_at_once(client, site, django_capture_on_commit_callbacks):
    client.get("/")
    with committed(django_capture_on_commit_callbacks):
        site.title = "Tomatoes in late May"
        site.excerpt = "A fortnight later."
        site.save()
    page = client.get("/").content.decode()
    assert "Tomatoes in late May" in page
    assert "A fortnight later." in page


def test_a_category_rename_shows_at_once(client, site, django_capture_on_commit_callbacks):
    client.get("/")
    client.get("/categories/gardening/")
    with committed(django_capture_on_commit_callbacks):
        site.category.name = "Kitchen garden"
        site.category.save()
    assert "Kitchen garden" in client.get("/").content.decode()
    assert "Kitchen garden" in client.get("/categories/gardening/").content.decode()


def test_an_author_profile_change_shows_at_once(client, site, django_capture_on_commit_callbacks):
    client.get("/authors/ada/")
    with committed(django_capture_on_commit_callbacks):
        site.author.bio = "Grows things."
        site.author.save()
    assert "Grows things." in client.get("/authors/ada/").content.decode()
    with committed(django_capture_on_commit_callbacks):
        site.author.user.first_name = "Adeline"
        site.author.user.save()
    assert 'By <a href="/authors/ada/">Adeline</a>' in client.get("/").content.decode()


def test_a_new_follower_shows_at_once(client, site, django_capture_on_commit_callbacks):
    assert '<span class="counter">0</span> followers' in client.get("/authors/ada/").content.decode()
    with committed(django_capture_on_commit_callbacks):
        Follow.objects.create(follower=UserFactory(), author=site.author)
    assert '<span class="counter">1</span> follower<' in client.get("/authors/ada/").content.decode()


def test_signing_in_does_not_invalidate(client, site, django_capture_on_commit_callbacks):
    client.get("/")
    user = UserFactory()
    with committed(django_capture_on_commit_callbacks):
        user.last_login = None
        user.save(update_fields=["last_login"])
    assert is_hit(client.get("/"))


def test_a_rolled_back_change_keeps_the_pages(client, site, django_capture_on_commit_callbacks):
    client.get("/")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        site.category.name = "Never committed"
        site.category.save()
    assert callbacks  # the invalidation waits for a commit that, here, never comes
    assert is_hit(client.get("/"))


def test_signed_in_readers_get_live_pages_and_never_fill_the_cache(client, site, django_assert_max_num_queries):
    client.force_login(site.author.user)
    for url in PUBLIC_LIST_PAGES:
        for _ in range(2):
            response = client.get(url)
            assert response.status_code == 200
            assert not is_hit(response)
    assert "Log out" in client.get("/").content.decode()
    client.logout()
    anonymous = client.get("/")
    assert not is_hit(anonymous)
    assert "Log out" not in anonymous.content.decode()


@pytest.mark.parametrize("cookie", ["sessionid", "messages"])
def test_a_request_with_a_session_or_messages_cookie_is_live(client, site, cookie):
    client.get("/")
    client.cookies[cookie] = "something"
    assert not is_hit(client.get("/"))


@pytest.mark.parametrize("url", ["/?utm_source=x", "/?page=" + "9" * 20])
def test_unknown_or_long_parameters_are_neither_served_nor_stored(client, site, url):
    client.get(url)
    assert not is_hit(client.get(url))


# --- The article page: cached for anonymous readers, every read counted ------------


def views_of(article) -> int:
    return Article.objects.get(pk=article.pk).view_count


def test_the_article_page_is_cached_and_every_read_still_counts(client, site, django_assert_num_queries):
    assert not is_hit(client.get(site.get_absolute_url()))
    for _ in range(3):
        with django_assert_num_queries(1):  # the view's F() UPDATE: nothing rendered, nothing read
            response = client.get(site.get_absolute_url())
        assert is_hit(response) and response.status_code == 200
    assert views_of(site) == 4


def test_crawlers_prefetches_and_heads_of_a_cached_article_page_count_nothing(client, site):
    client.get(site.get_absolute_url())  # fills the cache, and counts: a reader
    assert is_hit(client.get(site.get_absolute_url(), headers={"user-agent": "Googlebot/2.1"}))
    assert is_hit(client.get(site.get_absolute_url(), headers={"sec-purpose": "prefetch"}))
    assert is_hit(client.head(site.get_absolute_url()))
    assert views_of(site) == 1


def csrf_of(response) -> str:
    html = response.content.decode()
    assert page_cache.CSRF_PLACEHOLDER not in html
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_no_reader_gets_another_readers_csrf_token_and_each_can_comment(site):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    miss, hit = first.get(site.get_absolute_url()), second.get(site.get_absolute_url())
    assert not is_hit(miss) and is_hit(hit)
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value
    assert csrf_of(miss) != csrf_of(hit)
    for reader, page in ((first, miss), (second, hit)):
        form = {"csrfmiddlewaretoken": csrf_of(page), "name": "Guest", "email": "g@example.com", "body": "Hello"}
        assert reader.post(f"{site.get_absolute_url()}comments/", form).status_code == 302
    # A token taken from another reader's page is refused with the reader's own cookie.
    third = Client(enforce_csrf_checks=True)
    third.get(site.get_absolute_url())
    form = {"csrfmiddlewaretoken": "x" * 64, "name": "Guest", "email": "g@example.com", "body": "Hello"}
    assert third.post(f"{site.get_absolute_url()}comments/", form).status_code == 403


def test_signed_in_readers_and_readers_with_messages_get_the_live_page(client, site, reader):
    client.get(site.get_absolute_url())
    client.force_login(reader)
    response = client.get(site.get_absolute_url())
    assert not is_hit(response) and reader.get_username() in response.content.decode()


def test_approving_a_comment_shows_it_on_the_cached_article_page(client, site, django_capture_on_commit_callbacks):
    client.get(site.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        comment = CommentFactory(article=site, body="First, and approved", status="pending")
        approve_comment(comment)
    assert "First, and approved" in client.get(site.get_absolute_url()).content.decode()


def test_a_missing_page_is_not_cached(client, site):
    client.get("/categories/nothing-here/")
    assert client.get("/categories/nothing-here/").status_code == 404


def test_pages_expire_after_page_cache_seconds(client, site, settings, monkeypatch):
    settings.PAGE_CACHE_SECONDS = 30
    client.get("/")
    assert is_hit(client.get("/"))

    class Later:
        @staticmethod
        def time() -> float:
            return time.time() + 31

    monkeypatch.setattr("django.core.cache.backends.locmem.time", Later)
    assert not is_hit(client.get("/"))


def test_zero_seconds_turns_the_cache_off(client, site, settings):
    settings.PAGE_CACHE_SECONDS = 0
    client.get("/")
    assert not is_hit(client.get("/"))


def test_a_lost_generation_restarts_ahead_of_every_stored_page(client, site):
    client.get("/")
    old = cache.get(page_cache.GENERATION_KEY)
    cache.delete(page_cache.GENERATION_KEY)
    assert not is_hit(client.get("/"))
    assert cache.get(page_cache.GENERATION_KEY) > old
    cache.delete(page_cache.GENERATION_KEY)
    page_cache.invalidate_pages()  # with no key to increment, it starts a later one
    assert cache.get(page_cache.GENERATION_KEY) > old


def test_a_page_rendered_across_an_invalidation_is_never_served():
    """The data read by a render may predate the commit that invalidated it mid-render."""
    renders = []

    def view(request):
        renders.append(1)
        page_cache.invalidate_pages()  # a publication commits while this page renders
        return HttpResponse(f"render {len(renders)}")

    served = through_the_page_cache(view)
    factory = RequestFactory()
    for _ in range(2):
        served(factory.get("/"))
    assert len(renders) == 2


def test_a_page_holding_a_csrf_token_is_never_stored():
    """A token belongs to one reader: a page that asked for one must not be shown to another."""
    renders = []

    def view(request):
        renders.append(1)
        return HttpResponse(f"<input value='{get_token(request)}'>")

    served = through_the_page_cache(view)
    for _ in range(2):
        served(RequestFactory().get("/"))
    assert len(renders) == 2


def test_a_page_rendered_for_the_cache_is_served_from_it_without_the_view():
    """The check the two tests above rely on: this same view is stored and served when it may be."""
    renders = []

    def view(request):
        renders.append(1)
        return HttpResponse("the same for everybody")

    served = through_the_page_cache(view)
    responses = [served(RequestFactory().get("/")) for _ in range(2)]
    assert len(renders) == 1
    assert is_hit(responses[1])
    assert responses[1].content == b"the same for everybody"


def through_the_page_cache(view):
    """``view`` behind the page cache's middleware, as an anonymous reader's request reaches it."""

    def with_user(request):
        request.user = _Anonymous()
        return page_cache.cache_public_page(view)(request)

    return page_cache.PageCacheMiddleware(with_user)


def test_a_head_request_is_answered_from_the_cache_but_never_fills_it(client, site):
    client.head("/")
    assert not is_hit(client.get("/"))
    assert is_hit(client.head("/"))


def test_an_unreachable_cache_serves_pages_live(client, site, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    for method in ("get", "get_many"):
        monkeypatch.setattr(caches["default"], method, broken)
    assert client.get("/").status_code == 200
    assert "Page cache unavailable: serving / live" in caplog.text


class _Anonymous:
    is_authenticated = False


def test_with_redis_pages_are_shared_invalidated_and_expire(
    client, site, settings, django_capture_on_commit_callbacks, django_assert_num_queries
):
    import redis

    require_redis(REDIS_TEST_URL)
    settings.CACHES = REDIS
    cache.clear()
    try:
        client.get("/")
        with django_assert_num_queries(0):
            assert is_hit(client.get("/"))
        server = redis.Redis.from_url(REDIS_TEST_URL)
        page_keys = [key for key in server.keys("*page_cache:*") if b"generation" not in key]
        assert page_keys
        assert all(0 < server.ttl(key) <= 60 for key in page_keys)
        assert server.ttl(next(k for k in server.keys("*page_cache:generation"))) == -1  # never expires
        with committed(django_capture_on_commit_callbacks):
            publish_article(ArticleFactory(title="Beans in July", author=site.author, category=site.category))
        assert "Beans in July" in client.get("/").content.decode()
    finally:
        cache.clear()


def test_a_page_filed_under_an_earlier_generation_is_not_served(client, site):
    client.get("/")
    assert is_hit(client.get("/"))
    page_cache.invalidate_pages()
    # The page is still stored, under the generation before: it is rendered again.
    assert not is_hit(client.get("/"))
    assert is_hit(client.get("/"))


def test_with_redis_a_hit_is_one_round_trip_and_the_client_is_made_once(client, site, settings, monkeypatch):
    import redis

    require_redis(REDIS_TEST_URL)
    settings.CACHES = REDIS
    cache.clear()
    try:
        client.get("/")
        made, commands = [], []
        real_init, real_execute = redis.Redis.__init__, redis.Redis.execute_command

        def init(self, *args, **kwargs):
            made.append(self)
            real_init(self, *args, **kwargs)

        def execute(self, *args, **kwargs):
            commands.append(args[0])
            return real_execute(self, *args, **kwargs)

        monkeypatch.setattr(redis.Redis, "__init__", init)
        monkeypatch.setattr(redis.Redis, "execute_command", execute)
        for _ in range(3):
            assert is_hit(client.get("/"))
        # The generation and the page in one MGET per hit, through one client made before.
        assert commands == ["MGET"] * 3
        assert made == []
    finally:
        cache.clear()


def test_a_returning_reader_served_from_the_cache_keeps_their_csrf_cookie_and_can_comment(site):
    from django.middleware.csrf import _unmask_cipher_token

    reader = Client(enforce_csrf_checks=True)
    reader.get(site.get_absolute_url())  # fills the cache; the reader's cookie is set
    secret = reader.cookies["csrftoken"].value
    hit = reader.get(site.get_absolute_url())
    assert is_hit(hit)
    assert _unmask_cipher_token(csrf_of(hit)) == secret
    assert hit.cookies["csrftoken"].value == secret  # renewed, not replaced
    assert int(hit["Content-Length"]) == len(hit.content)
    form = {"csrfmiddlewaretoken": csrf_of(hit), "name": "Guest", "email": "g@example.com", "body": "Hello"}
    assert reader.post(f"{site.get_absolute_url()}comments/", form).status_code == 302


def test_a_hit_carries_the_headers_the_inner_middleware_gave_the_page(client, site):
    miss = client.get("/")
    hit = client.get("/")
    assert is_hit(hit) and not is_hit(miss)
    for header in ("Content-Security-Policy", "X-Frame-Options", "Content-Type", "X-Content-Type-Options"):
        assert hit[header] == miss[header]
    assert int(hit["Content-Length"]) == len(hit.content)


def test_pages_the_cache_never_holds_cost_it_no_round_trip(client, site, monkeypatch):
    asked = []
    lookup = page_cache.generation_and_page
    monkeypatch.setattr(page_cache, "generation_and_page", lambda key: asked.append(key) or lookup(key))
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 200
    assert client.get("/no-such-page/").status_code == 404
    assert asked == []
    client.get("/")
    assert len(asked) == 1
