"""Tags in a real browser: suggested as the author types after a comma, saved, and shown on the article."""

from __future__ import annotations

from typing import Any

import pytest

from articles.models import Article, Tag
from tests.browser.conftest import unavailable
from tests.factories import ArticleFactory, make_author

try:
    from playwright.sync_api import Page, expect
except ImportError:
    unavailable("Playwright is not installed: pip install -r requirements-browser.txt", module=True)

pytestmark = pytest.mark.browser


def test_tags_are_suggested_after_a_comma_saved_and_linked_from_the_article(page: Page, log_in_as: Any):
    writer = make_author(username="writer")
    for name in ("Python", "Soil"):
        ArticleFactory(author=writer, status=Article.Status.PUBLISHED).tags.add(
            Tag.objects.create(name=name, slug=name.lower())
        )
    log_in_as(writer.user)

    page.goto("/write/")
    page.locator("[name=title]").fill("Tagged in the browser")
    page.locator("[name=body]").fill("Some words.")
    page.locator("[name=status]").select_option("published")
    tags = page.locator("[name=tags]")
    tags.fill("Soil, Py")
    # Each suggestion carries what was typed before the comma; a tag already typed is not offered again.
    suggestions = page.locator("#tag-suggestions option")
    expect(suggestions).to_have_count(1)
    assert suggestions.first.get_attribute("value") == "Soil, Python"
    tags.fill("Soil, Python, compost")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_role("heading", name="Tagged in the browser")).to_be_visible()
    page.get_by_role("link", name="#compost").click()
    expect(page.get_by_role("heading", name="#compost")).to_be_visible()
    expect(page.get_by_text("1 published article")).to_be_visible()


def test_staff_tag_an_article_in_the_admin_through_its_autocomplete(page: Page, log_in_as: Any):
    article = ArticleFactory(status=Article.Status.PUBLISHED, title="Tagged by staff")
    Tag.objects.create(name="Compost", slug="compost")
    Tag.objects.create(name="Python", slug="python")
    log_in_as(make_author(username="moderator", is_staff=True, is_superuser=True).user)

    page.goto(f"/admin/articles/article/{article.pk}/change/")
    page.locator(".field-tags .select2-selection").click()
    page.locator(".field-tags .select2-search__field").fill("comp")
    options = page.locator(".select2-results__option")
    expect(options).to_have_text(["Compost"])  # from the admin's autocomplete view, searched by name
    options.first.click()
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    page.goto("/tags/compost/")
    expect(page.get_by_role("link", name="Tagged by staff")).to_be_visible()
    expect(page.get_by_text("1 published article")).to_be_visible()
