"""The part of an article page that every reader who cannot edit it sees alike.

A signed-in reader is never served from the page cache: the page holds their
name, their messages and their CSRF token. But the article and its approved
comments, which take two of the page's queries and most of its template, are
the same for every such reader and for anonymous ones. They are kept in the
cache as HTML, filed under the page cache's generation (read before the
database, as blogsite/page_cache.py does), so the commits that retire cached
pages retire them too: an edit, a status change, a moderated comment shows on
the very next request, and only view counts lag, by at most
``PAGE_CACHE_SECONDS``. The article's author and the editors see Edit and
Delete in that part, so they always get it rendered for them.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.template.loader import render_to_string

from blogsite.page_cache import generation_and_page
from comments.replies import MAX_REPLY_DEPTH, threads

from . import link_previews

logger = logging.getLogger(__name__)

ARTICLE_TEMPLATE = "articles/_article_main.html"
COMMENTS_TEMPLATE = "articles/_article_comments.html"


@dataclass(frozen=True)
class SharedArticlePart:
    """The shared HTML, and what the rest of the page reads of the article."""

    pk: int
    author_user_id: int
    slug: str
    title: str
    excerpt: str
    # For the <head>: the meta description, and the link-preview tags (articles/link_previews.py).
    description: str
    head_html: str
    article_html: str
    comments_html: str
    # Only a published article's part is shared; the page's template asks.
    is_published = True

    def is_editable_by(self, user) -> bool:
        # articles.views.can_preview, for the part: the author and staff.
        return user.is_authenticated and (user.is_staff or user.pk == self.author_user_id)


def part_key(slug: str) -> str:
    return f"page_cache:article_part:{hashlib.sha256(slug.encode()).hexdigest()}"


def lookup(request: HttpRequest, slug: str) -> tuple[int | None, SharedArticlePart | None]:
    """The current generation and the part of ``slug``'s page, when it is current.

    (None, None) when the page cache is off, for a request that cannot use the
    part, and when the cache is unreachable: the page is then rendered whole,
    and nothing is stored.
    """
    if settings.PAGE_CACHE_SECONDS <= 0 or request.method not in ("GET", "HEAD"):
        return None, None
    try:
        generation, stored = generation_and_page(part_key(slug))
        # Fields stored by an older deploy that no longer fit are a miss.
        return generation, None if stored is None else SharedArticlePart(**stored[0])
    except Exception:
        logger.warning("Page cache unavailable: article %s rendered whole", slug, exc_info=True)
        return None, None


def rendered_part(article, comments, *, editor=None) -> SharedArticlePart:
    """The article's part of its page; with Edit and Delete for ``editor``, who may edit it.

    Rendered for sharing (no editor), it has no request and no user in its
    context, so nothing of one reader can get into it.
    """
    context = {
        "article": article,
        "threads": threads(list(comments)),
        "max_depth": MAX_REPLY_DEPTH,
        "can_edit": editor is not None,
        "user": editor,
    }
    return SharedArticlePart(
        pk=article.pk,
        author_user_id=article.author.user_id,
        slug=article.slug,
        title=article.title,
        excerpt=article.excerpt,
        description=link_previews.article_description(article),
        head_html=link_previews.article_preview_tags(article),
        article_html=render_to_string(ARTICLE_TEMPLATE, context),
        comments_html=render_to_string(COMMENTS_TEMPLATE, context),
    )


def store(part: SharedArticlePart, generation: int) -> None:
    try:
        cache.set(part_key(part.slug), (generation, asdict(part)), timeout=settings.PAGE_CACHE_SECONDS)
    except Exception:
        logger.warning("Page cache unavailable: article %s part not stored", part.slug, exc_info=True)
