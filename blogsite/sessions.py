"""Database sessions that refuse a malformed session key before the lookup.

A session cookie is whatever the client sends. Django's database store only
checks the key's length, and PostgreSQL answers a key holding a NUL with an
error instead of no row: a crafted cookie would be a 500 on every page. Keys
Django makes are 32 lowercase letters and digits; anything else is treated as
no session at all, as an unknown key is.

Sessions signed in by Django's ModelBackend are read as signed in by the
site's own (blogsite/auth_backends.py), so that replacing it signed nobody out.

The site's engine when no cache is shared by every process (no REDIS_URL);
with one, blogsite.cached_sessions.
"""

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

from .auth_backends import DJANGOS_BACKEND, THIS_BACKEND

SESSION_KEY_CHARACTERS = frozenset(VALID_KEY_CHARS)


class RefusesMalformedKeys:
    def _validate_session_key(self, key: str | None) -> bool:
        return super()._validate_session_key(key) and set(key) <= SESSION_KEY_CHARACTERS


class KeepsSignInsOfDjangosBackend:
    """Reads a session signed in by Django's ModelBackend as signed in by the site's.

    ``django.contrib.auth.get_user`` signs out a session whose backend is no
    longer in AUTHENTICATION_BACKENDS: every reader signed in before the
    site's backend took the place of Django's. The name is changed in memory
    as the session is read, and written back only when the session is saved
    for a reason of its own.
    """

    def load(self) -> dict:
        data = super().load()
        if data.get(BACKEND_SESSION_KEY) == DJANGOS_BACKEND:
            data[BACKEND_SESSION_KEY] = THIS_BACKEND
        return data


class SessionStore(KeepsSignInsOfDjangosBackend, RefusesMalformedKeys, DatabaseSessionStore):
    pass
