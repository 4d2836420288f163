"""Unique slugs from titles with one SELECT, however many collisions exist.

The naive way asks the database "is ``x-2`` taken? ``x-3``?" once per
collision. Here one query fetches every slug that any candidate could equal,
and the first free candidate is picked in Python.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from django.db import models
from django.utils.text import slugify

# Titles with no letters or digits ("!!!", "🎉") still need an address.
FALLBACK_SLUG = "article"
# Room kept for the longest suffix ("-" and up to 10 digits) plus the one dash
# that truncation may strip: every candidate starts with base[:max_length - 12].
_SUFFIX_ROOM = 12


def slug_base(title: str, max_length: int) -> str:
    base = slugify(title, allow_unicode=True)[:max_length].strip("-")
    return base or FALLBACK_SLUG


def slug_candidates(base: str, max_length: int) -> Iterator[str]:
    """``base``, then ``base-2``, ``base-3``, … each cut to fit ``max_length``."""
    yield base
    for number in itertools.count(2):
        suffix = f"-{number}"
        yield base[: max_length - len(suffix)].rstrip("-") + suffix


def taken_slugs_query(base: str, max_length: int) -> models.Q:
    """A filter matching every stored slug that a candidate for ``base`` could equal."""
    if len(base) <= max_length - _SUFFIX_ROOM:
        # No candidate is truncated: they are base itself and base-<n>.
        return models.Q(slug=base) | models.Q(slug__startswith=f"{base}-")
    return models.Q(slug__startswith=base[: max_length - _SUFFIX_ROOM])


def unique_slug(queryset: models.QuerySet, title: str) -> str:
    """The first free ``slug`` for ``title`` among ``queryset``'s rows: one SELECT."""
    max_length = queryset.model._meta.get_field("slug").max_length
    base = slug_base(title, max_length)
    taken = set(queryset.filter(taken_slugs_query(base, max_length)).values_list("slug", flat=True))
    return next(candidate for candidate in slug_candidates(base, max_length) if candidate not in taken)
