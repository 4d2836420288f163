"""Per-IP and per-account limits on what costs the site or someone else (comments, sign-ups, reset emails).

The counting is django-ratelimit's (fixed windows in the default cache: Redis
in production). A cache that cannot be reached fails open, logged: a Redis
outage must not stop readers from commenting or signing up, and the honeypot,
moderation and login throttling (in the database) still stand meanwhile.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)


def posted_email(group: str, request: HttpRequest) -> str:
    """The address a form asks about, as one person: case and spaces do not make another."""
    return request.POST.get("email", "").strip().lower()


KEYS = {"ip": "ip", "user": "user", "email": posted_email}


def seconds_until_allowed(request: HttpRequest, action: str) -> int | None:
    """Count this request against ``action``'s limits (RATE_LIMITS); None if within them, else the wait."""
    for key, rate in settings.RATE_LIMITS[action]:
        if key == "user" and not request.user.is_authenticated:
            continue
        if key == "email" and not posted_email("", request):
            continue
        try:
            usage = get_usage(request, group=f"{action}:{key}", key=KEYS[key], rate=rate, increment=True)
        except Exception:
            # Whatever the cache backend raises (refused connection, timeout):
            # the request goes on uncounted, and the log says so.
            logger.warning("Rate limit %s by %s not counted: the cache is unavailable.", action, key, exc_info=True)
            continue
        if usage is not None and usage["should_limit"]:
            return max(1, usage["time_left"])
    return None


def wait_phrase(seconds: int) -> str:
    """'in 40 seconds', 'in 12 minutes': when the reader may try again."""
    if seconds < 90:
        return f"in {seconds} second{'s' if seconds != 1 else ''}"
    minutes = round(seconds / 60)
    return f"in {minutes} minutes"
