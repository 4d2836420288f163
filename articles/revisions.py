"""Reading an article's revisions: what changed between two, and restoring one.

A restore is an edit: the revision's content is written onto the article,
locked, with ``save(update_fields=...)`` naming only the content fields, so
it goes through the receivers like any edit (counters moved with the
category, a changed slug leaves its 301 behind), makes a revision of its own,
and never touches the status, its date or a counter. It is refused, like a
stale form, when the article changed since the page offering it was opened.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from django.db import transaction
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from .forms import StaleArticleError, article_version
from .models import Article, ArticleRevision, Category, normalized_newlines
from .revision_records import CONTENT_FIELDS

# Words, runs of spaces, and single other characters: what a change is highlighted by.
TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)
# What the history and the comparison call each content field.
FIELD_LABELS = {
    "title": "Title",
    "slug": "Address",
    "excerpt": "Excerpt",
    "meta_description": "Meta description",
    "body": "Body",
    "cover": "Cover",
    "category": "Category",
}
TEXT_FIELDS = ("title", "slug", "excerpt", "meta_description", "body")


def attname(name: str) -> str:
    """The attribute a content field is kept under ("category" as "category_id"), on revisions and articles alike."""
    return Article._meta.get_field(name).attname


def changed_fields(older: ArticleRevision | None, newer: ArticleRevision) -> list[str]:
    """The content fields ``newer`` changed from ``older`` (all of them for a first revision)."""
    if older is None:
        return list(CONTENT_FIELDS)
    return [name for name in CONTENT_FIELDS if getattr(older, attname(name)) != getattr(newer, attname(name))]


@dataclass(frozen=True)
class FieldChange:
    label: str
    html: SafeString  # the text with what was removed in <del> and what was added in <ins>


def compare(older: ArticleRevision, newer: ArticleRevision) -> list[FieldChange]:
    """What changed from ``older`` to ``newer``, field by field; nothing for an unchanged field."""
    changes = []
    for name in TEXT_FIELDS:
        before, after = getattr(older, name), getattr(newer, name)
        if before != after:
            changes.append(FieldChange(FIELD_LABELS[name], text_diff(before, after)))
    if older.cover != newer.cover:
        changes.append(FieldChange(FIELD_LABELS["cover"], named_change(older.cover or None, newer.cover or None)))
    if older.category_id != newer.category_id:
        names = dict(Category.objects.filter(pk__in=[older.category_id, newer.category_id]).values_list("pk", "name"))

        def name_of(pk: int | None) -> str | None:
            return None if pk is None else names.get(pk, "a deleted category")

        changes.append(
            FieldChange(FIELD_LABELS["category"], named_change(name_of(older.category_id), name_of(newer.category_id)))
        )
    return changes


def named_change(before: str | None, after: str | None) -> SafeString:
    if before is None:
        return format_html("<ins>{}</ins> added", after)
    if after is None:
        return format_html("<del>{}</del> removed", before)
    return format_html("<del>{}</del> → <ins>{}</ins>", before, after)


def text_diff(before: str, after: str) -> SafeString:
    """``after`` with its changes from ``before`` marked: lines matched first, then words within changed lines.

    Line by line first keeps a long body's comparison fast (a word-level
    match of two whole bodies is quadratic); changed lines are then compared
    word by word, so a fixed typo is one highlighted word, not a whole line.
    """
    # Revisions saved before bodies were stored with LF line ends differ only by them.
    before, after = normalized_newlines(before), normalized_newlines(after)
    old_lines, new_lines = before.splitlines(keepends=True), after.splitlines(keepends=True)
    parts = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        old, new = "".join(old_lines[i1:i2]), "".join(new_lines[j1:j2])
        if tag == "equal":
            parts.append(escape(old))
        elif tag == "replace":
            parts.append(word_diff(old, new))
        else:
            parts.append(marked(old, new))
    return mark_safe("".join(parts))  # every piece escaped above


def word_diff(before: str, after: str) -> str:
    old_tokens, new_tokens = TOKEN.findall(before), TOKEN.findall(after)
    parts = []
    matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        old, new = "".join(old_tokens[i1:i2]), "".join(new_tokens[j1:j2])
        parts.append(escape(old) if tag == "equal" else marked(old, new))
    return "".join(parts)


def marked(removed: str, added: str) -> str:
    return (f"<del>{escape(removed)}</del>" if removed else "") + (f"<ins>{escape(added)}</ins>" if added else "")


@dataclass(frozen=True)
class Restored:
    article: Article
    # What the revision held that could not come back, so the article kept its own.
    kept_slug: bool = False
    kept_cover: bool = False


def restore_revision(article: Article, revision: ArticleRevision, *, version: str) -> Restored:
    """Write ``revision``'s content onto ``article``; StaleArticleError if it changed since ``version``."""
    if revision.id != article.pk:
        raise ValueError("A revision is restored onto its own article only.")
    with transaction.atomic():
        # The article's row only: a join locked under FOR UPDATE would lock its
        # author's counter row too, out of the order the receivers take
        # counter rows in (a deadlock with a concurrent move, found by
        # tests/test_concurrency_postgres.py).
        locked = Article.objects.select_for_update().get(pk=article.pk)
        if article_version(locked) != version:
            raise StaleArticleError
        current_slug, current_cover = locked.slug, locked.cover.name
        for name in CONTENT_FIELDS:
            setattr(locked, attname(name), getattr(revision, attname(name)))
        if locked.category_id is not None and not Category.objects.filter(pk=locked.category_id).exists():
            locked.category_id = None  # the revision's category was deleted since
        kept_slug = Article.objects.filter(slug=locked.slug).exclude(pk=locked.pk).exists()
        if kept_slug:
            locked.slug = current_slug  # another article has that address now
        # Covers stay while a revision names them (articles/cover_files.py); one
        # may still be missing: deleted by hand, or by django-cleanup before that.
        kept_cover = bool(revision.cover) and not locked.cover.storage.exists(revision.cover)
        if kept_cover:
            locked.cover = current_cover
        locked.save(update_fields=list(CONTENT_FIELDS))
    return Restored(locked, kept_slug=kept_slug, kept_cover=kept_cover)
