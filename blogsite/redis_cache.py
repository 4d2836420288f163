"""Django's Redis cache backend, keeping one redis-py client per connection pool.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` around
the shared pool for every cache operation. With redis-py 8 that constructor
fills a case-insensitive table of response callbacks each time: 145 µs on
this machine, more than the GET it wraps (88 µs), and 12–20 % of a worker
serving pages from the cache (py-spy; docs/benchmarks.md). A ``redis.Redis``
is safe to share between threads, and its pool reconnects after a fork (each
gunicorn worker), so one per pool is enough.

The client class is the extension point Django's backend leaves for this
(``get_client`` takes ``key`` "so that custom cache client can be
implemented"); django-redis keeps its clients too, but replaces the whole
backend, its serialisation and its error handling, for this one fix.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class SharedClientRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient

    def validate_key(self, key: str) -> None:
        # BaseCache warns about keys memcached would refuse (over 250
        # characters, spaces, control characters), testing them one character
        # at a time in Python: 5 % of a worker serving cached pages (py-spy).
        # Redis takes any key, and this backend never hands one to memcached.
        pass
