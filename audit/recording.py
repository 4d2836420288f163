"""An audit entry for the write in progress: its actor, source and path come from blogsite.write_source."""

from __future__ import annotations

from typing import Any

from articles.models import Article
from blogsite.write_source import current_write
from comments.models import Comment

from .models import AuditEntry

Action = AuditEntry.Action


def new_entry(action: str, **fields: Any) -> AuditEntry:
    write = current_write()
    actor = write.actor
    return AuditEntry(
        action=action,
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "",
        source=write.source,
        path=write.path[: AuditEntry._meta.get_field("path").max_length],
        **fields,
    )


def article_action(before: str | None, after: str | None) -> str:
    if after is None:
        return Action.DELETE
    if after == Article.Status.DRAFT:
        return Action.UNPUBLISH if before == Article.Status.PUBLISHED else Action.DRAFT
    return {
        Article.Status.PUBLISHED: Action.PUBLISH,
        Article.Status.SCHEDULED: Action.SCHEDULE,
        Article.Status.ARCHIVED: Action.ARCHIVE,
    }[after]


def comment_action(after: str | None) -> str:
    if after is None:
        return Action.DELETE_COMMENT
    return {
        Comment.Status.APPROVED: Action.APPROVE_COMMENT,
        Comment.Status.REJECTED: Action.REJECT_COMMENT,
        Comment.Status.PENDING: Action.HOLD_COMMENT,
    }[after]
