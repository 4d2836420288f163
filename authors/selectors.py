"""Reads about authors and their followers that pages share."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count

from blogsite.models import EmailDelivery

from .tasks import publication_key


def followers_reached(article_ids: Iterable[int]) -> dict[int, int]:
    """How many followers each article's publication email reached (handed to the mail server), in one query."""
    keys = {publication_key(pk): pk for pk in article_ids}
    if not keys:
        return {}
    rows = EmailDelivery.objects.filter(key__in=keys).values("key").annotate(recipients=Count("pk"))
    return {keys[row["key"]]: row["recipients"] for row in rows}
