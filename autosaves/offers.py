"""What the article form offers back: the author's autosave, when it holds text the form does not show."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from articles.forms import article_version
from articles.models import Article
from articles.revisions import FIELD_LABELS, FieldChange, text_diff

from .models import Autosave
from .services import AUTOSAVED_FIELDS, DraftText


@dataclass(frozen=True)
class AutosaveOffer:
    autosave: Autosave
    # Each text field the autosave changes, as text_diff marks it: from the saved text to the autosave's.
    changes: list[FieldChange]
    # Someone (another editor, another tab) saved the article since the autosave's form was opened.
    article_changed_since: bool


def autosave_offer(*, user: AbstractBaseUser, article: Article | None) -> AutosaveOffer | None:
    """The user's autosave of ``article`` (None: the new-article form) if it differs from the saved text."""
    autosave = Autosave.objects.of(user=user, article=article).first()
    if autosave is None:
        return None
    saved, kept = DraftText.of(article).as_saved(), DraftText.of(autosave)
    changes = [
        FieldChange(FIELD_LABELS[name], text_diff(getattr(saved, name), getattr(kept, name)))
        for name in AUTOSAVED_FIELDS
        if getattr(saved, name) != getattr(kept.as_saved(), name)
    ]
    if not changes:
        return None
    changed_since = article is not None and autosave.base_version != article_version(article)
    return AutosaveOffer(autosave, changes, changed_since)
