"""A listing's article cards: the page's rows in one query, each card's HTML from memory.

A listing page (home, a category, an author, search results) shows ten cards.
Building ten Article instances with their author, user and category (forty
models, two signals each) and walking the card's template for each was most
of a rendered listing (py-spy, docs/benchmarks.md). Here the page's rows come
as plain values, only the columns a card shows, and each card's HTML is looked
up in the process's "fragments" cache by everything it shows
(``card_version``): a card that shows something else has another key, so it
is never stale and needs no invalidation. Only the cards missing from memory
are loaded as instances, in one more query, and rendered with
``articles/_article_summary.html``. The counts are live: they are put into
each card, from the row and the view buffer, on every request.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.cache import caches
from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from .models import Article
from .view_counts import pending_views

CARD_TEMPLATE = "articles/_article_summary.html"
# Where the card template puts the counts. Every text the template prints is
# escaped, so no title or summary can hold it.
COUNTS_SLOT = "<!--card-counts-->"
CARD_SECONDS = 86400

# What a card shows, but its counts: the key of its cached HTML. updated_at
# moves with every save (Article.save keeps it in update_fields), so the text,
# excerpt, body and cover are covered by it; the fields a QuerySet.update()
# could change without it are named too, and so are the names that live in
# the author's user and category rows.
VERSION_FIELDS = (
    "pk",
    "updated_at",
    "status",
    "slug",
    "title",
    "published_at",
    "cover",
    "author__user__username",
    "author__user__first_name",
    "author__user__last_name",
    "category__pk",
    "category__slug",
    "category__name",
)
COUNT_FIELDS = ("comment_count", "view_count")
CARD_FIELDS = (*VERSION_FIELDS, *COUNT_FIELDS)


@dataclass(frozen=True)
class Card:
    """One card of a listing, printed as its HTML (``{{ card }}``)."""

    pk: int
    title: str
    html: SafeString

    def __html__(self) -> SafeString:
        return self.html

    def __str__(self) -> str:
        return self.html


def card_version(values: dict) -> tuple:
    return tuple(values[field] for field in VERSION_FIELDS)


def card_key(version: tuple) -> str:
    return f"article-card:{hashlib.sha256(repr(version).encode()).hexdigest()}"


def values_of(article: Article) -> dict:
    """What ``QuerySet.values(*VERSION_FIELDS)`` gives for ``article``, read off the instance."""
    return {field: _lookup(article, field) for field in VERSION_FIELDS}


def _lookup(article: Article, field: str):
    value = functools.reduce(lambda obj, name: None if obj is None else getattr(obj, name), field.split("__"), article)
    return value.name if isinstance(value, FieldFile) else value


def card_rows(articles: QuerySet) -> QuerySet:
    """``articles`` as the values their cards show, for ``listing_cards``."""
    return articles.values(*CARD_FIELDS)


@functools.cache
def published_card_rows() -> QuerySet:
    """The published articles, newest first, as the values their cards show.

    Built once per process: resolving fifteen columns across three joins is
    about a quarter of a listing query's cost in Django (median 1.83 → 1.34 ms
    when it is skipped), and it is the same for every listing. Each listing
    filters a clone of it; this one is never evaluated, so it holds no rows.
    """
    return card_rows(Article.objects.published().newest_first())


def listing_cards(rows: QuerySet) -> list[Card]:
    """The cards of ``rows`` (a page of ``card_rows()`` or of ``published_card_rows()``), in its order."""
    rows = list(rows)
    # Read after the rows, so a flush committing in between cannot show a view
    # twice (articles.view_counts.with_total_views).
    pending = pending_views(row["pk"] for row in rows)
    keys = {row["pk"]: card_key(card_version(row)) for row in rows}
    fragments = caches["fragments"]
    found = fragments.get_many(keys.values())
    missing = [pk for pk, key in keys.items() if key not in found]
    if missing:
        rendered = render_cards(Article.objects.for_page().filter(pk__in=missing))
        fragments.set_many(rendered, timeout=CARD_SECONDS)
        found.update(rendered)
        # A row edited between the two queries is shown as the second found it.
        keys.update({pk: key for key, (pk, _) in rendered.items()})
    cards = []
    for row in rows:
        stored = found.get(keys[row["pk"]])
        if stored is None:
            continue  # deleted between the two queries
        _, (head, tail) = stored
        views = row["view_count"] + pending.get(row["pk"], 0)
        html = mark_safe(
            head + counts_html(row["comment_count"], views) + tail
        )  # the template escaped it; the counts are format_html
        cards.append(Card(pk=row["pk"], title=row["title"], html=html))
    return cards


def render_cards(articles: Iterable[Article]) -> dict[str, tuple[int, tuple[str, str]]]:
    rendered = {}
    for article in articles:
        head, tail = render_to_string(CARD_TEMPLATE, {"article": article}).split(COUNTS_SLOT)
        rendered[card_key(card_version(values_of(article)))] = (article.pk, (head, tail))
    return rendered


def counts_html(comments: int, views: int) -> str:
    # The template filters the rest of the site uses, without a template walk per card.
    return format_html(
        '<span class="counter" title="Approved comments">{} comment{}</span>'
        ' · <span class="counter" title="Views">{} view{}</span>',
        intcomma(comments),
        pluralize(comments),
        intcomma(views),
        pluralize(views),
    )
