"""Audit and repair of every counter, one aggregate statement per counted table.

The receivers keep the counters exact; this is for what bypasses them
(``QuerySet.update()``, ``bulk_create()``, raw SQL, a restored backup).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import models
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce

from authors.models import Author
from comments.models import Comment

from .models import Article, ArticleTag, Category, Tag


@dataclass(frozen=True)
class CountedColumn:
    """``model.field`` must equal the number of ``children`` rows pointing at it."""

    model: type[models.Model]
    field: str
    children: models.QuerySet
    link: str  # the children's foreign key to ``model``
    related: tuple[str, ...] = ()  # what str(row) reads: joined, not a query per drifted row

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field}"

    def true_value(self) -> Coalesce:
        # A correlated subquery: the database counts every parent in one
        # statement, and a parent with no children left gets 0, not NULL.
        counted = (
            self.children.filter(**{self.link: OuterRef("pk")})
            .order_by()
            .values(self.link)
            # COUNT(*), not COUNT(id): the (fk, status, …) index answers alone
            # (an index-only scan) instead of a heap visit per counted row.
            .annotate(total=Count("*"))
            .values("total")
        )
        return Coalesce(Subquery(counted), 0)

    def drifted(self) -> models.QuerySet:
        return (
            self.model._base_manager.annotate(true_value=self.true_value())
            .select_related(*self.related)
            .exclude(**{self.field: F("true_value")})
            .order_by("pk")
        )

    def repair(self) -> int:
        """Set every drifted row to its true value; returns how many were wrong."""
        true_value = self.true_value()
        return self.model._base_manager.exclude(**{self.field: true_value}).update(**{self.field: true_value})


def counted_columns() -> list[CountedColumn]:
    # What counts is what the site calls published and approved (the QuerySet
    # methods the pages use); only how it is counted differs from the receivers.
    published = Article.objects.published()
    return [
        CountedColumn(Author, "article_count", published, "author", related=("user",)),
        CountedColumn(Category, "article_count", published, "category"),
        CountedColumn(Article, "comment_count", Comment.objects.approved(), "article"),
        CountedColumn(Tag, "article_count", ArticleTag.objects.filter(article__in=published), "tag"),
    ]


@dataclass(frozen=True)
class Drift:
    column: CountedColumn
    row: models.Model
    stored: int
    true: int

    def __str__(self) -> str:
        row = f"{self.column.model.__name__} {self.row.pk} ({self.row})"
        return f"{self.column.label} of {row}: stored {self.stored}, true {self.true}"


def find_drift() -> Iterator[Drift]:
    for column in counted_columns():
        for row in column.drifted():
            yield Drift(column, row, getattr(row, column.field), row.true_value)


def recount_all() -> dict[str, int]:
    """Repair every counter; returns the number of rows fixed per column."""
    return {column.label: column.repair() for column in counted_columns()}
