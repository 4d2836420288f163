"""Tags as authors type them: names cleaned, one tag whatever its case, and merged by staff.

Counting is not done here: every link made or removed below goes through
Django's m2m manager or a link's save and delete, where articles.tag_counts
keeps each tag's published-article count.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from .models import Tag
from .slugs import unique_slug

MAX_TAG_LENGTH = Tag._meta.get_field("name").max_length
MAX_TAGS_PER_ARTICLE = 10
# Attempts at a new tag's slug when others are making the same one at once.
CREATE_ATTEMPTS = 3


def clean_tag_name(raw: str) -> str:
    """A tag's name as typed, its spaces collapsed; ValidationError when it cannot be one."""
    name = " ".join(raw.split())
    if len(name) > MAX_TAG_LENGTH:
        raise ValidationError(
            "“%(start)s…” is longer than %(limit)d characters.",
            code="tag_too_long",
            params={"start": name[:20], "limit": MAX_TAG_LENGTH},
        )
    if not slugify(name, allow_unicode=True):
        # "???" or "🎉" alone: nothing to make an address of, nothing to search by.
        raise ValidationError("“%(name)s” needs a letter or a digit.", code="tag_without_word", params={"name": name})
    return name


def parse_tag_names(text: str) -> list[str]:
    """Comma-separated names, cleaned, each once whatever its case, in the order typed."""
    names: dict[str, str] = {}
    errors = []
    for raw in text.split(","):
        if not raw.strip():
            continue  # "a, , b" and a trailing comma are no tag
        try:
            name = clean_tag_name(raw)
        except ValidationError as error:
            errors.append(error)
            continue
        names.setdefault(name.casefold(), name)
    if errors:
        raise ValidationError(errors)
    refuse_too_many_tags(len(names))
    return list(names.values())


def refuse_too_many_tags(count: int) -> None:
    """ValidationError when an article would have more tags than the site allows (its form and the admin's)."""
    if count > MAX_TAGS_PER_ARTICLE:
        raise ValidationError(
            "At most %(limit)d tags per article.", code="too_many_tags", params={"limit": MAX_TAGS_PER_ARTICLE}
        )


def tags_named(names: Iterable[str]) -> list[Tag]:
    """The tags of these names: existing ones whatever their case, new ones created."""
    return [tag_named(name) for name in names]


def tag_named(name: str) -> Tag:
    for _ in range(CREATE_ATTEMPTS):
        tag = Tag.objects.named(name).first()
        if tag is not None:
            return tag
        try:
            # A savepoint: a writer who made the same tag a moment ago wins, and we use theirs.
            with transaction.atomic():
                return Tag.objects.create(name=name, slug=unique_slug(Tag.objects.all(), name))
        except IntegrityError:
            continue
    raise IntegrityError(f"Could not make the tag {name!r}: others keep making it at once.")


def merge_tags(tag: Tag, *, into: Tag) -> Tag:
    """Give ``tag``'s articles ``into`` and delete ``tag``: counted link by link, like any tagging."""
    if tag.pk == into.pk:
        raise ValueError("A tag is merged into another one.")
    with transaction.atomic():
        moving = tag.articles.exclude(pk__in=into.articles.values("pk")).values_list("pk", flat=True)
        into.articles.add(*moving)
        tag.delete()  # its links go with it: a deleted tag's count is nobody's
    return into
