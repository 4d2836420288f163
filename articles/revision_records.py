"""How an article's revisions are kept: django-simple-history, told what counts as a change.

django-simple-history writes a row into ``articles_revision`` from its
post_save receiver, in the saving transaction, whichever path saved: a form,
the admin, a command, the shell. Two things are this project's:

- Only a change of content is a revision. The revision keeps the content
  fields (``CONTENT_FIELDS``); status and its date, the counters and the
  rendered body are left out (status moves go to the audit log, counters
  must never come back with a restore). A save that changes none of them (a
  publish, an unchanged form sent again) keeps no revision: judge_article_save
  compares the locked stored row with what the save writes and leaves its
  verdict on the instance (``CHANGES_CONTENT_ATTR``) for ``post_save`` here.
- Each revision says where it was made (``source``: blogsite.write_source).
  Who made it is simple-history's ``history_user``, the request's user
  (HistoryRequestMiddleware); a shell, a command or the scheduler has none.
"""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from blogsite.counters import atomic_block_cache
from blogsite.write_source import Source, current_source

# What a revision keeps of an article, and what a restore writes back.
CONTENT_FIELDS = ("title", "slug", "excerpt", "meta_description", "body", "cover", "category")
# Every other field of Article but its key (tests/articles/test_revisions.py
# checks that the two lists cover the model, so a new field is a decision).
NOT_KEPT_FIELDS = (
    "author",
    "body_html",
    "status",
    "published_at",
    "created_at",
    "updated_at",
    "view_count",
    "comment_count",
)
# Set by articles.receivers.judge_article_save for the post_save of the same
# save: the content as the save stores it (an ArticleState), or None when it changes none.
CHANGES_CONTENT_ATTR = "_changes_content"
# The same, while simple-history makes the revision (for record_source).
_STORED_CONTENT_ATTR = "_revision_content"
_DELETING_KEY = "articles.revisions.deleting"


class RevisionSource(models.Model):
    """The base of the revision model: where the change was made."""

    source = models.CharField(max_length=16, choices=Source.choices, default=Source.SHELL)

    class Meta:
        abstract = True


class ArticleRevisions(HistoricalRecords):
    def post_save(self, instance, created, using=None, **kwargs) -> None:
        # Absent on a raw save (fixtures): simple-history skips those anyway.
        stored = instance.__dict__.pop(CHANGES_CONTENT_ATTR, None)
        if stored is None:
            return
        instance.__dict__[_STORED_CONTENT_ATTR] = stored
        try:
            super().post_save(instance, created, using=using, **kwargs)
        finally:
            instance.__dict__.pop(_STORED_CONTENT_ATTR, None)

    # An article's revisions go with it (the audit log keeps the deletion), and
    # so do the cover files only they named. simple-history's
    # cascade_delete_history deletes revisions one article at a time; a cascade
    # (a user deleted with their articles) sends every pre_delete before any
    # post_delete, so the first post_delete deletes the revisions of them all,
    # a batch of articles per statement.

    def pre_delete(self, instance, using=None, **kwargs) -> None:
        # The article's own cover too: a revision names it, unless the row was
        # written without a save (QuerySet.update). Deferred, it is not read again.
        cover = "" if "cover" in instance.get_deferred_fields() else instance.cover.name
        atomic_block_cache(using).setdefault(_DELETING_KEY, {})[instance.pk] = cover

    def post_delete(self, instance, using=None, **kwargs) -> None:
        deleting = atomic_block_cache(using).pop(_DELETING_KEY, None)
        if not deleting:
            return
        # Imported here: cover_files reads the models, which import this module.
        from .cover_files import batched, delete_unreferenced_covers_on_commit

        revisions = getattr(type(instance), self.manager_name).using(using)
        covers = {cover for cover in deleting.values() if cover}
        for pks in batched(sorted(deleting)):
            of_these = revisions.filter(id__in=pks)
            covers.update(of_these.exclude(cover="").order_by().values_list("cover", flat=True).distinct())
            of_these.delete()
        delete_unreferenced_covers_on_commit(covers, using=using)


def record_source(sender, history_instance, instance, **kwargs) -> None:
    """pre_create_historical_record: the source of the write, and the content as stored.

    simple-history copies the saved instance. A save that names its fields
    (``update_fields``) stores only those: the instance's other fields may be
    a minute old, while another writer changed them in the row since. The
    revision takes every content field from the row as this save leaves it
    (the state judge_article_save read under lock, with this save's fields on top).
    """
    history_instance.source = current_source()
    stored = instance.__dict__.get(_STORED_CONTENT_ATTR)
    if stored is not None:
        for attname, value in stored.content_by_attname().items():
            setattr(history_instance, attname, value)
