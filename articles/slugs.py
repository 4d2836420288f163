"""Unique slugs from titles with one SELECT returning one row, however many collisions exist.

The naive way asks the database "is ``x-2`` taken? ``x-3``?" once per
collision; fetching every colliding slug instead makes each create slower the
more collisions there are. Here the database answers in one aggregate row:
whether ``base`` itself is taken, and the highest number in a taken
``base-<n>``. The slug is ``base`` when free, else the candidate numbered one
more than that highest: a number freed by a delete is not reused.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from django.db import models
from django.db.models.functions import Cast, Length, Substr
from django.db.models.lookups import Exact, GreaterThanOrEqual, LessThanOrEqual
from django.utils.text import slugify

# Titles with no letters or digits ("!!!", "🎉") still need an address.
FALLBACK_SLUG = "article"
# Room kept for the longest suffix ("-" and up to 10 digits) plus the one dash
# that truncation may strip: every candidate starts with base[:max_length - 12].
_SUFFIX_ROOM = 12
# A stored suffix longer than this is no candidate's (nor fits a bigint).
_MAX_DIGITS = 10
_DIGITS = "0123456789"


class _LTrimChars(models.Func):
    """``LTRIM(text, chars)``, the same on SQLite and PostgreSQL: what is left after leading ``chars``."""

    function = "LTRIM"
    arity = 2
    output_field = models.TextField()


def slug_base(title: str, max_length: int) -> str:
    base = slugify(title, allow_unicode=True)[:max_length].strip("-")
    return base or FALLBACK_SLUG


def slug_candidate(base: str, number: int, max_length: int) -> str:
    """Candidate ``number`` for ``base``: ``base`` for 1, else ``base-<number>`` cut to fit ``max_length``."""
    if number == 1:
        return base
    suffix = f"-{number}"
    return base[: max_length - len(suffix)].rstrip("-") + suffix


def slug_candidates(base: str, max_length: int) -> Iterator[str]:
    """``base``, then ``base-2``, ``base-3``, … each cut to fit ``max_length``."""
    return (slug_candidate(base, number, max_length) for number in itertools.count(1))


def _numbered_prefixes(base: str, max_length: int) -> dict[str, range]:
    """Each prefix that numbered candidates put before ``-<n>``, with the digit counts of n it serves.

    A base short enough keeps one prefix, itself; a long one is cut shorter
    as the number grows longer, so ``base-9`` and ``base-10`` differ before
    the dash.
    """
    prefixes: dict[str, list[int]] = {}
    for digits in range(1, _MAX_DIGITS + 1):
        prefix = slug_candidate(base, 10 ** (digits - 1) + 1, max_length).rsplit("-", 1)[0]
        prefixes.setdefault(prefix, []).append(digits)
    return {prefix: range(min(digits), max(digits) + 1) for prefix, digits in prefixes.items()}


def taken_slugs_query(base: str, max_length: int) -> models.Q:
    """A filter matching every stored slug that a candidate for ``base`` could equal."""
    if len(base) <= max_length - _SUFFIX_ROOM:
        # No candidate is truncated: they are base itself and base-<n>.
        return models.Q(slug=base) | models.Q(slug__startswith=f"{base}-")
    return models.Q(slug__startswith=base[: max_length - _SUFFIX_ROOM])


def _highest_number(prefix: str, digit_counts: range) -> models.Aggregate:
    """The highest n among stored slugs ``prefix-<n>`` whose n has one of ``digit_counts`` digits.

    LIKE (escaped by ``startswith``) and LTRIM need no regex dialect: the
    suffix after the dash is a number when nothing is left once its digits
    are trimmed. A stored ``prefix-007`` counts as 7: a number too high only
    leaves a gap, never hands out a taken slug.
    """
    suffix = Substr("slug", len(prefix) + 2)
    is_number = (
        models.Q(slug__startswith=f"{prefix}-")
        & GreaterThanOrEqual(Length("slug"), len(prefix) + 1 + digit_counts.start)
        & LessThanOrEqual(Length("slug"), len(prefix) + digit_counts.stop)
        & Exact(_LTrimChars(suffix, models.Value(_DIGITS)), "")
    )
    # Under the filter only, so the cast never meets a suffix that is not a number.
    return models.Max(Cast(suffix, models.BigIntegerField()), filter=is_number)


def unique_slug(queryset: models.QuerySet, title: str) -> str:
    """A free ``slug`` for ``title`` among ``queryset``'s rows: one SELECT, one row."""
    max_length = queryset.model._meta.get_field("slug").max_length
    base = slug_base(title, max_length)
    highest_by_prefix = {
        f"highest_{index}": _highest_number(prefix, digit_counts)
        for index, (prefix, digit_counts) in enumerate(_numbered_prefixes(base, max_length).items())
    }
    found = queryset.filter(taken_slugs_query(base, max_length)).aggregate(
        base_taken=models.Count("pk", filter=models.Q(slug=base)), **highest_by_prefix
    )
    if not found.pop("base_taken"):
        return base
    highest = max((number for number in found.values() if number is not None), default=1)
    return slug_candidate(base, max(highest + 1, 2), max_length)
