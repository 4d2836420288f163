"""The text an author was typing, kept every few seconds: one autosave per author and article.

An autosave is not a revision: it never writes the article, makes no
revision, moves no counter and purges no cache. It belongs to the user who
typed it (staff editing someone else's article keep their own), and to the
article, or to no article for the "new article" form, one per user there too.
"""

from __future__ import annotations

from typing import Self

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import models


class AutosaveQuerySet(models.QuerySet):
    def of(self, *, user: AbstractBaseUser, article: models.Model | None) -> Self:
        """The user's autosave of ``article``, or of the new-article form when it is None (at most one row)."""
        if article is None:
            return self.filter(user=user, article__isnull=True)
        return self.filter(user=user, article=article)


class Autosave(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="autosaves")
    # None: the form of an article not saved yet.
    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, null=True, blank=True, related_name="autosaves"
    )
    title = models.CharField(max_length=200, blank=True)
    excerpt = models.TextField(blank=True)
    body = models.TextField(blank=True)
    # The edit form's version (articles.forms.article_version) the author started
    # from: when the article's differs, it changed since, and the prompt says so.
    base_version = models.CharField(max_length=100, blank=True)
    # Set by the service: its UPDATE does not go through save(), so auto_now would not apply.
    updated_at = models.DateTimeField()

    objects = AutosaveQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "article"], name="autosave_one_per_user_and_article"),
            # NULLs are distinct in a unique constraint: the new-article form needs its own.
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(article__isnull=True), name="autosave_one_new_article_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"Autosave of {self.title or 'an untitled article'}"
