"""Writing and removing autosaves: one statement per autosave request, race-safe between two tabs."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from articles.models import Article, normalized_newlines

from .models import Autosave

AUTOSAVED_FIELDS = ("title", "excerpt", "body")


@dataclass(frozen=True)
class DraftText:
    """What the form's text fields hold."""

    title: str
    excerpt: str
    body: str

    @classmethod
    def of(cls, source: Article | Autosave | None) -> DraftText:
        """The text of a saved article or an autosave; empty for the new-article form."""
        if source is None:
            return cls("", "", "")
        return cls(*(getattr(source, name) for name in AUTOSAVED_FIELDS))

    def as_saved(self) -> DraftText:
        # What saving the form would store: its fields strip surrounding
        # space, and Article.save() ends lines with LF.
        return DraftText(*(normalized_newlines(getattr(self, name)).strip() for name in AUTOSAVED_FIELDS))


def save_autosave(
    *, user: AbstractBaseUser, article: Article | None, text: DraftText, base_version: str
) -> datetime.datetime:
    """Keep ``text`` as the user's autosave of ``article`` (None: the new-article form); return its time.

    Text the article already holds is nothing to offer: the autosave is
    removed instead. Otherwise an UPDATE, and an INSERT only the first time.
    """
    now = timezone.now()
    if text.as_saved() == DraftText.of(article).as_saved():
        delete_autosave(user=user, article=article)
        return now
    fields = {
        "title": text.title,
        "excerpt": normalized_newlines(text.excerpt),
        "body": normalized_newlines(text.body),
        "base_version": base_version,
        "updated_at": now,
    }
    rows = Autosave.objects.of(user=user, article=article)
    if rows.update(**fields):
        return now
    try:
        # A savepoint, so that losing the race below leaves a caller's transaction usable.
        with transaction.atomic():
            Autosave.objects.create(user=user, article=article, **fields)
    except IntegrityError:
        # Another tab inserted the row between our UPDATE and INSERT: the row exists now.
        rows.update(**fields)
    return now


def delete_autosave(*, user: AbstractBaseUser, article: Article | None) -> None:
    """Remove the user's autosave of ``article`` (None: the new-article form), if there is one."""
    Autosave.objects.of(user=user, article=article).delete()
