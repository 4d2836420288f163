"""Markdown to safe HTML, for article bodies, previews and comments.

Authors and commenters never get raw HTML through: markdown-it escapes it
(``html`` off, so ``<script>`` shows as text), and nh3 cleans the output
again, so a bug in either one alone still lets no script or handler out.
"""

from __future__ import annotations

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False, "typographer": True}).enable(["table", "strikethrough"])

_ALLOWED_TAGS = {
    *("p", "br", "hr", "blockquote", "pre", "code", "em", "strong", "del", "a", "img"),
    *("h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li"),
    *("table", "thead", "tbody", "tr", "th", "td"),
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
_COMMENT_TAGS = {"p", "br", "blockquote", "pre", "code", "em", "strong", "del", "a", "ul", "ol", "li"}


def render_markdown(text: str) -> SafeString:
    """An article body: headings, images, tables and links."""
    html = nh3.clean(
        _markdown.render(text),
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return mark_safe(html)


def render_comment(text: str) -> SafeString:
    """A comment: text formatting and links, no headings or images; links are nofollow (spam earns nothing)."""
    html = nh3.clean(
        _markdown.render(text),
        tags=_COMMENT_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer ugc",
    )
    return mark_safe(html)


def reading_minutes(text: str, words_per_minute: int = 200) -> int:
    """Minutes a reader needs, rounded up, never 0."""
    return max(1, -(-len(text.split()) // words_per_minute))
