"""The Content-Security-Policy in a real browser: every page works under it, with no violation.

The ``new_context`` fixture (tests/browser/conftest.py) fails any browser test whose pages break the
policy, so every browser test checks it; this one walks the pages no other test opens, the admin's
included, and proves that the check itself sees a violation.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from articles.models import Article
from articles.services import publish_article
from authors.unsubscribe import UnsubscribeLink
from comments.models import Comment
from tests.browser.conftest import unavailable
from tests.factories import ArticleFactory, CategoryFactory, CommentFactory, UserFactory, make_author

try:
    from playwright.sync_api import Page, expect
except ImportError:
    unavailable("Playwright is not installed: pip install -r requirements-browser.txt", module=True)

pytestmark = pytest.mark.browser


def open_page(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.ok, f"GET {path}: {response and response.status}"
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "style-src 'self'" in policy, f"{path}: {policy!r}"


def test_every_kind_of_page_and_the_admin_work_under_the_policy(page: Page, log_in_as: Any):
    editor = UserFactory(username="editor", is_staff=True, is_superuser=True)
    reader = make_author(username="reader")
    article = ArticleFactory(author=editor.author, category=CategoryFactory(slug="craft"), title="Counting")
    publish_article(article)
    CommentFactory(article=article, status=Comment.Status.PENDING)
    article.title = "Counting things"
    article.save()
    token = UnsubscribeLink(follower_id=reader.user_id, author_id=editor.author.pk).token()

    open_page(page, "/accounts/login/")
    open_page(page, reverse("unsubscribe", args=[token]))
    log_in_as(editor)
    for path in [
        "/",
        article.get_absolute_url(),
        "/categories/craft/",
        "/authors/editor/",
        "/search/?q=counting",
        "/dashboard/",
        f"{article.get_absolute_url()}history/",
        reverse("admin:index"),
        reverse("admin:articles_article_changelist"),
        reverse("admin:articles_article_change", args=[article.pk]),
        reverse("admin:articles_article_add"),
        reverse("admin:articles_article_history", args=[article.pk]),
        reverse("admin:comments_comment_changelist"),
        reverse("admin:audit_auditentry_changelist"),
        reverse("admin:auth_user_change", args=[reader.user_id]),
    ]:
        open_page(page, path)

    # The editor's scripts at work: the Preview tab renders, the theme switch switches.
    open_page(page, f"{article.get_absolute_url()}edit/")
    page.locator("[name=body]").fill("**Bold** words")
    page.get_by_role("tab", name="Preview").click()
    expect(page.locator("#preview-pane strong")).to_have_text("Bold")
    theme = page.locator("html").get_attribute("data-bs-theme")
    page.locator("#theme-toggle").click()
    expect(page.locator("html")).not_to_have_attribute("data-bs-theme", theme)
    # The admin's own scripts: the action bar's select-all checkbox.
    open_page(page, reverse("admin:articles_article_changelist"))
    page.locator("#action-toggle").check()
    expect(page.locator(".action-counter")).to_contain_text("1 of 1 selected")


def test_the_check_sees_a_violation(browser: Any, live_server: Any):
    # A context of its own, not the fixture's (which would fail this test for the violation it makes).
    context = browser.new_context(base_url=live_server.url)
    messages: list[str] = []
    context.on("console", lambda message: messages.append(message.text))
    page = context.new_page()
    page.goto("/")
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.wait_for_timeout(200)
    context.close()

    assert any("Content Security Policy" in text for text in messages), messages
    assert Article.objects.count() == 0
