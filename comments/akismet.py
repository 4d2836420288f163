"""A minimal Akismet ``comment-check`` client: one form POST, answered ``true`` (spam) or ``false``.

COMMENT_SPAM_CHECKER = "comments.akismet.check_with_akismet" with AKISMET_API_KEY
set; AKISMET_URL points at any service that speaks the same protocol.
Anything but those two words (``invalid`` for a wrong key, an error page) is a
failure, and the comment is held (comments/spam_check.py).
"""

from __future__ import annotations

import urllib.parse
import urllib.request

from django.conf import settings

from .spam_check import Submission, Verdict


class AkismetError(Exception):
    pass


def check_with_akismet(submission: Submission) -> Verdict:
    fields = {
        "blog": settings.SITE_URL,
        "user_ip": submission.client.ip,
        "user_agent": submission.client.user_agent,
        "referrer": submission.client.referrer,
        "permalink": submission.article_url,
        "comment_type": "comment",
        "comment_author": submission.name,
        "comment_author_email": submission.email,
        "comment_content": submission.body,
        "blog_charset": "UTF-8",
    }
    request = urllib.request.Request(
        settings.AKISMET_URL.format(key=settings.AKISMET_API_KEY),
        data=urllib.parse.urlencode({**fields, "api_key": settings.AKISMET_API_KEY}).encode(),
        headers={"User-Agent": "blogsite/1 | akismet-client/1"},
    )
    with urllib.request.urlopen(request, timeout=settings.COMMENT_SPAM_CHECK_TIMEOUT) as response:
        answer = response.read(100).decode("utf-8", "replace").strip()
        help_text = response.headers.get("X-akismet-debug-help", "")
    if answer == "true":
        return Verdict.SPAM
    if answer == "false":
        return Verdict.HAM
    raise AkismetError(f"Akismet answered {answer!r} {help_text}".strip())
