"""Database sessions that refuse a malformed session key before the lookup.

A session cookie is whatever the client sends. Django's database store only
checks the key's length, and PostgreSQL answers a key holding a NUL with an
error instead of no row: a crafted cookie would be a 500 on every page. Keys
Django makes are 32 lowercase letters and digits; anything else is treated as
no session at all, as an unknown key is.

The site's engine when no cache is shared by every process (no REDIS_URL);
with one, blogsite.cached_sessions.
"""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

SESSION_KEY_CHARACTERS = frozenset(VALID_KEY_CHARS)


class RefusesMalformedKeys:
    def _validate_session_key(self, key: str | None) -> bool:
        return super()._validate_session_key(key) and set(key) <= SESSION_KEY_CHARACTERS


class SessionStore(RefusesMalformedKeys, DatabaseSessionStore):
    pass
