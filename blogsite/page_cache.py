"""A shared cache of the public list pages, for anonymous readers (docs/page-cache.md).

Invariant: a page rendered before a commit that changes what it shows is
never served after that commit; only view counts may lag, by at most
``PAGE_CACHE_SECONDS`` (0 turns the cache off).

Keys: ``page_cache:generation``, a number bumped after every such commit;
``page_cache:page:v<format>:<sha256 of the absolute URL>``, the page (status, headers,
body) with the generation its request read before the database. A page is
served only while that generation is still the current one. Both keys are read
in one MGET: a hit is one round trip to Redis, answered by
``PageCacheMiddleware`` before the session, the user and the view are reached.
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
from django.core.signals import setting_changed
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import Resolver404, resolve
from django.utils.module_loading import import_string

from .cascades import delete_origin, delete_started_above
from .csrf_tokens import get_token

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
# Set on the request by the middleware on a miss: the generation a page rendered now is stored under.
CACHE_GENERATION = "page_cache_generation"
# Set on a response that cache_public_page rendered for the cache: the on_hit hook's dotted path, or "".
STORABLE = "page_cache_hook"
# Marks the views that cache_public_page wraps.
CACHED_VIEW = "serves_from_page_cache"
# In the environ of a request the front (page_cache_front.py) looked up and missed: (key, generation).
# Not an HTTP_ name: no request header can set it.
FRONT_LOOKUP = "blogsite.page_cache_lookup"
# In the page's key: a deploy that stores pages in another shape never reads an older one's.
PAGE_FORMAT = 2

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
    """Whether a request may be answered from the cache, read from the request alone.

    It runs before the session and auth middleware: without a session cookie
    nobody is signed in (the site authenticates by session only), and the
    view checks ``request.user`` again before a page is stored.
    """
    if request.method not in ("GET", "HEAD"):
        return False
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or MESSAGES_COOKIE in cookies:
        return False
    if "HTTP_AUTHORIZATION" in request.META:
        return False
    if any(name not in CACHEABLE_PARAMETERS for name in request.GET):
        return False
    return all(len(value) <= MAX_PARAMETER_LENGTH for value in request.GET.values())


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
    return f"page_cache:page:v{PAGE_FORMAT}:{address}"


def article_keys(key: str) -> tuple[str, str]:
    """Beside an article page's entry: its article's id and the generation it was filed under.

    Plain integers (the cache pickles anything else, the entry included), so
    a Lua script can read them: the front counts a hit's view in the round
    trip that finds the page (blogsite/page_cache_front.py).
    """
    return f"{key}:article", f"{key}:generation"


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


class PageCacheMiddleware:
    """Answers a cache hit before the session, auth, messages and CSP middleware run.

    It sits right after SecurityMiddleware and WhiteNoise. A hit is one MGET
    and the response stored with the headers the inner middleware gave it
    (CSP, X-Frame-Options, Vary): the session, the user, the messages, the
    URL resolver and the view are never reached, so a cached page costs little
    more than Django's own request handling. A miss goes down the stack as
    usual; a view wrapped in ``cache_public_page`` renders it for the cache,
    and it is stored here, on its way out, with those headers.
    """

    def __init__(self, get_response: View) -> None:
        self.get_response = get_response
        # Django's own reading and setting of the CSRF cookie, for the pages
        # served here before CsrfViewMiddleware runs.
        self.csrf = CsrfViewMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.PAGE_CACHE_SECONDS <= 0
            or not is_cacheable_request(request)
            or not is_cached_path(request.path_info)
        ):
            return self.get_response(request)
        if FRONT_LOOKUP in request.META:
            # The front looked this request up already, and missed.
            key, generation = request.META[FRONT_LOOKUP]
        else:
            key = page_key(request)
            try:
                generation, stored = generation_and_page(key)
            except Exception:
                # An unreachable cache slows the site down; it never takes it down.
                logger.warning("Page cache unavailable: serving %s live", request.path, exc_info=True)
                return self.get_response(request)
            if stored is not None:
                return self.serve_hit(request, *stored)
        if generation is None:
            return self.get_response(request)
        setattr(request, CACHE_GENERATION, generation)
        response = self.get_response(request)
        hook = getattr(response, STORABLE, None)
        if hook is None:
            return response
        if request.method == "GET" and is_cacheable_response(request, response):
            self.store(request, key, generation, response, hook)
        # Stored with the placeholder; this reader gets their own token.
        return self.with_readers_token(request, response)

    def serve_hit(self, request, status, headers, content, note, hook) -> HttpResponse:
        if hook:
            hit_hook(hook)(request, note)
        response = HttpResponse(content, status=status)
        for name, value in headers:
            response[name] = value
        response[HIT_HEADER] = "hit"
        self.csrf.process_request(request)  # this reader's CSRF cookie, if they have one
        return self.with_readers_token(request, response)

    def store(self, request, key, generation, response, hook) -> None:
        # Status, headers, bytes, the view's note: nothing of the request is pickled.
        # The length changes when each reader's token goes in.
        headers = [(name, value) for name, value in response.items() if name.lower() != "content-length"]
        note = getattr(response, "page_cache_note", {})
        entry = (generation, response.status_code, headers, response.content, note, hook)
        entries = {key: entry}
        if note.get("article"):
            article_key, filed_key = article_keys(key)
            entries |= {article_key: note["article"], filed_key: generation}
        try:
            # In one MULTI on Redis: the keys beside the entry are never from another store.
            cache.set_many(entries, timeout=settings.PAGE_CACHE_SECONDS)
        except Exception:
            logger.warning("Page cache unavailable: %s not stored", request.path, exc_info=True)

    def with_readers_token(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        """Put this reader's own CSRF token where the page holds the placeholder.

        get_token() marks the reader's CSRF cookie to be set, and
        CsrfViewMiddleware's process_response sets it (with Vary: Cookie), so a
        form posted from a cached page passes the check like any other.
        """
        placeholder = CSRF_PLACEHOLDER.encode()
        if placeholder in response.content:
            response.content = response.content.replace(placeholder, get_token(request).encode())
            self.csrf.process_response(request, response)
        response["Content-Length"] = str(len(response.content))
        return response


@functools.lru_cache(maxsize=4096)
def is_cached_path(path_info: str) -> bool:
    """Whether the URLconf sends this path to a view wrapped in ``cache_public_page``.

    Any other page (the health check, the login form, an admin page) goes
    straight down the stack with no round trip to the cache. Remembered per
    path: the URLconf is fixed for the life of the process.
    """
    try:
        match = resolve(path_info)
    except Resolver404:
        return False
    return getattr(match.func, CACHED_VIEW, False)


def forget_cached_paths(setting: str, **kwargs) -> None:
    # Tests swap the URLconf (override_settings); Django clears its own URL caches then.
    if setting == "ROOT_URLCONF":
        is_cached_path.cache_clear()


@functools.cache
def hit_hook(path: str) -> OnHit:
    # By name: a process may serve a hit stored by another before its URLconf is loaded.
    return import_string(path)


def cache_public_page(view: View, *, on_hit: OnHit | None = None) -> View:
    """Let ``PageCacheMiddleware`` serve ``view`` to anonymous readers from the cache.

    A view may leave ``response.page_cache_note`` (a dict) for ``on_hit``,
    which runs before every hit is served: the article page counts its view
    there. A view renders ``CSRF_PLACEHOLDER`` instead of a token while
    ``request.page_cache_rendering`` is set (``csrf_token_for``).
    """
    hook = f"{on_hit.__module__}.{on_hit.__qualname__}" if on_hit is not None else ""

    @functools.wraps(view)
    def cached_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # Set by the middleware on a miss it may store; the user is checked
        # here, where the auth middleware has run.
        if getattr(request, CACHE_GENERATION, None) is None or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        setattr(request, RENDERING_FOR_CACHE, True)
        response = view(request, *args, **kwargs)
        setattr(response, STORABLE, hook)
        return response

    setattr(cached_view, CACHED_VIEW, True)
    return cached_view


def csrf_token_for(request: HttpRequest) -> str | None:
    """The placeholder while a page is rendered for the cache; None: the template's usual token."""
    return CSRF_PLACEHOLDER if getattr(request, RENDERING_FOR_CACHE, False) else None


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

    setting_changed.connect(forget_cached_paths, dispatch_uid="page_cache.forget_cached_paths")
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
