"""Markdown to safe HTML, for article bodies, previews and comments.

Authors and commenters never get raw HTML through: markdown-it escapes it
(``html`` off, so ``<script>`` shows as text), and nh3 cleans the output
again, so a bug in either one alone still lets no script or handler out.

Articles and comments render once, when their body is saved, and keep the
result in ``body_html``: pages print the stored HTML instead of rendering
on every request. A change to the rules below therefore reaches stored rows
only through ``manage.py render_markdown`` (``rerender_stored_html``).
"""

from __future__ import annotations

from collections.abc import Callable

import nh3
from django.db import models, transaction
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


def rerender_stored_html(rows: models.QuerySet, render: Callable[[str], str], *, batch_size: int = 500) -> int:
    """Render every row's ``body`` into ``body_html`` again; the number of rows whose HTML changed.

    Batches in primary-key order, each locked while it is read and written:
    an edit saving the same row waits for the batch (or the batch for the
    edit), so a body saved meanwhile never gets the HTML of the body it
    replaced. ``bulk_update`` of ``body_html`` alone skips save() and the
    signals, which is what is wanted: body_html is no counted field, and a
    change of the rules is no edit (``updated_at`` stays).
    """
    changed = 0
    last_pk = None
    while True:
        with transaction.atomic(using=rows.db):
            batch = rows.select_for_update().only("pk", "body", "body_html").order_by("pk")
            if last_pk is not None:
                batch = batch.filter(pk__gt=last_pk)
            batch = list(batch[:batch_size])
            if not batch:
                return changed
            stale = []
            for row in batch:
                html = str(render(row.body))
                if html != row.body_html:
                    row.body_html = html
                    stale.append(row)
            rows.model._base_manager.using(rows.db).bulk_update(stale, ["body_html"])
        changed += len(stale)
        last_pk = batch[-1].pk


def reading_minutes(text: str, words_per_minute: int = 200) -> int:
    """Minutes a reader needs, rounded up, never 0."""
    return max(1, -(-len(text.split()) // words_per_minute))
