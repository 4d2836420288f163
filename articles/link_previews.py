"""What a shared link shows: Open Graph and Twitter card tags, the canonical address, JSON-LD.

Every address here is absolute, made from SITE_URL, never from the request's
Host header: pages are cached and served to everyone, and a crawler must
see the site's one address for each page (a Host header is the sender's to
choose). A listing's canonical address is its own page of it (``?page=2``),
with every other query parameter dropped, as search engines advise for
paginated lists (each page is its own document, not a copy of the first).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.core.paginator import Page
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from blogsite.emails import absolute_url

from .cover_renditions import renditions_of
from .models import Article

# What a preview card shows of an article without an excerpt: a sentence or two.
DESCRIPTION_WORDS = 30
# Google shows at most this much of a headline.
HEADLINE_CHARACTERS = 110


def page_url(path: str, number: int) -> str:
    return absolute_url(path if number == 1 else f"{path}?page={number}")


@dataclass(frozen=True)
class ListingLinks:
    canonical: str
    previous: str | None = None
    next: str | None = None

    @classmethod
    def of(cls, path: str, page: Page | None) -> ListingLinks:
        if page is None:
            return cls(absolute_url(path))
        return cls(
            page_url(path, page.number),
            page_url(path, page.previous_page_number()) if page.has_previous() else None,
            page_url(path, page.next_page_number()) if page.has_next() else None,
        )


def article_description(article: Article) -> str:
    """The author's meta description, else the excerpt, else the body's first words: plain text."""
    return article.meta_description or article.summary(DESCRIPTION_WORDS, truncate="…")


def article_structured_data(article: Article) -> dict:
    """schema.org ``Article`` for search engines (JSON-LD)."""
    author = article.author
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": article.title[:HEADLINE_CHARACTERS],
        "description": article_description(article),
        "url": absolute_url(article.get_absolute_url()),
        "mainEntityOfPage": absolute_url(article.get_absolute_url()),
        "datePublished": article.published_at,
        "dateModified": article.updated_at,
        "author": {"@type": "Person", "name": str(author), "url": absolute_url(author.get_absolute_url())},
        "publisher": {"@type": "Organization", "name": "blogsite", "url": absolute_url("/")},
    }
    if article.cover:
        data["image"] = preview_image_url(article)
    if article.category_id is not None:
        data["articleSection"] = article.category.name
    return data


def preview_image_url(article: Article) -> str:
    """The cover as a preview card takes it: its 1200-wide JPEG or PNG where one was made, else the original.

    A cover no wider than that has no preview copy: cards want at least 1200
    pixels, so a smaller one is shown as it is, not upscaled.
    """
    renditions = renditions_of(article.cover.name)
    if renditions is not None and renditions.preview is not None:
        return absolute_url(article.cover.storage.url(renditions.preview.name))
    return absolute_url(article.cover.url)


def json_ld(data: dict) -> SafeString:
    """A JSON-LD script element. ``<``, ``>`` and ``&`` are escaped inside the JSON, so text an author
    wrote (``</script>`` in a title) cannot end the element; a data block is never run, so a
    Content-Security-Policy has nothing to allow for it."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(f'<script type="application/ld+json">{text}</script>')


def meta(attribute: str, name: str, content: str) -> str:
    return f'<meta {attribute}="{name}" content="{escape(content)}">'


def article_preview_tags(article: Article) -> SafeString:
    """The tags a link preview (Open Graph, Twitter card) and a search engine (canonical, JSON-LD) read."""
    url = absolute_url(article.get_absolute_url())
    description = article_description(article)
    tags = [
        f'<link rel="canonical" href="{escape(url)}">',
        meta("property", "og:type", "article"),
        meta("property", "og:site_name", "blogsite"),
        meta("property", "og:title", article.title),
        meta("property", "og:description", description),
        meta("property", "og:url", url),
        meta("property", "article:author", absolute_url(article.author.get_absolute_url())),
        meta("name", "twitter:card", "summary_large_image" if article.cover else "summary"),
        meta("name", "twitter:title", article.title),
        meta("name", "twitter:description", description),
    ]
    if article.published_at:
        tags.append(meta("property", "article:published_time", article.published_at.isoformat()))
        tags.append(meta("property", "article:modified_time", article.updated_at.isoformat()))
    if article.category_id is not None:
        tags.append(meta("property", "article:section", article.category.name))
    if article.cover:
        image = preview_image_url(article)
        tags += [meta("property", "og:image", image), meta("name", "twitter:image", image)]
        tags.append(meta("property", "og:image:alt", article.title))
    tags.append(json_ld(article_structured_data(article)))
    return mark_safe("\n  ".join(tags))


def listing_link_tags(path: str, page: Page | None) -> SafeString:
    links = ListingLinks.of(path, page)
    tags = [f'<link rel="canonical" href="{escape(links.canonical)}">']
    if links.previous:
        tags.append(f'<link rel="prev" href="{escape(links.previous)}">')
    if links.next:
        tags.append(f'<link rel="next" href="{escape(links.next)}">')
    return mark_safe("\n  ".join(tags))
