"""The custom signals of blogsite. Every one is defined here.

Receivers may not assume the article still exists in the database: an
unpublication caused by a delete arrives after the row is gone (``article.pk``
is then None, the other fields are as they were stored).
"""

from django.dispatch import Signal

# Sent once per transition of an article into ``published`` (creating it
# published counts), after the transaction that made it commits. In-process and
# best effort (cache purges): a crash right after COMMIT skips it.
# Arguments: article (the Article instance).
article_published = Signal()

# Sent once per transition of an article out of ``published``, deleting a
# published article included, after the transaction commits.
# Arguments: article (the Article instance).
article_unpublished = Signal()

# Sent inside the transaction that moves an article into ``published`` (or out
# of it), once its counters have moved and before COMMIT. What must follow the
# transition (email to followers) is recorded here, with
# blogsite.effects.defer_effect, so that it commits with the transition or not
# at all: a process killed right after COMMIT still delivers it. Nothing may
# leave the process from a receiver; the transaction can still roll back.
# Arguments: article (the Article instance), using (the database alias).
article_publishing = Signal()
article_unpublishing = Signal()

# Sent by the article page for each reader's view of a published article, once
# the page has rendered (a page that fails with a 500 was not read), or before
# a page-cache hit is served.
# Arguments: article (the Article instance; on a cache hit, one holding only
# its pk), request (the HttpRequest).
article_viewed = Signal()

# Sent inside the writing transaction when an article's status changes, once
# the stored row has been read under lock: created with a status other than
# draft, moved between statuses, or deleted. The audit log records it here, so
# the entry commits with the change or not at all. Nothing may leave the process.
# Arguments: article (the Article instance), before (the status as stored; None
# for a new article), after (the status written; None when deleted), using.
article_status_changed = Signal()

# The same for a comment: moderated (pending, approved, rejected) or deleted on
# its own (a comment that goes with its article's deletion sends nothing; the
# article's deletion is the entry).
# Arguments: comment (the Comment instance), article_id (the article it is on
# as stored: a stale instance may name another), before (the stored status),
# after (the status written; None when deleted), using.
comment_status_changed = Signal()
