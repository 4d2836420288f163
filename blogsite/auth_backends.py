"""Django's ModelBackend, with the signed-in user's row found by SQL compiled once per connection.

Every signed-in request loads its user: ``ModelBackend.get_user`` is
``User.objects.get(pk=...)``, and Django builds and compiles that query anew
each time, about 480 µs on PostgreSQL where the SQL itself takes 240 µs
(bench/profile.py: a fifth of the signed-in article page's worker time was
the user's lookup). Here ``PreparedLookup`` runs the same SQL with the key
bound in, and makes the instance as the ORM does. The row is still read on
every request, so a deactivated, deleted or re-passworded user is refused at
once, as before: nothing about the user is cached.

Signing in, passwords and permissions are ModelBackend's own.
"""

from __future__ import annotations

import functools

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser

from .prepared_lookups import PreparedLookup

# The path earlier sessions were signed in with; read as this one's (blogsite/sessions.py).
DJANGOS_BACKEND = "django.contrib.auth.backends.ModelBackend"
THIS_BACKEND = f"{__name__}.PreparedModelBackend"


@functools.cache
def users_by_key() -> PreparedLookup:
    # Built on first use, once the app registry is ready.
    return PreparedLookup(get_user_model()._default_manager.all(), "pk", int)


class PreparedModelBackend(ModelBackend):
    def get_user(self, user_id: int) -> AbstractBaseUser | None:
        try:
            user = users_by_key().get(user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
