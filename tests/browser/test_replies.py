"""Replies in a real browser: Reply under a comment, write, post, and the answer sits under it."""

from __future__ import annotations

from typing import Any

import pytest

from articles.models import Article
from comments.models import Comment
from tests.browser.conftest import unavailable
from tests.factories import ArticleFactory, CommentFactory, make_author

try:
    from playwright.sync_api import Page, expect
except ImportError:
    unavailable("Playwright is not installed: pip install -r requirements-browser.txt", module=True)

pytestmark = pytest.mark.browser


def test_a_signed_in_reader_replies_and_the_reply_shows_under_the_comment(page: Page, log_in_as: Any):
    article = ArticleFactory(author=make_author(username="writer"), status=Article.Status.PUBLISHED)
    first = CommentFactory(article=article, name="Ann", body="Is this counted right?", status=Comment.Status.APPROVED)
    log_in_as(make_author(username="reader", first_name="Rea").user)

    page.goto(article.get_absolute_url())
    page.get_by_role("link", name="Reply to Ann").click()
    expect(page.get_by_role("heading", name="Reply to Ann")).to_be_visible()
    page.locator("[name=body]").fill("Yes: every reply is counted like a comment.")
    page.get_by_role("button", name="Post reply").click()

    reply = page.locator(f"#comment-{first.pk} + .comment-reply")
    expect(reply).to_contain_text("Yes: every reply is counted like a comment.")
    expect(page.get_by_role("heading", name="2 comments")).to_be_visible()
