"""What a write does to a comment: its state before (as stored) and after.

"Before" is read under a row lock in the writing transaction, as for
articles (see articles/transitions.py): a moderator's stale copy must not
count an approval that another process has already counted.
"""

from __future__ import annotations

from dataclasses import dataclass

from articles.models import Article
from blogsite.counters import CounterDeltas
from blogsite.stored_state import StoredState

from .models import Comment


@dataclass(frozen=True)
class CommentState(StoredState):
    model = Comment

    status: str
    article_id: int

    @property
    def is_approved(self) -> bool:
        return self.status == Comment.Status.APPROVED


@dataclass(frozen=True)
class CommentTransition:
    before: CommentState | None  # None: the row is being created (or was already gone)
    after: CommentState | None  # None: the row is being deleted

    def add_counter_deltas(self, deltas: CounterDeltas) -> None:
        # As for articles: remove what the stored row counted, add what the
        # written row counts; a moderation, a move or both net out here.
        for state, sign in ((self.before, -1), (self.after, +1)):
            if state is not None and state.is_approved:
                deltas.add(Article, "comment_count", state.article_id, sign)
