"""Responsive covers in a real browser: at a phone's width the browser downloads the small rendition."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.base import ContentFile

from articles.models import Article
from tests.articles.test_cover_renditions import photo_bytes
from tests.browser.conftest import unavailable
from tests.factories import ArticleFactory

try:
    from playwright.sync_api import Route
except ImportError:
    unavailable("Playwright is not installed: pip install -r requirements-browser.txt", module=True)

pytestmark = pytest.mark.browser


def serve_media(route: Route) -> None:
    # The live server serves static files, not uploads (SERVE_MEDIA is off in tests): read them from MEDIA_ROOT.
    path = Path(settings.MEDIA_ROOT) / route.request.url.split("/media/", 1)[1]
    if path.is_file():
        route.fulfill(path=str(path))
    else:
        route.fulfill(status=404)


@pytest.mark.parametrize(("width", "scale", "chosen"), [(375, 1, "480w.webp"), (375, 2, "960w.webp")])
def test_a_phone_downloads_the_rendition_that_fits_it(new_context: Any, width: int, scale: int, chosen: str):
    article = ArticleFactory(status=Article.Status.PUBLISHED)
    # A live-server test commits for real: the renditions are made after this save's commit.
    article.cover.save("photo.jpg", ContentFile(photo_bytes((2400, 1260))), save=True)
    page = new_context(viewport={"width": width, "height": 800}, device_scale_factor=scale).new_page()
    page.route("**/media/**", serve_media)
    page.goto(article.get_absolute_url())
    cover = page.locator("img.article-cover")
    cover.wait_for()
    page.wait_for_function("document.querySelector('img.article-cover').complete")
    assert cover.evaluate("img => img.currentSrc").endswith(f"/{chosen}")
    # Loaded, not broken (naturalWidth is in CSS pixels here: the rendition's width over its density).
    assert cover.evaluate("img => img.naturalWidth") > 0
