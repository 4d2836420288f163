"""Where a write comes from: the site, the admin, the scheduler, a shell or a command.

Revisions (articles/revisions.py) record it beside who made the change. It
lives in a context variable, so each request, task and command carries its
own and nothing leaks between threads; a write that nothing has labelled
comes from a shell or a management command, the only paths left.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

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


_current: ContextVar[str] = ContextVar("write_source", default=Source.SHELL)


def current_source() -> str:
    return _current.get()


@contextmanager
def writing_from(source: Source) -> Iterator[None]:
    token = _current.set(source)
    try:
        yield
    finally:
        _current.reset(token)


class WriteSourceMiddleware:
    """Labels a request's writes as the admin's or the site's, by its path."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        try:
            self.admin_prefix = reverse("admin:index")
        except NoReverseMatch:  # a URLconf without the admin (some tests)
            self.admin_prefix = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        in_admin = self.admin_prefix is not None and request.path.startswith(self.admin_prefix)
        source = Source.ADMIN if in_admin else Source.SITE
        with writing_from(source):
            return self.get_response(request)
