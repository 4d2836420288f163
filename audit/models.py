"""The audit log: who moved what to which status, from where, and when.

Written by audit.receivers inside the transaction of the change it records,
from the state the counter receivers read under lock, so an entry exists
exactly when its change committed. Entries outlive what they name: the
article's title, the actor's name and the comment's number are copied in,
and the links to the rows are emptied when those rows are deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from blogsite.write_source import Source


class AuditEntryQuerySet(models.QuerySet):
    def newest_first(self) -> AuditEntryQuerySet:
        return self.order_by("-at", "-pk")

    def for_article(self, article) -> AuditEntryQuerySet:
        """What happened to one article and its comments, newest first (names as they were: no join)."""
        return self.filter(article=article).newest_first()


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        PUBLISH = "publish", "published"
        UNPUBLISH = "unpublish", "unpublished"
        SCHEDULE = "schedule", "scheduled"
        ARCHIVE = "archive", "archived"
        DRAFT = "draft", "returned to draft"
        DELETE = "delete", "deleted"
        APPROVE_COMMENT = "approve_comment", "approved a comment"
        REJECT_COMMENT = "reject_comment", "rejected a comment"
        HOLD_COMMENT = "hold_comment", "held a comment for moderation"
        DELETE_COMMENT = "delete_comment", "deleted a comment"
        DELETE_CATEGORY = "delete_category", "deleted a category"
        FOLLOW = "follow", "followed"
        UNFOLLOW = "unfollow", "unfollowed"

    at = models.DateTimeField(default=timezone.now)
    # Null for the scheduler, a shell or a command, and once the account is deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_entries"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    # The request's path, or the command line that made the change.
    path = models.CharField(max_length=500, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    # The article concerned (for a comment, its article); emptied when it is deleted.
    article = models.ForeignKey(
        "articles.Article", on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_entries"
    )
    # What the entry is about, as it was named then: “Title”, comment #12 by Ann, or an author.
    subject = models.CharField(max_length=300)
    comment_number = models.PositiveBigIntegerField(null=True, blank=True)
    # The status as stored before and as written after; empty for none (created, deleted).
    before = models.CharField(max_length=20, blank=True)
    after = models.CharField(max_length=20, blank=True)
    detail = models.CharField(max_length=200, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "audit entry"
        verbose_name_plural = "audit log"
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["article", "-at"], name="audit_article_newest"),
            models.Index(fields=["-at"], name="audit_newest"),
        ]

    def __str__(self) -> str:
        who = self.actor_name or self.get_source_display()
        return f"{who} {self.get_action_display()} {self.subject}"

    @property
    def change(self) -> str:
        """The move as a reader says it: "draft → published", "published → (deleted)"."""
        if not self.before and not self.after:
            return ""
        return f"{self.before or '(new)'} → {self.after or '(deleted)'}"
