"""Sessions read from the shared cache and kept in the database, failing closed.

Every signed-in page reads its session. Django's cached_db store answers that
from Redis instead of a query (the signed-in article page: 240 → 296 requests/s
on one worker, docs/benchmarks.md), and the database keeps every session
through a cache restart or eviction. Three things differ from Django's store:

- a malformed key is refused before any lookup (blogsite.sessions);
- a session read while the cache is unreachable is still served from the
  database: Django's ``load()`` writes what it read back to the cache
  unguarded, a 500 on every signed-in page for as long as Redis is away;
- a session is deleted from the cache first, and a failure there stops the
  delete. Django deletes the row first and the cache entry after: a logout
  while the cache cannot be reached deletes the row, fails on the entry, and
  once the cache is back the signed-out session is served from it again.
  Here that logout (or the key change of a sign-in) fails with an error and
  the session stays as it was in both places. The entry is deleted again
  after the row, so a request that read the row in between and cached it
  does not keep it alive.

Only with a cache every process shares (settings: REDIS_URL). A per-process
cache would go on serving a session that another process deleted.
"""

from __future__ import annotations

import logging

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDatabaseSessionStore
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

from .sessions import KeepsSignInsOfDjangosBackend, RefusesMalformedKeys

logger = logging.getLogger(__name__)


class FailsClosedSessionStore(RefusesMalformedKeys, CachedDatabaseSessionStore):
    def load(self) -> dict:
        try:
            return super().load()
        except Exception:
            logger.warning("Session cache unavailable: session read from the database", exc_info=True)
            return DatabaseSessionStore.load(self)

    def exists(self, session_key: str) -> bool:
        try:
            return super().exists(session_key)
        except Exception:
            logger.warning("Session cache unavailable: session key checked in the database", exc_info=True)
            return DatabaseSessionStore.exists(self, session_key)

    def delete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        cache_key = self.cache_key_prefix + session_key
        # Raises while the cache is unreachable, before the row is touched.
        self._cache.delete(cache_key)
        DatabaseSessionStore.delete(self, session_key)
        self._cache.delete(cache_key)


class SessionStore(KeepsSignInsOfDjangosBackend, FailsClosedSessionStore):
    pass
