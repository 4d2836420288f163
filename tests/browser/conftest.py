"""Browser tests: Playwright (through pytest-playwright) drives Debian's chromium against pytest-django's live_server.

The browser is always /usr/bin/chromium, installed by ``scripts/install_browser.sh`` (apt), never by
``playwright install``, which downloads its own browser. Where it is missing the tests are skipped with a hint,
or fail under ``CI=true``. They run in the SQLite pass only: they test pages, not the database.

pytest-playwright's fixtures (``page``, ``context``, ``browser``, …) are used as they come; this file only
points them at Debian's chromium and at the live server, so ``page.goto("/write/")`` opens the test site.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from blogsite.page_cache_front import PageCacheFront

CHROMIUM = Path("/usr/bin/chromium")
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
# Playwright waits up to 30 s by default; a page that is not there should fail faster than that.
TIMEOUT_MS = 10_000


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Browser tests go last (after pytest-django's own ordering, kept otherwise): Playwright's sync API
    # keeps an event loop running in the main thread until the session ends, and no other test should
    # run beside it with Django's async-safety check turned off (see the `playwright` fixture below).
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


def unavailable(reason: str, *, module: bool = False) -> None:
    """Skip the test (or the whole module), or fail under CI, where a missing browser must never pass unnoticed."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=module)


@pytest.fixture(scope="session", autouse=True)
def _sqlite_pass_only() -> None:
    # Autouse and session-scoped, so it runs before any browser starts.
    if connection.vendor != "sqlite":
        pytest.skip(
            f"browser tests run in the SQLite pass only: they test pages, not the database ({connection.vendor})"
        )


@pytest.fixture(scope="session")
def playwright(playwright: Any) -> Iterator[Any]:
    # Playwright's sync API runs an asyncio loop in the main thread from start() to stop(); Django's ORM
    # refuses to run where a loop is running. The test code is synchronous, so the check is turned off,
    # for exactly as long as Playwright runs.
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        yield playwright
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing: run scripts/install_browser.sh (installs Debian's chromium package)")
    launch_args = {"headless": True, **browser_type_launch_args, "executable_path": str(CHROMIUM)}
    if os.geteuid() == 0:
        # Chromium refuses to start its sandbox as root (containers, CI).
        launch_args["args"] = [*launch_args.get("args", []), "--no-sandbox"]
    return launch_args


@pytest.fixture(scope="session")
def base_url(live_server: Any) -> str:
    # The site's WSGI application is the page cache's front around Django's handler (blogsite/wsgi.py):
    # the live server's is too, so a browser is served cache hits the way gunicorn serves them.
    server = live_server.thread.httpd
    server.set_app(PageCacheFront(server.get_app()))
    # Relative URLs in page.goto() and expect(page).to_have_url() resolve against the live server.
    return live_server.url


@pytest.fixture
def new_context(new_context: Any) -> Iterator[Any]:
    # Every browser context (the `context` and `page` fixtures' too) comes from here.
    # Nothing a user does may produce a 500: a page (not an asset) the server fails on fails the test,
    # which then says why it could not find a field on that error page. Nor may a page break the
    # Content-Security-Policy (blogsite/settings.py): every violation is a console error in Chromium.
    server_errors: list[str] = []
    csp_violations: list[str] = []

    def record(response: Any) -> None:
        if response.request.resource_type == "document" and response.status >= 500:
            server_errors.append(f"{response.status} on {response.request.method} {response.url}")

    def record_console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            csp_violations.append(f"{message.text} ({message.location.get('url')})")

    def make(**kwargs: Any) -> Any:
        context = new_context(**kwargs)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        context.on("response", record)
        context.on("console", record_console)
        return context

    yield make
    if server_errors:
        pytest.fail("the server failed: " + "; ".join(server_errors), pytrace=False)
    if csp_violations:
        pytest.fail("the Content-Security-Policy was violated: " + "; ".join(csp_violations), pytrace=False)


@pytest.fixture
def log_in_as(client: Any, context: Any, live_server: Any):
    """Sign a user in to the browser context without the login form: the session cookie of client.force_login."""

    def log_in(user: Any) -> None:
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])

    return log_in
