"""The custom signals of blogsite. Every one is defined here.

Receivers may not assume the article still exists in the database: an
unpublication caused by a delete arrives after the row is gone (``article.pk``
is then None, the other fields are as they were stored).
"""

from django.dispatch import Signal

# Sent once per transition of an article into ``published`` (creating it
# published counts), after the transaction that made it commits.
# Arguments: article (the Article instance).
article_published = Signal()

# Sent once per transition of an article out of ``published``, deleting a
# published article included, after the transaction commits.
# Arguments: article (the Article instance).
article_unpublished = Signal()

# Sent by the article page for each reader's view of a published article.
# Arguments: article (the Article instance), request (the HttpRequest).
article_viewed = Signal()
