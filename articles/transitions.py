"""What a write does to an article: its state before (as stored) and after.

"Before" is always read from the database under a row lock in the writing
transaction, never taken from the instance: a copy loaded a minute ago may
still say ``draft`` while another process has published the row since, and
judging by that copy would count the publication twice.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass

from django.utils import timezone

from authors.models import Author
from blogsite.counters import CounterDeltas
from blogsite.stored_state import StoredState

from .models import Article, Category


@dataclass(frozen=True)
class ArticleState(StoredState):
    model = Article

    status: str
    author_id: int
    category_id: int | None
    slug: str
    published_at: datetime.datetime | None
    # The rest of the content a revision keeps (articles/revision_records.py):
    # read in the same locked SELECT, so "did this save change it" costs no statement.
    title: str
    excerpt: str
    meta_description: str
    body: str
    cover: str

    @property
    def cover_name(self) -> str:
        # A FieldFile on an instance about to be saved, its name as stored.
        return getattr(self.cover, "name", self.cover) or ""

    def content(self) -> tuple:
        return tuple(self.content_by_attname().values())

    def content_by_attname(self) -> dict[str, object]:
        """What a revision keeps, by the revision's attribute names (articles/revision_records.py)."""
        return {
            "title": self.title,
            "slug": self.slug,
            "excerpt": self.excerpt,
            "meta_description": self.meta_description,
            "body": self.body,
            "cover": self.cover_name,
            "category_id": self.category_id,
        }

    @property
    def is_published(self) -> bool:
        return self.status == Article.Status.PUBLISHED


def writes_status(update_fields: Collection[str] | None) -> bool:
    return update_fields is None or "status" in update_fields


def settle_published_at(article: Article, before: ArticleState | None) -> None:
    """Set ``published_at`` on the instance about to be saved.

    The first publication sets it and later saves keep it (a copy holding None
    never erases it). An article published while its date is still in the
    future (a scheduled one published early by hand) is published now.
    """
    if article.published_at is None and before is not None and before.published_at is not None:
        article.published_at = before.published_at
    if not article.is_published or (before is not None and before.is_published):
        return
    now = timezone.now()
    if article.published_at is None or article.published_at > now:
        article.published_at = now


@dataclass(frozen=True)
class ArticleTransition:
    before: ArticleState | None  # None: the row is being created (or was already gone)
    after: ArticleState | None  # None: the row is being deleted

    @property
    def publishes(self) -> bool:
        return self.after is not None and self.after.is_published and not (self.before and self.before.is_published)

    @property
    def unpublishes(self) -> bool:
        return self.before is not None and self.before.is_published and not (self.after and self.after.is_published)

    @property
    def changes_status(self) -> bool:
        """Whether the audit log records this save: a status move, or a new article that is not a draft."""
        if self.after is None:
            return False
        if self.before is None:
            return self.after.status != Article.Status.DRAFT
        return self.before.status != self.after.status

    @property
    def changes_content(self) -> bool:
        """Whether the save makes a revision: a new article, or a change of what a revision keeps."""
        return self.after is not None and (self.before is None or self.before.content() != self.after.content())

    @property
    def replaced_cover(self) -> str | None:
        """The cover file an edit replaced or removed, when it did."""
        if self.before and self.after and self.before.cover_name not in ("", self.after.cover_name):
            return self.before.cover_name
        return None

    @property
    def old_slug(self) -> str | None:
        """The address the article leaves behind, when an edit changed its slug."""
        if self.before and self.after and self.before.slug != self.after.slug:
            return self.before.slug
        return None

    def add_counter_deltas(self, deltas: CounterDeltas) -> None:
        # Remove what the stored row counted, add what the written row counts:
        # a move, a status change or both at once all come out of these lines,
        # and an edit that changes nothing counted nets to zero (no statement).
        for state, sign in ((self.before, -1), (self.after, +1)):
            if state is not None and state.is_published:
                deltas.add(Author, "article_count", state.author_id, sign)
                deltas.add(Category, "article_count", state.category_id, sign)
