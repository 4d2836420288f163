"""How long revisions are kept, and pruning the others (``manage.py prune_revisions``).

By default every revision is kept while its article exists: an author's
history is their work, and a site that never prunes loses none of it. A site
that wants a limit sets REVISIONS_KEPT_PER_ARTICLE (each article's newest N)
or runs the command with ``--keep`` and/or ``--older-than``; given both, a
revision goes only when it is outside the newest N *and* older than that.
An article's latest revision is never pruned: it holds the article's current
content, which a restore, the comparison and the next edit start from.

Revisions are deleted a batch at a time, each batch in its own transaction
(a long prune never holds SQLite's write lock for long), and the cover files
only they named are deleted after each commit (articles/cover_files.py).
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from .cover_files import batched, delete_unreferenced_covers_on_commit, unreferenced_covers
from .models import Article, ArticleRevision

# Revisions deleted per statement and transaction.
PRUNE_BATCH_SIZE = 500


@dataclass(frozen=True)
class RetentionPolicy:
    """Which revisions are pruned: outside each article's newest ``keep``, older than ``older_than``."""

    keep: int | None = None
    older_than: datetime.timedelta | None = None

    def __post_init__(self) -> None:
        if self.keep is not None and self.keep < 1:
            raise ValueError(f"keep is a number of revisions, 1 or more (the latest is always kept): {self.keep}")
        if self.older_than is not None and self.older_than <= datetime.timedelta(0):
            raise ValueError(f"older_than is a positive duration: {self.older_than}")

    @classmethod
    def from_settings(cls) -> RetentionPolicy:
        # None or 0: no limit, every revision is kept.
        return cls(keep=getattr(settings, "REVISIONS_KEPT_PER_ARTICLE", None) or None)

    @property
    def keeps_everything(self) -> bool:
        return self.keep is None and self.older_than is None


@dataclass(frozen=True)
class Pruned:
    revisions: int
    # Revisions pruned per article, by the article's address.
    per_article: dict[str, int] = field(default_factory=dict)
    # Cover files that no article and no remaining revision names: deleted after the commit.
    covers: list[str] = field(default_factory=list)


def prunable_revisions(policy: RetentionPolicy, *, now: datetime.datetime | None = None) -> QuerySet[ArticleRevision]:
    """The revisions ``policy`` prunes; never an article's latest."""
    if policy.keeps_everything:
        return ArticleRevision.objects.none()
    ranked = ArticleRevision.objects.annotate(
        newness=Window(RowNumber(), partition_by=[F("id")], order_by=F("history_id").desc())
    )
    # Ranked in a subquery of its own: Django applies a filter on the same
    # query before the window, which would rank only the old revisions.
    outside_newest = ranked.filter(newness__gt=policy.keep or 1).values("history_id")
    prunable = ArticleRevision.objects.filter(history_id__in=outside_newest)
    if policy.older_than is not None:
        prunable = prunable.filter(history_date__lt=(now or timezone.now()) - policy.older_than)
    return prunable


def prune_revisions(
    policy: RetentionPolicy,
    *,
    dry_run: bool = False,
    now: datetime.datetime | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> Pruned:
    """Delete the revisions ``policy`` prunes (only count them with ``dry_run``), and the covers only they named."""
    prunable = prunable_revisions(policy, now=now).using(using)
    # Read once, before anything is deleted: a revision made meanwhile is
    # newer than these, so each one stays prunable.
    rows = list(prunable.order_by("history_id").values_list("history_id", "id", "cover"))
    covers = {cover for _, _, cover in rows if cover}
    remaining = ArticleRevision.objects.using(using).exclude(history_id__in=prunable.values("history_id"))
    freed = unreferenced_covers(covers, using=using, revisions=remaining)
    pruned = Pruned(len(rows), per_article(Counter(article for _, article, _ in rows), using=using), freed)
    if dry_run:
        return pruned
    for batch in batched(rows, PRUNE_BATCH_SIZE):
        with transaction.atomic(using=using):
            ArticleRevision.objects.using(using).filter(history_id__in=[row[0] for row in batch]).delete()
            # Asked again after the commit: a later batch may still name a file.
            delete_unreferenced_covers_on_commit((cover for _, _, cover in batch), using=using)
    return pruned


def per_article(counts: Counter[int], *, using: str) -> dict[str, int]:
    slugs = {}
    for pks in batched(sorted(counts)):
        slugs.update(Article._base_manager.using(using).filter(pk__in=pks).values_list("pk", "slug"))
    return {slugs[pk]: counts[pk] for pk in sorted(counts) if pk in slugs}
