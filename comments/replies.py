"""Replies: comments that answer a comment of the same article, nested a few levels deep.

A reply is a comment like any other: moderated the same way and counted in
its article's approved comments by the same receivers. What is particular
to it is checked here: what it answers must be a shown comment of the same
article, not too deep, and still there when the reply is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from articles.models import Article

from .models import Comment

# A comment on the article is depth 0; its replies 1, theirs 2, theirs 3. Deeper
# threads read as a staircase on a phone: the deepest answer the thread instead.
MAX_REPLY_DEPTH = 3


def reply_target(article: Article, parent_id: int | None) -> Comment | None:
    """The comment a new comment answers (None: the article itself); ValidationError if it cannot be answered."""
    if parent_id is None:
        return None
    parent = Comment.objects.filter(pk=parent_id).only("pk", "article_id", "status", "depth", "name").first()
    if parent is None:
        raise ValidationError("The comment you answered is no longer there.", code="reply_parent_gone")
    if parent.article_id != article.pk:
        raise ValidationError("You can only answer a comment under this article.", code="reply_other_article")
    if parent.status != Comment.Status.APPROVED:
        raise ValidationError("That comment is not shown, so it cannot be answered.", code="reply_parent_hidden")
    if parent.depth >= MAX_REPLY_DEPTH:
        raise ValidationError(
            "Replies nest %(depth)d deep: answer a comment higher up the thread.",
            code="reply_too_deep",
            params={"depth": MAX_REPLY_DEPTH},
        )
    return parent


def move_replies_with(comment: Comment) -> int:
    """Move the replies under ``comment``, theirs too, to the article it is on now; how many moved.

    A moderator moving a comment to another article (the admin) moves its
    thread: left behind, its replies would answer a comment of another
    article, shown under a stand-in there and missing here. Each is saved on
    its own, in the caller's transaction, so the receivers move its count
    from one article to the other as for any comment.
    """
    moved = 0
    seen = {comment.pk}
    parents = [comment.pk]
    while parents:
        # ``seen`` ends a loop that data written by other means could hold.
        replies = list(Comment.objects.filter(parent_id__in=parents).exclude(pk__in=seen).order_by("pk"))
        for reply in replies:
            if reply.article_id != comment.article_id:
                reply.article_id = comment.article_id
                reply.save(update_fields=["article"])
                moved += 1
        parents = [reply.pk for reply in replies]
        seen.update(parents)
    return moved


def can_be_answered(comment: Comment) -> bool:
    return comment.depth < MAX_REPLY_DEPTH


@dataclass
class ThreadNode:
    """A comment with its shown replies; ``comment`` None stands for one that is not shown (pending or rejected)."""

    comment: Comment | None
    replies: list[ThreadNode] = field(default_factory=list)

    @property
    def answers_a_removed_comment(self) -> bool:
        return self.comment is not None and self.comment.is_reply and self.comment.parent_id is None


def threads(shown: list[Comment]) -> list[ThreadNode]:
    """The shown comments as threads, oldest first; a reply whose parent is not shown keeps its place under a stand-in.

    ``shown`` is the article's approved comments in order; no query is made.
    """
    nodes = {comment.pk: ThreadNode(comment) for comment in shown}
    stand_ins: dict[int, ThreadNode] = {}
    roots: list[ThreadNode] = []
    for comment in shown:
        node = nodes[comment.pk]
        if comment.parent_id is None:
            roots.append(node)
        elif comment.parent_id in nodes:
            nodes[comment.parent_id].replies.append(node)
        else:
            if comment.parent_id not in stand_ins:
                stand_ins[comment.parent_id] = ThreadNode(None)
                roots.append(stand_ins[comment.parent_id])
            stand_ins[comment.parent_id].replies.append(node)
    return roots
