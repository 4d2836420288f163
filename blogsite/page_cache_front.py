"""Page cache hits answered in front of Django's request handler (docs/page-cache.md).

``PageCacheMiddleware`` answers a hit before the session, the user and the
view, but behind the handler: its signals, the URLconf, SecurityMiddleware,
WhiteNoise, and an exception wrapper around each of them. Measured in process
on the demo data, a hot article hit took about 840 µs through the middleware
and 580 µs here (about 650 µs for ``/healthz``). This WSGI
application sits in front of Django's and serves the hit itself, with the
middleware's own code (``PageCacheMiddleware.serve_hit``: the on-hit hook that
counts the view, this reader's CSRF token and cookie), then adds what the
layers above it add on the way out: SecurityMiddleware's headers. Anything
else (a miss, a session cookie, a POST, a bad Host, an unreachable cache) goes
to Django's handler untouched; the lookup made here travels with the request
in its environ, so a miss costs no second round trip.

It answers only while ``MIDDLEWARE`` begins with the layers it reproduces;
otherwise every request goes to Django, and a warning says why.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core import signals
from django.core.cache import cache
from django.core.cache.backends.redis import RedisSerializer
from django.core.exceptions import DisallowedHost
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest, get_path_info, get_script_name
from django.http import HttpResponse
from django.middleware.security import SecurityMiddleware
from django.urls import set_script_prefix, set_urlconf

from articles.readers import VIEW_SENT, is_read_by_a_person
from articles.receivers import COUNT_VIEW_UID
from articles.signals import article_viewed
from articles.view_counts import BufferUnreachable, ViewBuffer, counting_client, send_once

from . import page_cache

logger = logging.getLogger(__name__)

# What the front reproduces of the layers above PageCacheMiddleware: with any
# other layer there, it would skip that layer's work on every hit.
LAYERS_ABOVE = ["django.middleware.security.SecurityMiddleware", "whitenoise.middleware.WhiteNoiseMiddleware"]
MIDDLEWARE_PATH = "blogsite.page_cache.PageCacheMiddleware"
# In a stored page (status, headers, content, note, hook): the on-hit hook's dotted path, or "".
HOOK = 4

StartResponse = Callable[..., object]


class PageCacheFront:
    def __init__(self, handler: WSGIHandler) -> None:
        self.handler = handler
        self.answers_hits = settings.MIDDLEWARE[: len(LAYERS_ABOVE) + 1] == [*LAYERS_ABOVE, MIDDLEWARE_PATH]
        if not self.answers_hits and MIDDLEWARE_PATH in settings.MIDDLEWARE:
            logger.warning(
                "Page cache hits go through Django's handler: MIDDLEWARE does not begin with %s",
                [*LAYERS_ABOVE, MIDDLEWARE_PATH],
            )
        # Never called: these lend their hit and response code to the front.
        self.pages = page_cache.PageCacheMiddleware(self.handler.get_response)
        self.security = SecurityMiddleware(self.handler.get_response)
        # A failing hook is a 500 page, logged, as in any middleware.
        self.serve_stored = convert_exception_to_response(self.serve_stored_page)

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        if (
            not self.answers_hits
            or settings.PAGE_CACHE_SECONDS <= 0
            # As WSGIRequest reads it; any other page (the health check, a form, the admin) costs nothing more.
            or not page_cache.is_cached_path(get_path_info(environ) or "/")
        ):
            return self.handler(environ, start_response)
        set_script_prefix(get_script_name(environ))
        request = WSGIRequest(environ)
        stored = self.look_up(request)
        if stored is None:
            return self.handler(environ, start_response)
        # The page's on-hit hook may use the database (a view counted in its
        # row): around it, Django's request signals check and close connections
        # as for any request. A page without one, or whose view the lookup has
        # counted, touches no database: no signal, no connection checked.
        uses_database = bool(stored[HOOK]) and VIEW_SENT not in request.META
        if uses_database:
            signals.request_started.send(sender=WSGIHandler, environ=environ)
        set_urlconf(settings.ROOT_URLCONF)
        request.page_cache_stored = stored
        response = self.serve_stored(request)
        return self.respond(request, response, start_response, finish=uses_database)

    def look_up(self, request: WSGIRequest) -> tuple | None:
        """The stored page to serve this request, or None; a miss leaves its lookup in the environ."""
        if (
            not page_cache.is_cacheable_request(request)
            # SecurityMiddleware answers these with a redirect to https.
            or (settings.SECURE_SSL_REDIRECT and not request.is_secure())
        ):
            return None
        try:
            key = page_cache.page_key(request)
        except DisallowedHost:
            return None  # Django answers 400 and logs it
        find = one_trip_lookup() or (lambda request, key: page_cache.generation_and_page(key))
        try:
            generation, stored = find(request, key)
        except Exception:
            # Django's handler tries the cache again, and serves the page live (logged) if it fails too.
            return None
        if stored is None:
            request.META[page_cache.FRONT_LOOKUP] = (key, generation)
        return stored

    def serve_stored_page(self, request: WSGIRequest) -> HttpResponse:
        response = self.pages.serve_hit(request, *request.page_cache_stored)
        # On its way out through the layers above PageCacheMiddleware: WhiteNoise
        # leaves a page alone, SecurityMiddleware adds its headers.
        return self.security.process_response(request, response)

    def respond(
        self, request: WSGIRequest, response: HttpResponse, start_response: StartResponse, *, finish: bool
    ) -> Iterable[bytes]:
        # What Django's WSGIHandler and BaseHandler.get_response do with a response.
        headers = [
            *response.items(),
            *(("Set-Cookie", cookie.output(header="")) for cookie in response.cookies.values()),
        ]
        start_response(f"{response.status_code} {response.reason_phrase}", headers)
        if not finish:
            return [response.content]  # no request_finished for a request never started
        response._handler_class = WSGIHandler  # close(), called by the server, sends request_finished
        response._resource_closers.append(request.close)
        return response


# --------------------------------------------------------------------------
# The lookup in one round trip, counting the view
# --------------------------------------------------------------------------

# KEYS: the generation, the page, its article and the generation it was filed
# under (page_cache.article_keys). ARGV: the view buffer's database number ('':
# count nothing), its live hash. A page is counted only when it is current:
# the same page the caller then serves (a script runs atomically), and only
# while its article keys were written with it (one MULTI) and not evicted.
# SELECT in a script changes the script's database only, not the connection's.
FIND_AND_COUNT = """
local found = redis.call('MGET', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
local generation, page, article, filed = found[1], found[2], found[3], found[4]
local counted = 0
if ARGV[1] ~= '' and generation and page and article and filed == generation then
    redis.call('SELECT', ARGV[1])
    redis.call('HINCRBY', ARGV[2], article, 1)
    counted = 1
end
return {generation, page, counted}
"""
FIND_AND_COUNT_SHA = hashlib.sha1(FIND_AND_COUNT.encode()).hexdigest()
# The parts of a connection that make two Redis URLs the same server.
SERVER_KWARGS = ("host", "port", "path", "username", "password")


@dataclass(frozen=True)
class OneTripLookup:
    """The page cache's lookup as one Lua script, which also counts the article page's view.

    It takes the place of two round trips (the MGET of the generation and the
    page, then the view buffer's HINCRBY), which were 43 % of a hit under
    cProfile. The view is counted in the script only when the
    buffer is a database of the cache's own Redis server and ``count_view`` is
    the only receiver of ``article_viewed``; otherwise the page's on-hit hook
    counts it, as on any hit.
    """

    client: redis.Redis
    generation_key: str
    buffer_database: str  # '': the script counts nothing
    live_key: str

    def __call__(self, request: WSGIRequest, key: str) -> tuple[int | None, tuple | None]:
        count = bool(self.buffer_database) and is_read_by_a_person(request)
        article_key, filed_key = page_cache.article_keys(key)
        keys = [self.generation_key, *(cache.make_key(name) for name in (key, article_key, filed_key))]
        arguments = [self.buffer_database if count else "", self.live_key]
        try:
            generation, page, counted = self.run(keys, arguments)
        except BufferUnreachable:
            raise  # not run: nothing was counted
        except redis.RedisError as error:
            if count:
                # Sent, unanswered: it may have counted the view, so it is not counted again.
                request.META[VIEW_SENT] = True
                logger.error("View of %s may be lost: Redis did not answer (%s).", request.path, error)
            raise
        if counted:
            request.META[VIEW_SENT] = True
        if generation is None:
            return page_cache.current_generation(), None
        generation = int(generation)
        stored = None if page is None else SERIALIZER.loads(page)
        if stored is None or stored[0] != generation:
            return generation, None
        return generation, stored[1:]

    def run(self, keys: list[str], arguments: list[str]) -> list:
        try:
            return send_once(self.client, "EVALSHA", FIND_AND_COUNT_SHA, len(keys), *keys, *arguments)
        except BufferUnreachable as error:
            if not isinstance(error.__cause__, redis.exceptions.NoScriptError):
                raise
        # Not run: Redis does not hold the script yet (a restart, SCRIPT FLUSH).
        return send_once(self.client, "EVAL", FIND_AND_COUNT, len(keys), *keys, *arguments)


SERIALIZER = RedisSerializer()


def one_trip_lookup() -> OneTripLookup | None:
    """The lookup for the cache configured now, or None: the cache is not this site's Redis backend."""
    default = settings.CACHES["default"]
    if default["BACKEND"] != "blogsite.redis_cache.SharedClientRedisCache":
        return None
    location = default["LOCATION"]
    # The first server of a list takes the writes, as in Django's backend.
    server = location[0] if isinstance(location, list | tuple) else re.split("[;,]", location)[0]
    generation_key = cache.make_key(page_cache.GENERATION_KEY)
    return lookup_for(server, settings.VIEW_BUFFER_URL, settings.VIEW_BUFFER_PREFIX, generation_key)


@functools.lru_cache(maxsize=8)
def lookup_for(server: str, buffer_url: str, buffer_prefix: str, generation_key: str) -> OneTripLookup:
    client = counting_client(server)
    buffer = ViewBuffer(counting_client(buffer_url), buffer_prefix) if buffer_url else None
    buffer_database = ""
    if buffer is not None and same_server(client, buffer.client) and counted_by_the_buffer_alone():
        buffer_database = str(buffer.client.connection_pool.connection_kwargs.get("db", 0))
    return OneTripLookup(client, generation_key, buffer_database, buffer.live_key if buffer else "")


def same_server(first: redis.Redis, second: redis.Redis) -> bool:
    kwargs = first.connection_pool.connection_kwargs, second.connection_pool.connection_kwargs
    return all(kwargs[0].get(name) == kwargs[1].get(name) for name in SERVER_KWARGS)


def counted_by_the_buffer_alone() -> bool:
    # A receiver of article_viewed connected besides count_view must hear of every
    # view: then the hook sends the signal, and the script only finds the page.
    return [lookup_key[0] for lookup_key, *_ in article_viewed.receivers] == [COUNT_VIEW_UID]
