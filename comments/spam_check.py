"""The optional outside opinion on a comment (an Akismet-compatible service), asked before it is stored.

Asked in the request, before any transaction opens, with a short timeout
(COMMENT_SPAM_CHECK_TIMEOUT): a network call never holds a row lock, and the
comment is stored once, with its final status, so the counters and the
author's email follow from one write. A checker that errs or times out never
loses the comment: it is stored as pending, for a moderator to judge.
Off by default (COMMENT_SPAM_CHECKER = None).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class Verdict(enum.Enum):
    HAM = "ham"
    SPAM = "spam"
    UNKNOWN = "unknown"  # the checker failed: a person decides


@dataclass(frozen=True)
class Client:
    """Where a comment came from, as the request tells it (Akismet wants all three)."""

    ip: str
    user_agent: str = ""
    referrer: str = ""


@dataclass(frozen=True)
class Submission:
    """What a checker is shown of a comment about to be stored."""

    client: Client
    article_url: str
    name: str
    email: str
    body: str
    signed_in: bool


Checker = Callable[[Submission], Verdict]


def configured_checker() -> Checker | None:
    path = settings.COMMENT_SPAM_CHECKER
    return import_string(path) if path else None


def check_submission(submission: Submission) -> Verdict:
    """The configured checker's verdict; HAM when none is configured, UNKNOWN when it fails."""
    checker = configured_checker()
    if checker is None:
        return Verdict.HAM
    try:
        verdict = checker(submission)
    except Exception:
        # Whatever a checker raises (a timeout, a refused key, a bug): the comment waits for a person.
        logger.warning("Spam checker %s failed; the comment is held.", settings.COMMENT_SPAM_CHECKER, exc_info=True)
        return Verdict.UNKNOWN
    if not isinstance(verdict, Verdict):
        logger.warning("Spam checker %s answered %r; the comment is held.", settings.COMMENT_SPAM_CHECKER, verdict)
        return Verdict.UNKNOWN
    return verdict
