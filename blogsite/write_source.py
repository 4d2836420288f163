"""Where a write comes from: the site, the admin, the scheduler, a shell or a command.

Revisions (articles/revision_records.py) and the audit log (audit/) record it
beside who made the change. It lives in a context variable, so each request,
task and command carries its own and nothing leaks between threads; a write
that nothing has labelled comes from a shell or a management command, the
only paths left.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from django.db import models
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse


class Source(models.TextChoices):
    SITE = "site", "the site"
    ADMIN = "admin", "the admin"
    SCHEDULER = "scheduler", "the scheduler"
    SHELL = "shell", "a shell or command"
    # The article as it stood when its history began (the migration that added it).
    INITIAL = "initial", "before history began"


@dataclass(frozen=True)
class WriteContext:
    source: str
    # The request a site or admin write is made in: its user is the actor.
    request: HttpRequest | None = None

    @property
    def path(self) -> str:
        """Where the write was asked for: the request's path, else the command line that ran it."""
        if self.request is not None:
            return self.request.path
        if self.source == Source.SHELL:
            return command_line()
        return ""

    @property
    def actor(self):
        """The signed-in user who made the write; None for a guest, the scheduler, a shell or a command."""
        user = getattr(self.request, "user", None)
        return user if user is not None and user.is_authenticated else None


def command_line() -> str:
    # "manage.py publish_due_articles", "manage.py shell", or the program under test.
    return " ".join([Path(sys.argv[0]).name, *sys.argv[1:2]]) if sys.argv else ""


_UNLABELLED = WriteContext(Source.SHELL)
_current: ContextVar[WriteContext | None] = ContextVar("write_context", default=None)


def current_write() -> WriteContext:
    return _current.get() or _UNLABELLED


def current_source() -> str:
    return current_write().source


@contextmanager
def writing_from(source: Source, request: HttpRequest | None = None) -> Iterator[None]:
    token = _current.set(WriteContext(source, request))
    try:
        yield
    finally:
        _current.reset(token)


class WriteSourceMiddleware:
    """Labels a request's writes as the admin's or the site's, by its path, and with the request (its user acts)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        try:
            self.admin_prefix = reverse("admin:index")
        except NoReverseMatch:  # a URLconf without the admin (some tests)
            self.admin_prefix = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        in_admin = self.admin_prefix is not None and request.path.startswith(self.admin_prefix)
        source = Source.ADMIN if in_admin else Source.SITE
        with writing_from(source, request):
            return self.get_response(request)
