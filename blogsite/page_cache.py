"""A shared cache of the public list pages, for anonymous readers (docs/page-cache.md).

Invariant: a page rendered before a commit that changes what it shows is
never served after that commit; only view counts may lag, by at most
``PAGE_CACHE_SECONDS`` (0 turns the cache off).

Keys: ``page_cache:generation``, a number bumped after every such commit;
``page_cache:page:<sha256 of the absolute URL>``, the page (status, headers,
body) with the generation its request read before the database. A page is
served only while that generation is still the current one. Both keys are read
in one MGET: a hit is one round trip to Redis.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token

from .cascades import delete_origin, delete_started_above

logger = logging.getLogger(__name__)

GENERATION_KEY = "page_cache:generation"
# Query parameters the cached views read; any other makes the request live, so
# nobody can fill the cache with ?junk=1, ?junk=2, …
CACHEABLE_PARAMETERS = {"page"}
MAX_PARAMETER_LENGTH = 8
# django.contrib.messages' CookieStorage.cookie_name
MESSAGES_COOKIE = "messages"
HIT_HEADER = "X-Page-Cache"
# What a page rendered for the cache holds where a form's CSRF token goes; each
# reader's response gets that reader's own token there, on a hit as on a miss.
CSRF_PLACEHOLDER = "page-cache-csrf-token-placeholder"
# Set on the request while its view renders a page for the cache.
RENDERING_FOR_CACHE = "page_cache_rendering"

View = Callable[..., HttpResponse]
OnHit = Callable[[HttpRequest, dict], None]


def fresh_generation() -> int:
    # A generation restarted after its key was lost (evicted, flushed, a Redis
    # restart) must never be one that older pages were stored under: a clock in
    # microseconds stays ahead of every earlier value unless more than a
    # million invalidations a second happened.
    return time.time_ns() // 1000


def current_generation() -> int | None:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, fresh_generation(), timeout=None)
        generation = cache.get(GENERATION_KEY)
    return generation


def invalidate_pages() -> None:
    """Retire every cached page at once. Call it after the change has committed."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        # No generation stored: a new clock value is later than any page's.
        cache.set(GENERATION_KEY, fresh_generation(), timeout=None)


def is_cacheable_request(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES or MESSAGES_COOKIE in request.COOKIES:
        return False
    if any(name not in CACHEABLE_PARAMETERS for name in request.GET):
        return False
    if any(len(value) > MAX_PARAMETER_LENGTH for value in request.GET.values()):
        return False
    # Without a session cookie nobody is signed in; this guards other ways of
    # authenticating. It costs no query: there is no session to load.
    return not request.user.is_authenticated


def is_cacheable_response(request: HttpRequest, response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        # A page that asked for a CSRF token holds this reader's token.
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        # A view that states its own caching rules (private, no-store…) keeps them.
        and not response.has_header("Cache-Control")
    )


def page_key(request: HttpRequest) -> str:
    # The host and query string are part of the page: feeds and the sitemap
    # hold absolute URLs, the "Log in" link holds the current path.
    address = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
    return f"page_cache:page:{address}"


def generation_and_page(key: str) -> tuple[int | None, tuple | None]:
    """The current generation and the page stored under ``key`` if it was filed under it."""
    found = cache.get_many([GENERATION_KEY, key])
    generation = found.get(GENERATION_KEY)
    if generation is None:
        # Lost (evicted, flushed): a new one, later than any stored page's.
        return current_generation(), None
    stored = found.get(key)
    if stored is None or stored[0] != generation:
        return generation, None
    return generation, stored[1:]


def cache_public_page(view: View, *, on_hit: OnHit | None = None) -> View:
    """Serve ``view`` to anonymous readers from the cache, generation-keyed.

    A view may leave ``response.page_cache_note`` (a dict) for ``on_hit``,
    which runs before every hit is served: the article page counts its view
    there. A view renders ``CSRF_PLACEHOLDER`` instead of a token while
    ``request.page_cache_rendering`` is set (``csrf_token_for``).
    """

    @functools.wraps(view)
    def cached_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        seconds = settings.PAGE_CACHE_SECONDS
        if seconds <= 0 or not is_cacheable_request(request):
            return view(request, *args, **kwargs)
        key = page_key(request)
        try:
            generation, stored = generation_and_page(key)
        except Exception:
            # An unreachable cache slows the site down; it never takes it down.
            logger.warning("Page cache unavailable: serving %s live", request.path, exc_info=True)
            return view(request, *args, **kwargs)
        if stored is not None:
            *page, note = stored
            if on_hit is not None:
                on_hit(request, note)
            return with_readers_token(request, rebuilt_response(page))
        setattr(request, RENDERING_FOR_CACHE, generation is not None)
        response = view(request, *args, **kwargs)
        if generation is None:
            return response

        def store(rendered: HttpResponse) -> None:
            if request.method == "GET" and is_cacheable_response(request, rendered):
                try:
                    cache.set(key, (generation, *stored_response(rendered)), timeout=seconds)
                except Exception:
                    logger.warning("Page cache unavailable: %s not stored", request.path, exc_info=True)
            # Stored with the placeholder; this reader gets their own token.
            with_readers_token(request, rendered)

        if getattr(response, "is_rendered", True):
            store(response)
        else:
            response.add_post_render_callback(store)
        return response

    return cached_view


def csrf_token_for(request: HttpRequest) -> str | None:
    """The placeholder while a page is rendered for the cache; None: the template's usual token."""
    return CSRF_PLACEHOLDER if getattr(request, RENDERING_FOR_CACHE, False) else None


def with_readers_token(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Put this reader's own CSRF token where the cached page holds the placeholder.

    get_token() also makes CsrfViewMiddleware set the reader's CSRF cookie, so
    a form posted from a cached page passes the check like any other.
    """
    placeholder = CSRF_PLACEHOLDER.encode()
    if placeholder in response.content:
        response.content = response.content.replace(placeholder, get_token(request).encode())
    return response


def stored_response(response: HttpResponse) -> tuple[int, list[tuple[str, str]], bytes, dict]:
    # Status, headers, bytes and the view's note only: nothing of the request is pickled.
    return response.status_code, list(response.items()), response.content, getattr(response, "page_cache_note", {})


def rebuilt_response(stored: list) -> HttpResponse:
    status, headers, content = stored
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response[name] = value
    response[HIT_HEADER] = "hit"
    return response


# --------------------------------------------------------------------------
# Invalidation: receivers of the events that change what the pages show
# --------------------------------------------------------------------------


def invalidate_after_commit(using: str) -> None:
    # A rolled-back change changes no page; a committed one must be visible on
    # the very next request.
    transaction.on_commit(invalidate_pages, using=using, robust=True)


def on_publication_change(sender, **kwargs) -> None:
    # article_published / article_unpublished are sent after commit already.
    invalidate_pages()


def on_article_save(sender, instance, raw: bool, using: str, **kwargs) -> None:
    # An edit of a published article (title, excerpt, cover, category, slug)
    # shows in the lists; a draft's does not. Leaving "published" sends
    # article_unpublished.
    if not raw and instance.is_published:
        invalidate_after_commit(using)


def on_comment_save(sender, instance, created: bool, raw: bool, using: str, **kwargs) -> None:
    # Only approved comments count; a new pending or rejected one changes no
    # page, but a moderation (approve, reject, re-open) may move the count.
    if raw or (created and not instance.is_approved):
        return
    invalidate_after_commit(using)


def on_change(sender, raw: bool = False, using: str = "default", update_fields=None, **kwargs) -> None:
    if raw:
        return
    # Signing in saves last_login only: no page shows it.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    invalidate_after_commit(using)


def on_delete(sender, using: str, origin=None, **kwargs) -> None:
    # A cascade is invalidated once, by the row it started from: deleting a
    # user with a hundred follows bumps the generation once, not a hundred
    # times. Deleting an article is announced by article_unpublished.
    if deleted_through_a_cascade(sender, origin):
        return
    invalidate_after_commit(using)


def deleted_through_a_cascade(sender: type[Model], origin: object) -> bool:
    from articles.models import Article

    # Skipped only below a row that invalidates by itself: a cascade from
    # anywhere else leaves it to every row it reaches.
    return delete_started_above(sender, origin) and issubclass(delete_origin(origin), (Article, *watched_models()))


def on_tagging(sender, action: str, using: str, **kwargs) -> None:
    # add() writes its links with bulk_create: no post_save tells the pages.
    if action == "post_add":
        invalidate_after_commit(using)


def watched_models() -> list[type[Model]]:
    from articles.models import ArticleTag, Category, Tag
    from authors.models import Author, Follow
    from comments.models import Comment

    return [get_user_model(), Author, Follow, Category, Tag, ArticleTag, Comment]


def register() -> None:
    from articles.models import Article
    from articles.signals import article_published, article_unpublished
    from comments.models import Comment

    article_published.connect(on_publication_change, sender=Article, dispatch_uid="page_cache.published")
    article_unpublished.connect(on_publication_change, sender=Article, dispatch_uid="page_cache.unpublished")
    post_save.connect(on_article_save, sender=Article, dispatch_uid="page_cache.article_save")
    post_save.connect(on_comment_save, sender=Comment, dispatch_uid="page_cache.comment_save")
    m2m_changed.connect(on_tagging, sender=Article.tags.through, dispatch_uid="page_cache.tagging")
    for model in watched_models():
        label = model._meta.label_lower
        if model is not Comment:
            post_save.connect(on_change, sender=model, dispatch_uid=f"page_cache.save.{label}")
        post_delete.connect(on_delete, sender=model, dispatch_uid=f"page_cache.delete.{label}")
