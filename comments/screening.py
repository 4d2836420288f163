"""Which status a new comment is stored with: approved, held for moderation, or rejected as spam.

A signed-in reader's comment is approved at once unless something about it
asks for a person's eye: many links (COMMENT_HOLD_LINKS), an email address
with a rejected comment behind it, or a spam checker that could not answer.
A guest's always waits. Decided before the INSERT, so the comment is written
once with its status and the counters never see a comment that changes its
mind (a held comment counts nothing until approved).
"""

from __future__ import annotations

import re

from django.conf import settings

from .models import Comment
from .spam_check import Submission, Verdict, check_submission

# Bare and Markdown links alike: what a reader could click.
_LINK = re.compile(r"https?://|\bwww\.", re.IGNORECASE)


def count_links(body: str) -> int:
    return len(_LINK.findall(body))


def has_rejected_history(email: str) -> bool:
    return bool(email) and Comment.objects.filter(status=Comment.Status.REJECTED, email__iexact=email).exists()


def initial_status(*, body: str, email: str, signed_in: bool, submission: Submission | None) -> Comment.Status:
    """The status to store; ``submission`` (a web request's comment) is shown to the spam checker if one is set."""
    verdict = check_submission(submission) if submission is not None else Verdict.HAM
    if verdict is Verdict.SPAM:
        # Kept, not dropped: a moderator can still approve a false positive from the admin.
        return Comment.Status.REJECTED
    if (
        not signed_in
        or verdict is Verdict.UNKNOWN
        or count_links(body) >= settings.COMMENT_HOLD_LINKS
        or has_rejected_history(email)
    ):
        return Comment.Status.PENDING
    return Comment.Status.APPROVED
