"""Autosave in a real browser: typed text comes back after the page is closed, and a failed autosave (offline,
signed out, a server error) is shown and keeps the text in localStorage until the server takes it again.

static/js/autosave.js sends 3 s after the last keystroke; each test waits for what the status line says.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.conf import settings

from articles.models import Article
from autosaves.models import Autosave
from tests.browser.conftest import unavailable
from tests.factories import ArticleFactory, make_author

try:
    from playwright.sync_api import Page, expect
except ImportError:
    unavailable("Playwright is not installed: pip install -r requirements-browser.txt", module=True)

pytestmark = pytest.mark.browser

SAVED = re.compile(r"Saved a draft at \d\d:\d\d")
KEPT = "your text is kept in this browser"


def visit(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.ok, f"GET {path}: {response and response.status}"


def kept_in_browser(page: Page, key: str) -> dict | None:
    kept = page.evaluate("key => localStorage.getItem(key)", f"blogsite.autosave.{key}")
    return None if kept is None else json.loads(kept)


def status(page: Page):
    return page.locator("[data-autosave-status]")


@pytest.fixture
def author(db: Any) -> Any:
    return make_author(username="writer", first_name="Wren")


def test_typed_text_comes_back_after_closing_the_page(context: Any, author: Any, log_in_as: Any) -> None:
    article = ArticleFactory(author=author, title="Field notes", body="The first paragraph.")
    stored = Article.objects.values().get(pk=article.pk)
    log_in_as(author.user)
    page = context.new_page()
    visit(page, f"/articles/{article.slug}/edit/")
    page.locator("[name=body]").fill("The first paragraph.\n\nA second one, typed and never saved.")
    expect(status(page)).to_have_text(SAVED)
    page.close()

    # The autosave is kept beside the article, which it never wrote.
    assert Autosave.objects.get().body.endswith("typed and never saved.")
    assert Article.objects.values().get(pk=article.pk) == stored

    page = context.new_page()
    visit(page, f"/articles/{article.slug}/edit/")
    offer = page.locator("[data-autosave-offer]")
    expect(offer).to_contain_text("is newer than the saved text")
    expect(offer.locator(".diff ins")).to_contain_text("A second one, typed and never saved.")
    offer.get_by_role("link", name="Restore the autosave").click()
    expect(page.locator("[name=body]")).to_have_value(re.compile("typed and never saved"))

    # Saved for real: the autosave goes, and so does the browser's copy on the page the save leads to.
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Draft saved.")
    assert not Autosave.objects.exists()
    assert kept_in_browser(page, f"{author.user.pk}.{article.pk}") is None
    assert Article.objects.get(pk=article.pk).body.endswith("typed and never saved.")


def test_offline_the_text_stays_in_the_browser_and_goes_when_it_is_back(
    context: Any, author: Any, log_in_as: Any
) -> None:
    log_in_as(author.user)
    page = context.new_page()
    visit(page, "/write/")
    context.set_offline(True)
    page.locator("[name=title]").fill("Written on a train")
    page.locator("[name=body]").fill("No signal between the stations.")
    expect(status(page)).to_have_text(f"Could not autosave: you are offline; {KEPT}.")
    kept = kept_in_browser(page, f"{author.user.pk}.new")
    assert kept is not None and kept["body"] == "No signal between the stations." and kept["sent"] is False
    assert not Autosave.objects.exists()

    # Closed while offline: the text is offered back from the browser when the form opens again.
    page.close()
    context.set_offline(False)
    page = context.new_page()
    visit(page, "/write/")
    offer = page.locator("section.alert", has_text="was never autosaved")
    expect(offer).to_contain_text("title, body")
    offer.get_by_role("button", name="Restore it").click()
    expect(page.locator("[name=body]")).to_have_value("No signal between the stations.")
    expect(status(page)).to_have_text(SAVED)
    assert Autosave.objects.get(article=None).title == "Written on a train"
    assert kept_in_browser(page, f"{author.user.pk}.new")["sent"] is True


def test_a_signed_out_author_is_told_and_the_next_autosave_after_signing_in_clears_it(
    context: Any, author: Any, log_in_as: Any
) -> None:
    article = ArticleFactory(author=author, title="Session ends", body="Start.")
    log_in_as(author.user)
    page = context.new_page()
    visit(page, f"/articles/{article.slug}/edit/")
    context.clear_cookies(name=settings.SESSION_COOKIE_NAME)  # the session expired
    page.locator("[name=body]").fill("Start. And more.")
    expect(status(page)).to_have_text(f"Signed out: sign in again in another tab; {KEPT}.")
    assert kept_in_browser(page, f"{author.user.pk}.{article.pk}")["body"] == "Start. And more."

    log_in_as(author.user)  # in another tab
    page.evaluate("window.dispatchEvent(new Event('online'))")  # rather than wait 15 s for the retry
    expect(status(page)).to_have_text(SAVED)
    assert Autosave.objects.get().body == "Start. And more."


def test_a_server_error_is_shown_and_the_retry_succeeds_once_the_server_is_back(
    context: Any, author: Any, log_in_as: Any
) -> None:
    log_in_as(author.user)
    page = context.new_page()
    page.route("**/write/autosave/", lambda route: route.fulfill(status=500, body="Server Error"))
    visit(page, "/write/")
    page.locator("[name=body]").fill("Typed while the server fails.")
    expect(status(page)).to_have_text(f"Could not autosave: the server answered 500; {KEPT}.")
    expect(status(page)).to_have_class(re.compile(r"\btext-danger-emphasis\b"))

    page.unroute("**/write/autosave/")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(status(page)).to_have_text(SAVED)
    expect(status(page)).not_to_have_class(re.compile(r"\btext-danger-emphasis\b"))
    assert Autosave.objects.get().body == "Typed while the server fails."
