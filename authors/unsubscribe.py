"""The way out of follower email: a signed link per follower and author, that works without logging in.

The token names the follower and the author, signed with the site's secret
and dated (``django.core.signing``): a forged or altered one is refused, an
old one expires after ``UNSUBSCRIBE_LINK_DAYS``, and using one twice is
harmless (the second time finds nobody to unfollow). It does not expire
sooner because a reader may open last spring's email today; it expires at
all because a forwarded email should not keep a stranger's power over the
follow forever.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from blogsite.emails import absolute_url

SALT = "authors.unsubscribe"


class UnsubscribeLinkInvalid(Exception):
    """Not a token this site made: mistyped, cut short, or forged."""


class UnsubscribeLinkExpired(Exception):
    """A token this site made, older than UNSUBSCRIBE_LINK_DAYS."""


@dataclass(frozen=True)
class UnsubscribeLink:
    follower_id: int
    author_id: int

    def token(self) -> str:
        return signing.dumps([self.follower_id, self.author_id], salt=SALT)

    def url(self) -> str:
        return absolute_url(reverse("unsubscribe", kwargs={"token": self.token()}))

    @classmethod
    def read(cls, token: str) -> UnsubscribeLink:
        max_age = datetime.timedelta(days=settings.UNSUBSCRIBE_LINK_DAYS)
        try:
            follower_id, author_id = signing.loads(token, salt=SALT, max_age=max_age)
        except signing.SignatureExpired as error:
            raise UnsubscribeLinkExpired from error
        except (signing.BadSignature, TypeError, ValueError) as error:
            # A valid signature on something else than two ids cannot be
            # made without the secret; refused the same way all the same.
            raise UnsubscribeLinkInvalid from error
        if not (isinstance(follower_id, int) and isinstance(author_id, int)):
            raise UnsubscribeLinkInvalid
        return cls(follower_id, author_id)


def one_click_headers(link: UnsubscribeLink) -> dict[str, str]:
    """RFC 8058: mail clients show an Unsubscribe button that POSTs to the link, no page, no login."""
    return {"List-Unsubscribe": f"<{link.url()}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
