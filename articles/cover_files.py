"""Cover image files: kept while an article or one of the kept revisions names them, deleted after.

django-cleanup deletes a file as soon as its row stops naming it, which
would take a replaced cover away from the revision that still shows it (a
restore could not bring it back). So Article is ignored by django-cleanup
(articles/models.py) and its cover files are deleted here, after the commit
of the write that may have freed them: an article's deletion (with its
revisions), a pruning of revisions, a replaced cover. Whether anything still
names a file is asked at that point, of the committed rows, so two articles
sharing a file name, or a revision kept elsewhere, keep it.

A cover's renditions (articles/cover_renditions.py) go with it.

Deleting a file is best-effort IO, like django-cleanup's own: a process that
dies before it leaves an orphan file, never a revision without its cover.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Iterator
from functools import partial

from django.db import transaction
from django.db.models import QuerySet

from .cover_renditions import delete_renditions
from .models import Article, ArticleRevision

logger = logging.getLogger(__name__)

# Names per reference query: well under SQLite's limit of bound parameters.
BATCH_SIZE = 500


def batched(items: Iterable, size: int = BATCH_SIZE) -> Iterator[list]:
    """``items`` in lists of at most ``size`` (itertools.batched is Python 3.12's)."""
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def delete_unreferenced_covers_on_commit(names: Iterable[str], *, using: str) -> None:
    """Once the current transaction commits, delete those of ``names`` nothing names any more."""
    names = {name for name in names if name}
    if names:
        transaction.on_commit(partial(delete_unreferenced_covers, names, using=using), using=using)


def delete_unreferenced_covers(names: Collection[str], *, using: str) -> list[str]:
    """Delete the files of ``names`` that no article and no revision names; the names deleted."""
    storage = Article._meta.get_field("cover").storage
    deleted = []
    for name in unreferenced_covers(names, using=using):
        try:
            storage.delete(name)
        except Exception:
            # One unreadable file (permissions, a storage hiccup) must not keep the others.
            logger.exception("Could not delete the cover file %s", name)
        else:
            deleted.append(name)
            delete_renditions_logging_failure(name)
    return deleted


def delete_renditions_logging_failure(name: str) -> None:
    # After the cover: a failure leaves orphan files on disk, never a page that lists a missing one.
    try:
        delete_renditions(name)
    except Exception:
        logger.exception("Could not delete the renditions of the cover file %s", name)


def unreferenced_covers(
    names: Collection[str], *, using: str, revisions: QuerySet[ArticleRevision] | None = None
) -> list[str]:
    """Those of ``names`` that no article names and no revision of ``revisions`` (all of them by default) names.

    One query per BATCH_SIZE names, however many rows name them (both cover
    columns are indexed).
    """
    if revisions is None:
        revisions = ArticleRevision.objects.all()
    unreferenced = []
    for batch in batched(sorted(set(names) - {""})):
        in_articles = Article._base_manager.using(using).filter(cover__in=batch).order_by().values_list("cover")
        in_revisions = revisions.using(using).filter(cover__in=batch).order_by().values_list("cover")
        referenced = {name for (name,) in in_articles.union(in_revisions)}
        unreferenced.extend(name for name in batch if name not in referenced)
    return unreferenced
